package dev.weft;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/** The loops behind {@link Weft#retry} and {@link Weft#repeat}; see there for what they promise. */
final class Retries {
    private Retries() {}

    /** Retries what an ordinary failure is: an Exception that is no cancellation or interrupt. */
    static final Predicate<Throwable> EXCEPTIONS = t -> t instanceof Exception;

    static <T> T retry(RetryPolicy policy, Predicate<? super Throwable> retryIf, Callable<T> work) throws Exception {
        Objects.requireNonNull(policy, "policy: pass a RetryPolicy, e.g. RetryPolicy.exponential(3, ofMillis(100), ofSeconds(5))");
        Objects.requireNonNull(retryIf, "retryIf: pass which failures to retry, e.g. e -> e instanceof IOException");
        Objects.requireNonNull(work, "work: pass the code to try");
        // The failures of earlier tries, attached to the last one (bounded, so a policy of a
        // million tries keeps the first 63 reasons, not a million).
        Throwable[] earlier = new Throwable[Math.min(policy.maxAttempts(), 64) - 1];
        int kept = 0;
        for (int attempt = 1; ; attempt++) {
            Weft.checkpoint();
            try {
                return work.call();
            } catch (Throwable t) {
                // A cancellation is never retried, and is thrown as it is (S3).
                boolean cancelled = Weft.isCancelled() || t instanceof Cancelled || CancelNode.isForeignInterrupt(t);
                if (cancelled || attempt >= policy.maxAttempts() || !retryIf.test(t)) {
                    if (!cancelled) {
                        for (int i = 0; i < kept; i++) if (earlier[i] != t) t.addSuppressed(earlier[i]);
                    }
                    if (t instanceof Exception e) throw e;
                    throw (Error) t;
                }
                if (kept < earlier.length) earlier[kept++] = t;
                Weft.sleep(policy.backoffAfter(attempt, ThreadLocalRandom.current()));
            }
        }
    }

    static <T> T repeat(Schedule schedule, Callable<T> work) throws Exception {
        Objects.requireNonNull(schedule, "schedule: pass when to run, e.g. Schedule.fixedDelay(Duration.ofSeconds(5))");
        Objects.requireNonNull(work, "work: pass the code to run");
        WeftClock clock = Weft.clock();
        if (!schedule.initialDelay().isZero()) Weft.sleep(schedule.initialDelay());
        long interval = schedule.interval().toNanos();
        long start = clock.nanoTime();
        for (long run = 1; ; run++) {
            Weft.checkpoint();
            T last = work.call();
            if (run >= schedule.times()) return last;
            if (interval == 0) continue;
            if (!schedule.isFixedRate()) {
                Weft.sleep(schedule.interval());
                continue;
            }
            // Run k+1 starts in slot k (start + k * interval), or in the first slot not yet past if
            // this run overran: no burst of catch-up runs after a stall.
            long now = clock.nanoTime();
            long slotsPast = Math.floorDiv(now - start + interval - 1, interval); // ceil((now - start) / interval)
            long wake = start + Math.max(run, slotsPast) * interval;
            if (wake > now) Weft.sleep(Duration.ofNanos(wake - now));
        }
    }
}
