package dev.weft;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How often failing work is tried and how long to wait between tries: exponential backoff from
 * {@code initialBackoff}, multiplied by {@code multiplier} after each failure, capped at
 * {@code maxBackoff}, with optional jitter. Used by {@link Weft#retry}, by the event bus's
 * handlers and transports, and by the Redis worker; waits run on the scope's (or bus's) clock, so
 * a {@link FakeClock} drives them in tests.
 *
 * <pre>{@code
 * RetryPolicy.exponential(5, Duration.ofMillis(100), Duration.ofSeconds(10))  // 100, 200, 400, 800 ms
 *            .withJitter(0.5)                                                // each wait in [50%, 100%] of that
 * RetryPolicy.none()                                                         // one try
 * }</pre>
 *
 * <h2>Jitter</h2>
 * With jitter {@code j}, the wait after a failure is drawn uniformly from
 * {@code [base * (1 - j), base]}, where {@code base} is the exponential backoff: 0 (the default)
 * waits exactly {@code base}, which makes tests exact; 1 is "full jitter" (anywhere from 0 to
 * {@code base}), which spreads out many clients retrying against one server.
 *
 * @param maxAttempts    tries in all, at least 1
 * @param initialBackoff the wait after the first failure
 * @param multiplier     at least 1
 * @param maxBackoff     the longest wait
 * @param jitter         from 0 (none) to 1 (full)
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff, double jitter) {

    /** @throws IllegalArgumentException if a value is out of range, saying which and what is allowed */
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts is " + maxAttempts + ": work is tried at least once (use 1 for no retries)");
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoff is negative (" + initialBackoff + ", max " + maxBackoff + "): use Duration.ZERO to retry at once");
        }
        if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier is " + multiplier + ": it must be a finite number of at least 1 (1 keeps the wait constant)");
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter is " + jitter + ": it must be from 0 (none) to 1 (full jitter)");
        }
    }

    /** A policy without jitter. */
    public RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff) {
        this(maxAttempts, initialBackoff, multiplier, maxBackoff, 0);
    }

    /** One try, no retries. */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, 1, Duration.ZERO);
    }

    /** {@code maxAttempts} tries, waits doubling from {@code initial} up to {@code max}, no jitter. */
    public static RetryPolicy exponential(int maxAttempts, Duration initial, Duration max) {
        return new RetryPolicy(maxAttempts, initial, 2, max);
    }

    /**
     * Tries until the work succeeds (or the caller is cancelled): waits doubling from
     * {@code initial} up to {@code max}, no jitter. For failures that are an outage, not a bad
     * request: an event bus's transports retry a broker outage with
     * {@code unlimited(100 ms, 5 s)} while their bounded queue makes emitters wait.
     */
    public static RetryPolicy unlimited(Duration initial, Duration max) {
        return exponential(Integer.MAX_VALUE, initial, max);
    }

    /** Whether this policy tries until the work succeeds. */
    public boolean isUnlimited() {
        return maxAttempts == Integer.MAX_VALUE;
    }

    /** 3 tries, waits of 100 ms and 200 ms (capped at 30 s), no jitter: the default of a bus and a worker. */
    public static RetryPolicy defaults() {
        return exponential(3, Duration.ofMillis(100), Duration.ofSeconds(30));
    }

    /** This policy with the given jitter (see the class comment). */
    public RetryPolicy withJitter(double jitter) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, maxBackoff, jitter);
    }

    /** This policy with {@code maxAttempts} tries in all. */
    public RetryPolicy withMaxAttempts(int maxAttempts) {
        return new RetryPolicy(maxAttempts, initialBackoff, multiplier, maxBackoff, jitter);
    }

    /** The wait after failed try number {@code attempt} (1-based), before jitter: the exponential backoff, capped. */
    public Duration backoffAfter(int attempt) {
        double nanos = initialBackoff.toNanos() * Math.pow(multiplier, Math.max(0, attempt - 1));
        long capped = (long) Math.min(nanos, (double) maxBackoff.toNanos());
        return Duration.ofNanos(capped);
    }

    /** The wait after failed try number {@code attempt}, with jitter drawn from {@code random}. */
    public Duration backoffAfter(int attempt, RandomGenerator random) {
        Duration base = backoffAfter(attempt);
        if (jitter == 0 || base.isZero()) return base;
        double factor = 1 - jitter * random.nextDouble(); // in (1 - jitter, 1]
        return Duration.ofNanos((long) (base.toNanos() * factor));
    }
}
