package dev.weft;

import java.time.Duration;
import java.util.Objects;

/**
 * When {@link Weft#repeat} runs its work: at a fixed delay after each run, or at a fixed rate,
 * a given number of times or until cancelled. Immutable; the time is the scope's clock.
 *
 * <pre>{@code
 * Weft.repeat(Schedule.fixedDelay(Duration.ofSeconds(5)), () -> heartbeat());        // until cancelled
 * Weft.repeat(Schedule.fixedRate(Duration.ofMinutes(1)).times(10), () -> sample());  // 10 runs, one a minute
 * }</pre>
 */
public final class Schedule {

    private final Duration interval;
    private final boolean fixedRate;
    private final long times;
    private final Duration initialDelay;

    private Schedule(Duration interval, boolean fixedRate, long times, Duration initialDelay) {
        this.interval = interval;
        this.fixedRate = fixedRate;
        this.times = times;
        this.initialDelay = initialDelay;
    }

    /** Runs, waits {@code delay} after each run ends, runs again; until cancelled unless {@link #times} says otherwise. */
    public static Schedule fixedDelay(Duration delay) {
        return new Schedule(checkInterval(delay, "delay"), false, Long.MAX_VALUE, Duration.ZERO);
    }

    /**
     * Starts a run every {@code interval}, measured from the first run's start. A run that
     * overruns its slot is followed by the next at once, without catching up on the missed ones
     * (as {@code ScheduledExecutorService.scheduleAtFixedRate} does not: no burst after a stall).
     */
    public static Schedule fixedRate(Duration interval) {
        return new Schedule(checkInterval(interval, "interval"), true, Long.MAX_VALUE, Duration.ZERO);
    }

    /** This schedule with at most {@code n} runs in all. */
    public Schedule times(long n) {
        if (n < 1) throw new IllegalArgumentException("times is " + n + ": a schedule runs its work at least once");
        return new Schedule(interval, fixedRate, n, initialDelay);
    }

    /** This schedule waiting {@code delay} before the first run. */
    public Schedule initialDelay(Duration delay) {
        return new Schedule(interval, fixedRate, times, checkInterval(delay, "initial delay"));
    }

    Duration interval() {
        return interval;
    }

    boolean isFixedRate() {
        return fixedRate;
    }

    long times() {
        return times;
    }

    Duration initialDelay() {
        return initialDelay;
    }

    private static Duration checkInterval(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative()) throw new IllegalArgumentException(what + " is negative (" + d + "): use Duration.ZERO for none");
        return d;
    }

    @Override
    public String toString() {
        return (fixedRate ? "fixedRate(" : "fixedDelay(") + interval + ")"
                + (times == Long.MAX_VALUE ? "" : ".times(" + times + ")")
                + (initialDelay.isZero() ? "" : ".initialDelay(" + initialDelay + ")");
    }
}
