package dev.weft.redis;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Bounded polling, for state that no event announces: Redis keys and pending counts written by
 * another process, what a pub/sub subscriber has buffered, a transport's dead letters. It orders
 * nothing: the condition decides, the interval only keeps the poll from hammering Redis.
 */
final class Poll {
    private static final int DEFAULT_SECONDS = 20;

    private Poll() {}

    /** Returns once {@code done} holds; fails the test if it does not within 20 s. */
    static void until(BooleanSupplier done) throws InterruptedException {
        until(done, DEFAULT_SECONDS);
    }

    /** Returns once {@code done} holds; fails the test if it does not within {@code seconds}. */
    static void until(BooleanSupplier done, int seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) throw new AssertionError("condition not reached within " + seconds + " s");
            Thread.sleep(5); // the polling interval (see the class comment), never an ordering step
        }
    }
}
