package dev.weft;

import java.time.Duration;
import java.time.Instant;

/**
 * The time source of a scope: deadlines, {@link Weft#sleep} and timed waits read it, so tests
 * can replace it with a {@link FakeClock} (like Caffeine's {@code Ticker} or Trio's
 * {@code MockClock}) and run deadline logic in microseconds, without sleeping.
 *
 * <p>A scope takes its clock from {@link Scope.Builder#clock(WeftClock)}, else from the scope
 * it is nested in, else {@link #system()}.
 */
public interface WeftClock {

    /** Monotonic time in nanoseconds; only differences are meaningful. */
    long nanoTime();

    /** Wall-clock time now, for reporting deadlines as instants. */
    Instant instant();

    /**
     * Runs {@code action} once {@link #nanoTime()} reaches {@code atNanos}: on a timer thread for
     * the system clock, on the thread that advances time for a {@link FakeClock}. If the time has
     * already come, the action may run at once, on the calling thread. The action must be short
     * and must not block.
     *
     * @return a handle that cancels the action if it has not run yet
     */
    Scheduled schedule(long atNanos, Runnable action);

    /** A scheduled action that can be called off. */
    interface Scheduled {
        /** Stops the action from running, if it has not run yet; idempotent. */
        void cancel();
    }

    /** The real clock: {@link System#nanoTime()}, {@link Instant#now()}, one daemon timer thread. */
    static WeftClock system() {
        return SystemClock.INSTANCE;
    }

    /** {@code nanoTime() + d}, saturating instead of overflowing for very long durations. */
    default long after(Duration d) {
        return Deadlines.plus(nanoTime(), d);
    }
}
