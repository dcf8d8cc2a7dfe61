package dev.weft.test;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Bounded polling for tests, for state that no event announces: keys and pending counts a broker
 * holds for another process, what a subscriber has buffered, a transport's dead letters. It
 * orders nothing: the condition decides, and the 5 ms interval only keeps the poll from
 * hammering the broker. Where the code under test can announce a state (a latch, a FakeClock's
 * timers), wait on that instead.
 */
public final class Poll {
    private static final int DEFAULT_SECONDS = 20;

    private Poll() {}

    /** Returns once {@code done} holds; fails the test if it does not within 20 s. */
    public static void until(BooleanSupplier done) throws InterruptedException {
        until(done, DEFAULT_SECONDS);
    }

    /** Returns once {@code done} holds; fails the test if it does not within {@code seconds}. */
    public static void until(BooleanSupplier done, int seconds) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) throw new AssertionError("condition not reached within " + seconds + " s");
            Thread.sleep(5); // the polling interval (see the class comment), never an ordering step
        }
    }
}
