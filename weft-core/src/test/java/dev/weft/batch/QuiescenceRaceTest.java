package dev.weft.batch;

import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import dev.weft.WeftClock;
import static dev.weft.batch.LoaderTestSupport.NEVER;
import static dev.weft.TestSupport.await;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.batch.LoaderTestSupport.Calls;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * B1 at the instant a quiescence check looks at the tree: the check is a walk over the tree, not
 * an atomic snapshot, so the tree can change while it walks. These tests stop a walk in the
 * middle, deterministically, change the tree, and let the walk go on: it must not call the tree
 * quiescent unless there was an instant at which every thread was blocked.
 *
 * <p>How a walk is stopped: a task sleeps on a clock whose {@code nanoTime()} blocks when a
 * quiescence walk on the thread under test asks it whether the sleeper's time is up. A walk
 * visits children newest first, so the children forked after the sleeper have been looked at by
 * then, and the ones forked before it, and the scope's owner, have not. (White-box: the order is
 * the walk's, see {@code Quiescence.busyIn}.)
 *
 * <p>Both failed on the old code every time: the first is the split the issue saw (a level sent as
 * 6 keys then 10, "tasks forked while the tree was judged quiescent"); the second is the same kind
 * of split through a wake-up instead of a fork.
 */
class QuiescenceRaceTest {

    private final PausingClock clock = new PausingClock();
    private final Calls calls = new Calls();
    private final Loader<Long, String> loader = Loader.builder(calls.recording("keys", (Long k) -> "v" + k))
            .name("keys").maxDelay(NEVER).build();

    @Test
    void b1_tasksForkedWhileAWalkIsUnderWayKeepTheTreeAwake() throws Exception {
        CountDownLatch gate = new CountDownLatch(1); // holds the late tasks outside Weft: busy (B1)
        AtomicReference<Thread> sleeperThread = new AtomicReference<>();
        AtomicReference<Thread> walkerThread = new AtomicReference<>();
        Thread body = Thread.currentThread();
        List<String> values = new ArrayList<>();

        Scope.builder().clock(clock).name("request").run(scope -> {
            Task<Void> sleeper = scope.fork("sleeper", () -> {
                sleeperThread.set(Thread.currentThread());
                Weft.sleep(Duration.ofDays(365));
                return null;
            });
            spinUntil("the sleeper to park", () -> parked(sleeperThread.get()));
            clock.pauseNextWalkOn("walker");
            Task<String> walker = scope.fork("walker", () -> {
                walkerThread.set(Thread.currentThread());
                return loader.load(1L);
            });
            clock.awaitPaused(); // the walker's check has looked at itself, not yet at the sleeper or the body

            List<Task<String>> late = new ArrayList<>();
            for (long k = 2; k <= 5; k++) {
                long key = k;
                late.add(scope.fork("late-" + k, () -> {
                    gate.await();
                    return loader.load(key);
                }));
            }
            Thread driver = Thread.ofPlatform().start(() -> {
                spinUntil("the body to wait for the walker", () -> LockSupport.getBlocker(body) == walker);
                clock.resume(); // the walk goes on: the sleeper, then the body, now parked
                spinUntil("the walker's check to end", () -> walker.state().isDone()
                        || LockSupport.getBlocker(walkerThread.get()) instanceof LoadSlot<?, ?>);
                gate.countDown();
            });
            values.add(walker.join());
            for (Task<String> t : late) values.add(t.join());
            driver.join();
            sleeper.cancel("done");
            return null;
        });

        assertThat(values).containsExactly("v1", "v2", "v3", "v4", "v5");
        assertThat(calls.calls).as("one batch: the late tasks were busy while the walk looked elsewhere")
                .hasSize(1);
        assertThat(calls.calls.get(0).keySet()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(loader.statistics().batches(DispatchReason.QUIESCENCE)).isEqualTo(1);
    }

    @Test
    void b1_aThreadWokenWhileAWalkIsUnderWayKeepsTheTreeAwake() throws Exception {
        CountDownLatch bGate = new CountDownLatch(1);
        CountDownLatch aGate = new CountDownLatch(1);
        CountDownLatch aJoined = new CountDownLatch(1);
        AtomicReference<Thread> sleeperThread = new AtomicReference<>();
        AtomicReference<Thread> aThread = new AtomicReference<>();
        AtomicReference<Thread> walkerThread = new AtomicReference<>();
        Thread body = Thread.currentThread();
        List<String> values = new ArrayList<>();

        Scope.builder().clock(clock).name("request").run(scope -> {
            // Forked oldest to newest: b (busy outside Weft), the sleeper, a (joins b), the walker.
            Task<String> b = scope.fork("b", () -> {
                bGate.await();
                return "b";
            });
            Task<Void> sleeper = scope.fork("sleeper", () -> {
                sleeperThread.set(Thread.currentThread());
                Weft.sleep(Duration.ofDays(365));
                return null;
            });
            spinUntil("the sleeper to park", () -> parked(sleeperThread.get()));
            Task<String> a = scope.fork("a", () -> {
                aThread.set(Thread.currentThread());
                b.join();
                aJoined.countDown();
                aGate.await(); // awake and busy outside Weft: about to load
                return loader.load(2L);
            });
            spinUntil("a to wait for b", () -> aThread.get() != null && LockSupport.getBlocker(aThread.get()) == b);
            clock.pauseNextWalkOn("walker");
            Task<String> walker = scope.fork("walker", () -> {
                walkerThread.set(Thread.currentThread());
                return loader.load(1L);
            });
            clock.awaitPaused(); // the walk has seen the walker and a blocked; b and the body not yet

            Thread driver = Thread.ofPlatform().start(() -> {
                try {
                    bGate.countDown(); // b ends, which wakes a: a is runnable, then busy
                    await(aJoined);
                    spinUntil("the body to wait for the walker", () -> LockSupport.getBlocker(body) == walker);
                    clock.resume(); // the walk goes on: the sleeper, b (finished), the body (parked)
                    spinUntil("the walker's check to end", () -> walker.state().isDone()
                            || LockSupport.getBlocker(walkerThread.get()) instanceof LoadSlot<?, ?>);
                    aGate.countDown();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            values.add(walker.join());
            values.add(a.join());
            driver.join();
            sleeper.cancel("done");
            return b.join();
        });

        assertThat(values).containsExactly("v1", "v2");
        assertThat(calls.calls).as("one batch: a was woken while the walk looked elsewhere").hasSize(1);
        assertThat(calls.calls.get(0).keySet()).containsExactly(1L, 2L);
    }

    private static boolean parked(Thread t) {
        return t != null && LockSupport.getBlocker(t) != null;
    }

    /**
     * A FakeClock whose {@code nanoTime()} blocks once, when a quiescence walk on the named
     * thread asks it whether a sleeper's time is up, until the test resumes it.
     */
    static final class PausingClock implements WeftClock {
        private final FakeClock fake = new FakeClock();
        private volatile String pauseOn;
        private final CountDownLatch paused = new CountDownLatch(1);
        private final CountDownLatch resume = new CountDownLatch(1);

        void pauseNextWalkOn(String threadName) {
            pauseOn = threadName;
        }

        void awaitPaused() throws InterruptedException {
            await(paused);
        }

        void resume() {
            resume.countDown();
        }

        @Override
        public long nanoTime() {
            String name = pauseOn;
            if (name != null && Thread.currentThread().getName().equals(name) && inQuiescenceWalk()) {
                pauseOn = null;
                paused.countDown();
                try {
                    await(resume);
                } catch (InterruptedException e) {
                    throw new AssertionError("interrupted while paused in a walk", e);
                }
            }
            return fake.nanoTime();
        }

        private static boolean inQuiescenceWalk() {
            return StackWalker.getInstance().walk(frames -> frames.anyMatch(
                    f -> f.getClassName().equals("dev.weft.Quiescence$Parked") && f.getMethodName().equals("blocked")));
        }

        @Override
        public Instant instant() {
            return fake.instant();
        }

        @Override
        public Scheduled schedule(long atNanos, Runnable action) {
            return fake.schedule(atNanos, action);
        }
    }
}
