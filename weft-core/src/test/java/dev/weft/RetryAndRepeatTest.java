package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@link Weft#retry} and {@link Weft#repeat}, on a FakeClock: each wait is seen as a scheduled
 * timer of the exact length, then passed by advancing the clock, so nothing here sleeps.
 */
class RetryAndRepeatTest {

    private final FakeClock clock = new FakeClock();

    /** Runs {@code body} in a task of a scope on the fake clock while this thread plays time. */
    private <T> T onFakeTime(java.util.concurrent.Callable<T> body, int waits, List<Duration> seenWaits) {
        return Scope.builder().clock(clock).run(scope -> {
            Task<T> t = scope.fork("work", body);
            for (int i = 0; i < waits; i++) {
                clock.awaitTimers(1);
                Duration d = clock.pendingDelays().get(0);
                seenWaits.add(d);
                clock.advance(d);
            }
            return t.join();
        });
    }

    @Nested
    class Retry {
        @Test
        void failuresAreRetriedAfterExponentialBackoffOnTheScopesClock() {
            AtomicInteger tries = new AtomicInteger();
            List<Duration> waits = new ArrayList<>();
            String v = onFakeTime(() -> Weft.retry(RetryPolicy.exponential(4, Duration.ofMillis(100), Duration.ofSeconds(1)), () -> {
                if (tries.incrementAndGet() < 3) throw new IOException("try " + tries.get());
                return "ok on try " + tries.get();
            }), 2, waits);
            assertThat(v).isEqualTo("ok on try 3");
            assertThat(waits).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
        }

        @Test
        void theLastFailureIsThrownAsItIsWithTheEarlierOnesAsItsReasons() {
            List<Duration> waits = new ArrayList<>();
            AtomicInteger tries = new AtomicInteger();
            Throwable t = catchThrowable(() -> onFakeTime(() -> Weft.retry(RetryPolicy.exponential(3, Duration.ofSeconds(1), Duration.ofSeconds(1)), () -> {
                throw new IOException("try " + tries.incrementAndGet());
            }), 2, waits));
            // The scope reports the task's failure; its one exception is the last try's.
            Throwable last = ((ExceptionGroup) t).single();
            assertThat(last).isInstanceOf(IOException.class).hasMessage("try 3");
            assertThat(last.getSuppressed()).extracting(Throwable::getMessage).containsExactly("try 1", "try 2");
            assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
        }

        @Test
        void onlyWhatRetryIfAcceptsIsRetried_andErrorsNever() throws Exception {
            AtomicInteger tries = new AtomicInteger();
            assertThatThrownBy(() -> Weft.retry(RetryPolicy.exponential(5, Duration.ZERO, Duration.ZERO),
                    e -> e instanceof IOException, () -> {
                        tries.incrementAndGet();
                        throw new IllegalArgumentException("bad input is not retried");
                    })).isInstanceOf(IllegalArgumentException.class);
            assertThat(tries).hasValue(1);
            assertThatThrownBy(() -> Weft.retry(RetryPolicy.exponential(5, Duration.ZERO, Duration.ZERO), () -> {
                tries.incrementAndGet();
                throw new AssertionError("an Error");
            })).isInstanceOf(AssertionError.class);
            assertThat(tries).hasValue(2);
            assertThat(Weft.retry(RetryPolicy.none(), () -> "one try")).isEqualTo("one try");
        }

        @Test
        void s3_aCancellationIsNeverRetried_andCancelsTheWait() {
            AtomicInteger tries = new AtomicInteger();
            Throwable t = catchThrowable(() -> Scope.builder().clock(clock).run(scope -> {
                Task<Object> task = scope.fork(() -> Weft.retry(RetryPolicy.exponential(10, Duration.ofHours(1), Duration.ofHours(1)), () -> {
                    tries.incrementAndGet();
                    throw new IOException("down");
                }));
                clock.awaitTimers(1); // waiting an hour after the first failure
                scope.cancel("shutting down");
                return task.join();
            }));
            assertThat(t).isInstanceOf(Cancelled.class);
            assertThat(tries).hasValue(1);
            assertThat(clock.pendingTimers()).isZero();
        }

        @Test
        void jitterDrawsEachWaitBetweenItsShareAndTheFullBackoff() {
            RetryPolicy p = RetryPolicy.exponential(5, Duration.ofMillis(100), Duration.ofSeconds(10)).withJitter(0.5);
            SplittableRandom r = new SplittableRandom(42);
            for (int i = 0; i < 1_000; i++) {
                assertThat(p.backoffAfter(3, r)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
            }
            assertThat(p.withJitter(0).backoffAfter(3, r)).isEqualTo(Duration.ofMillis(400));
            assertThat(p.backoffAfter(30)).as("capped").isEqualTo(Duration.ofSeconds(10));
        }

        @Test
        void badPoliciesAreRefusedWithTheReason() {
            assertThatThrownBy(() -> RetryPolicy.exponential(0, Duration.ZERO, Duration.ZERO)).hasMessageContaining("maxAttempts is 0");
            assertThatThrownBy(() -> RetryPolicy.none().withJitter(1.5)).hasMessageContaining("jitter is 1.5");
            assertThatThrownBy(() -> new RetryPolicy(2, Duration.ZERO, 0.5, Duration.ZERO)).hasMessageContaining("multiplier is 0.5");
            assertThatThrownBy(() -> RetryPolicy.exponential(2, Duration.ofSeconds(-1), Duration.ZERO)).hasMessageContaining("negative");
        }
    }

    @Nested
    class Repeat {
        @Test
        void fixedDelayWaitsAfterEachRunAndStopsAfterItsTimes() {
            List<Long> startedAt = new CopyOnWriteArrayList<>();
            List<Duration> waits = new ArrayList<>();
            Integer last = onFakeTime(() -> Weft.repeat(Schedule.fixedDelay(Duration.ofSeconds(5)).times(3), () -> {
                startedAt.add(clock.nanoTime());
                return startedAt.size();
            }), 2, waits);
            assertThat(last).isEqualTo(3);
            assertThat(waits).containsExactly(Duration.ofSeconds(5), Duration.ofSeconds(5));
            assertThat(startedAt).containsExactly(0L, 5_000_000_000L, 10_000_000_000L);
        }

        @Test
        void fixedRateKeepsItsSlotsAndDoesNotBurstAfterAnOverrun() {
            List<Long> startedAt = new CopyOnWriteArrayList<>();
            List<Duration> waits = new ArrayList<>();
            onFakeTime(() -> Weft.repeat(Schedule.fixedRate(Duration.ofSeconds(10)).times(4), () -> {
                startedAt.add(clock.nanoTime());
                if (startedAt.size() == 2) Weft.sleep(Duration.ofSeconds(25)); // overruns two slots
                else Weft.sleep(Duration.ofSeconds(3));
                return null;
            }), 7, waits);
            // Runs start at 0, 10; the second runs until 35, so the third starts at the first slot
            // not yet past (40), not at once to catch up on 20 and 30; the fourth at 50.
            assertThat(startedAt).containsExactly(0L, 10_000_000_000L, 40_000_000_000L, 50_000_000_000L);
            assertThat(waits).containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(7), Duration.ofSeconds(25),
                    Duration.ofSeconds(5), Duration.ofSeconds(3), Duration.ofSeconds(7), Duration.ofSeconds(3));
        }

        @Test
        void aFailingRunEndsTheRepeatAtOnce_andWithoutALimitOnlyCancellationEndsIt() {
            AtomicInteger runs = new AtomicInteger();
            assertThatThrownBy(() -> Weft.repeat(Schedule.fixedDelay(Duration.ZERO), () -> {
                if (runs.incrementAndGet() == 3) throw new IOException("third run fails");
                return null;
            })).isInstanceOf(IOException.class);
            assertThat(runs).hasValue(3);

            Throwable t = catchThrowable(() -> Scope.builder().clock(clock).run(scope -> {
                Task<Object> forever = scope.fork(() -> Weft.repeat(Schedule.fixedDelay(Duration.ofMinutes(1)), () -> null));
                clock.awaitTimers(1);
                clock.advance(Duration.ofMinutes(1));
                clock.awaitTimers(1);
                scope.cancel("enough");
                return forever.join();
            }));
            assertThat(t).isInstanceOf(Cancelled.class);
        }

        @Test
        void badSchedulesAreRefused() {
            assertThatThrownBy(() -> Schedule.fixedRate(Duration.ofSeconds(-1))).hasMessageContaining("interval is negative");
            assertThatThrownBy(() -> Schedule.fixedDelay(Duration.ZERO).times(0)).hasMessageContaining("times is 0");
            assertThat(Schedule.fixedRate(Duration.ofSeconds(1)).times(3)).hasToString("fixedRate(PT1S).times(3)");
        }
    }
}
