package dev.weft;

import java.time.Duration;
import java.time.Instant;

/** Deadline arithmetic on a clock's nanosecond timeline; package-private. */
final class Deadlines {
    /** "No deadline": later than any real time. */
    static final long NONE = Long.MAX_VALUE;

    private Deadlines() {}

    /** {@code base + d} in nanoseconds, saturating at {@link #NONE}. */
    static long plus(long base, Duration d) {
        long n;
        try {
            n = d.toNanos();
        } catch (ArithmeticException tooLong) {
            return d.isNegative() ? Long.MIN_VALUE : NONE;
        }
        long r = base + n;
        if (((base ^ r) & (n ^ r)) < 0) return n > 0 ? NONE : Long.MIN_VALUE;
        return r;
    }

    /** The point on {@code clock}'s timeline that corresponds to the wall-clock {@code at}. */
    static long at(WeftClock clock, Instant at) {
        long nowNanos = clock.nanoTime();
        Instant now = clock.instant();
        Duration until;
        try {
            until = Duration.between(now, at);
        } catch (ArithmeticException tooFar) {
            return at.isAfter(now) ? NONE : Long.MIN_VALUE;
        }
        return plus(nowNanos, until);
    }

    /** The wall-clock instant of {@code nanos} on {@code clock}'s timeline. */
    static Instant toInstant(WeftClock clock, long nanos) {
        long nowNanos = clock.nanoTime();
        return clock.instant().plusNanos(nanos - nowNanos);
    }
}
