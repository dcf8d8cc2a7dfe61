package dev.weft.events;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Test helpers: nothing here sleeps; waits give up (failing the test) after {@link #GIVE_UP_SECONDS}. */
final class Support {
    static final long GIVE_UP_SECONDS = 20;

    private Support() {}

    static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(GIVE_UP_SECONDS, TimeUnit.SECONDS)) throw new AssertionError("latch did not open (count " + latch.getCount() + ")");
    }

    static void idle(EventBus bus) throws InterruptedException {
        if (!bus.awaitIdle(Duration.ofSeconds(GIVE_UP_SECONDS))) throw new AssertionError("bus did not become idle: " + bus.statistics());
    }

    /** Spins (yielding) until {@code condition}: for states a latch cannot show, like "this thread is blocked". */
    static void spinUntil(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(GIVE_UP_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) throw new AssertionError("gave up waiting for: " + what);
            Thread.yield();
        }
    }

    static boolean isBlocked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    // Event types used across the tests.
    sealed interface Wildlife permits SightingReported, NestFound {}

    @EventName("sighting.reported")
    record SightingReported(String species, int count) implements Wildlife {}

    record NestFound(String species) implements Wildlife {}

    record OrderPlaced(String orderId) {}

    record Ping(int n) {}
}
