package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The FakeClock that deadline tests rely on: time moves only on advance, actions run in due order. */
class FakeClockTest {

    private static final long SECOND = 1_000_000_000L;

    private final FakeClock clock = new FakeClock();

    @Test
    void startsAtTheGivenInstantAndMovesOnlyOnAdvance() {
        assertThat(clock.nanoTime()).isZero();
        assertThat(clock.instant()).isEqualTo(Instant.parse("2000-01-01T00:00:00Z"));
        FakeClock custom = new FakeClock(Instant.parse("2030-06-01T12:00:00Z"));
        custom.advance(Duration.ofMillis(1500));
        assertThat(custom.nanoTime()).isEqualTo(1_500_000_000L);
        assertThat(custom.instant()).isEqualTo(Instant.parse("2030-06-01T12:00:01.500Z"));
        assertThat(clock.after(Duration.ofSeconds(2))).isEqualTo(2 * SECOND);
    }

    @Test
    void advanceRunsDueActionsInTimeOrderAndLeavesLaterOnes() {
        List<String> ran = new CopyOnWriteArrayList<>();
        List<Long> seenTime = new CopyOnWriteArrayList<>();
        clock.schedule(3 * SECOND, () -> ran.add("3s"));
        clock.schedule(1 * SECOND, () -> {
            ran.add("1s");
            seenTime.add(clock.nanoTime());
        });
        clock.schedule(2 * SECOND, () -> ran.add("2s-a"));
        clock.schedule(2 * SECOND, () -> ran.add("2s-b"));
        clock.schedule(5 * SECOND, () -> ran.add("5s"));
        assertThat(clock.pendingTimers()).isEqualTo(5);

        clock.advance(Duration.ofSeconds(3));
        assertThat(ran).containsExactly("1s", "2s-a", "2s-b", "3s");
        assertThat(seenTime).as("an action sees the clock at its own due time").containsExactly(SECOND);
        assertThat(clock.nanoTime()).isEqualTo(3 * SECOND);
        assertThat(clock.pendingDelays()).containsExactly(Duration.ofSeconds(2));

        clock.advance(Duration.ofSeconds(2));
        assertThat(ran).endsWith("5s");
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void anActionScheduledByAnActionWithinTheWindowRunsInTheSameAdvance() {
        List<String> ran = new CopyOnWriteArrayList<>();
        clock.schedule(SECOND, () -> {
            ran.add("first");
            clock.schedule(clock.nanoTime() + SECOND, () -> ran.add("second"));
        });
        clock.advance(Duration.ofSeconds(2));
        assertThat(ran).containsExactly("first", "second");
    }

    @Test
    void negativeAdvanceIsRejected() {
        assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("time never goes back");
        assertThat(clock.nanoTime()).isZero();
        clock.advance(Duration.ZERO);
        assertThat(clock.nanoTime()).isZero();
    }

    @Test
    void scheduleAtOrBeforeNowRunsAtOnceOnTheCallingThread() {
        clock.advance(Duration.ofSeconds(10));
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        clock.schedule(10 * SECOND, () -> ranOn.set(Thread.currentThread()));
        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
        ranOn.set(null);
        WeftClock.Scheduled past = clock.schedule(0, () -> ranOn.set(Thread.currentThread()));
        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
        past.cancel(); // harmless
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void aCancelledScheduleDoesNotRun() {
        List<String> ran = new CopyOnWriteArrayList<>();
        WeftClock.Scheduled a = clock.schedule(SECOND, () -> ran.add("a"));
        clock.schedule(2 * SECOND, () -> ran.add("b"));
        a.cancel();
        a.cancel(); // idempotent
        assertThat(clock.pendingTimers()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(5));
        assertThat(ran).containsExactly("b");
    }

    @Test
    void awaitTimersWaitsForSleepersAndPendingDelaysShowsThem() {
        List<String> early = new CopyOnWriteArrayList<>();
        List<Task<Object>> sleepers = new CopyOnWriteArrayList<>();
        Scope.builder().clock(clock).run(s -> {
            for (int i = 1; i <= 3; i++) {
                Duration d = Duration.ofSeconds(i);
                sleepers.add(s.fork(() -> {
                    Weft.sleep(d);
                    if (clock.nanoTime() < d.toNanos()) early.add(d + " woke at " + clock.nanoTime());
                    return null;
                }));
            }
            clock.awaitTimers(3);
            assertThat(clock.pendingDelays())
                    .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3));
            clock.advance(Duration.ofSeconds(2));
            assertThat(clock.pendingDelays()).containsExactly(Duration.ofSeconds(1));
            sleepers.get(0).join();
            sleepers.get(1).join();
            assertThat(sleepers.get(2).isDone()).isFalse();
            clock.advance(Duration.ofSeconds(1));
            return null;
        });
        assertThat(early).isEmpty();
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void aJoinRacingTheSleepersWakeUpNeverLosesIt() {
        // Regression: a wait used to check its condition, then read the fake clock under a lock;
        // when that lock was contended, its park used up the joined task's unpark and the join
        // slept forever. Hung within a few rounds before the fix.
        for (int round = 0; round < 500; round++) {
            FakeClock c = new FakeClock();
            Scope.builder().clock(c).run(s -> {
                List<Task<Object>> sleepers = new ArrayList<>();
                for (int i = 1; i <= 3; i++) {
                    Duration d = Duration.ofSeconds(i);
                    sleepers.add(s.fork(() -> {
                        Weft.sleep(d);
                        return null;
                    }));
                }
                c.awaitTimers(3);
                c.advance(Duration.ofSeconds(2)); // two sleepers wake together and use the clock
                sleepers.get(0).join();
                sleepers.get(1).join();
                c.advance(Duration.ofSeconds(1));
                return null;
            });
        }
    }

    @Test
    void awaitTimersGivesUpWithAClearMessage() {
        assertThatThrownBy(() -> clock.awaitTimers(1, Duration.ofMillis(20)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("for 1 scheduled timers, but only 0 are scheduled");
    }

    @Test
    void weftSleepOnAFakeClockWakesOnlyOnAdvance() {
        Scope.builder().clock(clock).run(s -> {
            Task<Long> sleeper = s.fork(() -> {
                Weft.sleep(Duration.ofSeconds(10));
                return clock.nanoTime();
            });
            clock.awaitTimers(1);
            clock.advance(Duration.ofSeconds(9));
            assertThat(sleeper.isDone()).isFalse();
            assertThat(clock.pendingDelays()).as("still asleep, one second to go").containsExactly(Duration.ofSeconds(1));
            clock.advance(Duration.ofSeconds(1));
            assertThat(sleeper.join()).isGreaterThanOrEqualTo(10 * SECOND);
            return null;
        });
    }

    @Test
    void weftSleepUntilAnInstantUsesTheFakeClock() {
        Scope.builder().clock(clock).run(s -> {
            Instant wake = clock.instant().plusSeconds(60);
            Task<Instant> sleeper = s.fork(() -> {
                Weft.sleepUntil(wake);
                return clock.instant();
            });
            clock.awaitTimers(1);
            assertThat(clock.pendingDelays()).containsExactly(Duration.ofSeconds(60));
            clock.advance(Duration.ofMinutes(1));
            assertThat(sleeper.join()).isEqualTo(wake);
            assertThat(Weft.clock()).isSameAs(clock);
            return null;
        });
        assertThat(Weft.clock()).isSameAs(WeftClock.system());
    }

    @Test
    void aCancelledSleepRemovesItsTimer() {
        Scope.builder().clock(clock).run(s -> {
            Task<Object> sleeper = s.fork(() -> {
                Weft.sleep(Duration.ofHours(1));
                return null;
            });
            clock.awaitTimers(1);
            sleeper.cancel("wake up");
            assertThatThrownBy(sleeper::join).isInstanceOf(TaskCancelledException.class);
            return null;
        });
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void hugeAdvancesSaturate() {
        clock.advance(Duration.ofSeconds(Long.MAX_VALUE));
        assertThat(clock.nanoTime()).isEqualTo(Long.MAX_VALUE);
        clock.advance(Duration.ofDays(1));
        assertThat(clock.nanoTime()).isEqualTo(Long.MAX_VALUE);
    }
}
