package dev.weft;

import static dev.weft.TestSupport.await;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.weft.channels.Channel;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * {@link FakeClock#autojump()}: the clock jumps to its next timer exactly when every thread of the
 * trees on it is blocked in a Weft wait (Trio's {@code MockClock(autojump_threshold=0)}), and
 * never while one is busy or blocked outside Weft. No test here scripts the time.
 */
class AutojumpTest {

    private final FakeClock clock = new FakeClock().autojump();

    @Test
    void s6_aThirtySecondDeadlinePassesInNoRealTime() {
        Throwable t = catchThrowable(() -> Scope.builder().clock(clock).timeout(Duration.ofSeconds(30)).run(scope -> {
            scope.fork(() -> {
                Weft.sleep(Duration.ofMinutes(5));
                return null;
            });
            return Channel.<String>rendezvous().receiver().receive(); // nobody ever sends
        }));
        assertThat(t).isInstanceOf(DeadlineExceeded.class);
        assertThat(clock.nanoTime()).isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void sleepsInSequenceAddUpExactly() {
        List<Long> wokeAt = new CopyOnWriteArrayList<>();
        Scope.builder().clock(clock).run(scope -> {
            scope.fork(() -> {
                Weft.sleep(Duration.ofSeconds(5));
                wokeAt.add(clock.nanoTime());
                Weft.sleep(Duration.ofSeconds(10));
                wokeAt.add(clock.nanoTime());
                return null;
            });
            scope.fork(() -> {
                Weft.sleep(Duration.ofSeconds(7));
                wokeAt.add(clock.nanoTime());
                return null;
            });
            return null;
        });
        assertThat(wokeAt).containsExactly(5_000_000_000L, 7_000_000_000L, 15_000_000_000L);
    }

    @Test
    void timedWaitsAndRetriesRunOnTheJumpingClock() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        String v = Scope.builder().clock(clock).run(scope -> {
            Optional<String> none = Channel.<String>rendezvous().receiver().receive(Duration.ofSeconds(2));
            assertThat(none).isEmpty();
            return Weft.retry(RetryPolicy.exponential(3, Duration.ofSeconds(1), Duration.ofSeconds(10)), () -> {
                if (tries.incrementAndGet() < 3) throw new IOException("not yet");
                return "third try";
            });
        });
        assertThat(v).isEqualTo("third try");
        assertThat(clock.nanoTime()).isEqualTo(Duration.ofSeconds(2 + 1 + 2).toNanos());
    }

    @Test
    void aThreadBlockedOutsideWeftHoldsTheTimeStill() throws Throwable {
        CountDownLatch jdkLatch = new CountDownLatch(1);
        AtomicReference<Thread> sleeper = new AtomicReference<>();
        AtomicReference<Thread> holder = new AtomicReference<>();
        FutureTask<Long> run = TestSupport.inThread(() -> Scope.builder().clock(clock).run(scope -> {
            scope.fork(() -> {
                sleeper.set(Thread.currentThread());
                Weft.sleep(Duration.ofHours(1));
                return null;
            });
            scope.fork(() -> {
                holder.set(Thread.currentThread());
                jdkLatch.await(); // not a Weft wait: this task counts as busy
                return null;
            });
            return null;
        }) == null ? clock.nanoTime() : -1L);
        spinUntil("both tasks to block", () -> parkedOn(sleeper.get(), Weft.class) && holder.get() != null && LockSupport.getBlocker(holder.get()) != null
                && LockSupport.getBlocker(holder.get()) != Weft.class);
        // Every event that could trigger a jump has happened (both tasks parked); the busy one held it.
        assertThat(clock.nanoTime()).isZero();
        jdkLatch.countDown(); // the holder ends: now everyone waits in Weft, and the clock jumps
        assertThat(TestSupport.outcome(run)).isEqualTo(Duration.ofHours(1).toNanos());
    }

    @Test
    void everyTreeOnTheClockMustWait() throws Throwable {
        CountDownLatch secondMayWait = new CountDownLatch(1);
        AtomicReference<Thread> busy = new AtomicReference<>();
        // The second tree opens first and blocks outside Weft; only then does the first one sleep.
        FutureTask<Long> second = TestSupport.inThread(() -> Scope.builder().clock(clock).run(scope -> {
            busy.set(Thread.currentThread());
            await(secondMayWait); // this tree is busy: the first tree's sleep must not jump
            Weft.sleep(Duration.ofSeconds(8));
            return clock.nanoTime();
        }));
        spinUntil("the second tree to block outside Weft", () -> busy.get() != null && LockSupport.getBlocker(busy.get()) != null);
        FutureTask<Long> first = TestSupport.inThread(() -> Scope.builder().clock(clock).run(scope -> {
            Weft.sleep(Duration.ofSeconds(5));
            return clock.nanoTime();
        }));
        clock.awaitTimers(1); // the first tree's sleep is scheduled, and its thread about to park
        spinUntil("the first tree to sleep", () -> clock.pendingTimers() == 1);
        assertThat(clock.nanoTime()).isZero();
        secondMayWait.countDown();
        assertThat(TestSupport.outcome(first)).isEqualTo(5_000_000_000L);
        assertThat(TestSupport.outcome(second)).isEqualTo(8_000_000_000L);
    }

    @Test
    void withoutAutojumpTheClockMovesOnlyWhenAdvanced() {
        FakeClock still = new FakeClock();
        assertThat(still.isAutojump()).isFalse();
        Scope.builder().clock(still).run(scope -> {
            Task<Long> t = scope.fork(() -> {
                Weft.sleep(Duration.ofSeconds(3));
                return still.nanoTime();
            });
            still.awaitTimers(1);
            assertThat(still.nanoTime()).isZero();
            still.advance(Duration.ofSeconds(3));
            assertThat(t.join()).isEqualTo(3_000_000_000L);
            return null;
        });
    }

    /** Whether {@code t} is parked with {@code blocker} (a Weft sleep parks with {@code Weft.class}). */
    private static boolean parkedOn(Thread t, Object blocker) {
        return t != null && LockSupport.getBlocker(t) == blocker;
    }
}
