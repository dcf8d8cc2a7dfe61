package dev.weft;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

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

    /**
     * Calls {@code work}, and again after a backoff each time it fails with an exception, up to
     * {@code policy.maxAttempts()} tries in all. The waits run on the scope's clock (a
     * {@link FakeClock} drives them in tests) and are cancellation points: a cancellation, an
     * interrupt or an {@link Error} is never retried. The last failure is thrown as it is, so
     * {@code catch (IOException e)} still works, with the failures of the earlier tries attached
     * as {@linkplain Throwable#getSuppressed() suppressed} exceptions: the reasons of every retry.
     *
     * <pre>{@code
     * String page = Weft.retry(RetryPolicy.exponential(4, ofMillis(200), ofSeconds(2)).withJitter(0.5),
     *                          () -> http.get(url));
     * }</pre>
     *
     * @throws Exception the last failure, with the earlier ones suppressed
     * @throws Cancelled if the current scope is cancelled, before a try or during a wait
     */
    public static <T> T retry(RetryPolicy policy, Callable<T> work) throws Exception {
        return Retries.retry(policy, Retries.EXCEPTIONS, work);
    }

    /**
     * As {@link #retry(RetryPolicy, Callable)}, retrying only the failures {@code retryIf}
     * accepts; any other is thrown at once.
     *
     * <pre>{@code Weft.retry(policy, e -> e instanceof IOException, () -> fetch(url));}</pre>
     */
    public static <T> T retry(RetryPolicy policy, Predicate<? super Throwable> retryIf, Callable<T> work) throws Exception {
        return Retries.retry(policy, t -> t instanceof Exception && retryIf.test(t), work);
    }

    /**
     * Runs {@code work} as {@code schedule} says, on the scope's clock, until the schedule has
     * run it the number of {@linkplain Schedule#times times} it allows (then returns the last
     * result), the work throws (then that is thrown at once), or the scope is cancelled. With no
     * limit on the number of runs it returns only by cancellation: run it in a task or under a
     * deadline.
     *
     * <pre>{@code
     * scope.forkBackground(() -> Weft.repeat(Schedule.fixedRate(ofSeconds(10)), () -> flushMetrics()));
     * }</pre>
     *
     * @throws Cancelled if the current scope is cancelled, between runs or during one that waits
     */
    public static <T> T repeat(Schedule schedule, Callable<T> work) throws Exception {
        return Retries.repeat(schedule, work);
    }

    /** The current scope's clock, or {@link WeftClock#system()} outside any scope. */
    public static WeftClock clock() {
        CancelNode n = Current.node();
        return n == null ? SystemClock.INSTANCE : n.clock;
    }
}
