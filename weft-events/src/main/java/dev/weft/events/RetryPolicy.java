package dev.weft.events;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a failing handler is tried, and how long the bus waits between tries (rule E5):
 * exponential backoff from {@code initialBackoff}, multiplied by {@code multiplier} after each
 * failure, capped at {@code maxBackoff}. After {@code maxAttempts} failures the event goes to the
 * dead-letter store. Waits run on the bus's clock, so a {@link dev.weft.FakeClock} drives them in tests.
 *
 * <pre>{@code
 * RetryPolicy.exponential(5, Duration.ofMillis(100), Duration.ofSeconds(10)) // 100ms, 200ms, 400ms, 800ms
 * RetryPolicy.none()                                                        // one try, then dead letter
 * }</pre>
 *
 * @param maxAttempts    tries in all, at least 1
 * @param initialBackoff the wait after the first failure
 * @param multiplier     at least 1
 * @param maxBackoff     the longest wait
 */
// No jitter: waits are deterministic so tests can advance a fake clock by exact amounts. The
// handlers of one process retry independently (each has its own queue), so there is no herd.
public record RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff) {

    /** @throws IllegalArgumentException if a value is out of range, saying which */
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts is " + maxAttempts + ": a handler is tried at least once (use 1 for no retries)");
        if (initialBackoff.isNegative() || maxBackoff.isNegative()) throw new IllegalArgumentException("backoff is negative");
        if (!(multiplier >= 1)) throw new IllegalArgumentException("multiplier is " + multiplier + ": it must be at least 1");
    }

    /** One try, no retries. */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, 1, Duration.ZERO);
    }

    /** {@code maxAttempts} tries, waits doubling from {@code initial} up to {@code max}. */
    public static RetryPolicy exponential(int maxAttempts, Duration initial, Duration max) {
        return new RetryPolicy(maxAttempts, initial, 2, max);
    }

    /** The default of a bus: 3 tries, waits of 100 ms and 200 ms. */
    public static RetryPolicy defaults() {
        return exponential(3, Duration.ofMillis(100), Duration.ofSeconds(30));
    }

    /**
     * The default of a transport's outbox (issue 13): tries until the broker confirms, waiting 100 ms
     * after the first failure, doubling up to 5 s. A broker outage is not a bad event, so it never
     * makes a dead letter; the bus's bounded queue (E7) makes emitters wait or fail meanwhile.
     */
    public static RetryPolicy untilPublished() {
        return exponential(Integer.MAX_VALUE, Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    /** The wait after failed try number {@code attempt} (1-based). */
    public Duration backoffAfter(int attempt) {
        double nanos = initialBackoff.toNanos() * Math.pow(multiplier, Math.max(0, attempt - 1));
        long capped = (long) Math.min(nanos, (double) maxBackoff.toNanos());
        return Duration.ofNanos(capped);
    }
}
