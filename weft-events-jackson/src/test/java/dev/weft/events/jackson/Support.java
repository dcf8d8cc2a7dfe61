package dev.weft.events.jackson;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

final class Support {
    private Support() {}

    /** Spins (yielding, never sleeping) until {@code condition}, failing after 20 s. */
    static void spinUntil(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) throw new AssertionError("gave up waiting for: " + what);
            Thread.yield();
        }
    }
}
