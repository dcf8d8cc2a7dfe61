package dev.weft;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What code running inside a scope asks of its surroundings: cancellation points, sleeping on
 * the scope's clock, and the current deadline. Outside any scope these still work, with no
 * cancellation and the system clock.
 */
public final class Weft {
    private Weft() {}

    /**
     * A cancellation point: throws {@link Cancelled} if the current scope or task is cancelled
     * (S3). Call it in long CPU loops; Weft waits call it for you.
     */
    public static void checkpoint() {
        Waits.checkCancelled(Current.node());
    }

    /** Whether the current scope or task is cancelled, without throwing. */
    public static boolean isCancelled() {
        CancelNode n = Current.node();
        return n != null && n.effectiveReason() != null;
    }

    /** Why the current scope or task is cancelled, if it is. */
    public static Optional<CancelReason> cancelReason() {
        CancelNode n = Current.node();
        return Optional.ofNullable(n == null ? null : n.effectiveReason());
    }

    /**
     * Sleeps for {@code d} on the current scope's clock; a cancellation point.
     *
     * @throws Cancelled                if the scope is cancelled before or during the sleep
     * @throws IllegalArgumentException if {@code d} is negative
     */
    public static void sleep(Duration d) {
        Objects.requireNonNull(d, "d");
        if (d.isNegative()) throw new IllegalArgumentException("cannot sleep for a negative duration (" + d + ")");
        Waits.await(null, clock().after(d), Weft.class);
    }

    /** Sleeps until the wall-clock {@code instant} on the current scope's clock; a cancellation point. */
    public static void sleepUntil(Instant instant) {
        Objects.requireNonNull(instant, "instant");
        Waits.await(null, Deadlines.at(clock(), instant), Weft.class);
    }

    /** The effective deadline here: the nearest one of the enclosing scopes, up to a shield (S6). */
    public static Optional<Instant> deadline() {
        CancelNode n = Current.node();
        long d = n == null ? Deadlines.NONE : n.deadlineNanos();
        if (d == Deadlines.NONE) return Optional.empty();
        return Optional.of(Deadlines.toInstant(n.clock, d));
    }

    /** Time left until {@link #deadline()}; zero once it has passed. */
    public static Optional<Duration> remaining() {
        CancelNode n = Current.node();
        long d = n == null ? Deadlines.NONE : n.deadlineNanos();
        if (d == Deadlines.NONE) return Optional.empty();
        return Optional.of(Duration.ofNanos(Math.max(0, d - n.clock.nanoTime())));
    }

    /** The current scope's clock, or {@link WeftClock#system()} outside any scope. */
    public static WeftClock clock() {
        CancelNode n = Current.node();
        return n == null ? SystemClock.INSTANCE : n.clock;
    }
}
