package dev.weft.sync;

import dev.weft.Cancelled;
import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TestSupport;
import dev.weft.Weft;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * C6 for {@link Condition}: await needs the mutex, gives it up while waiting and holds it again
 * on every way out (cancellation included); signals go FIFO and are never lost to a waiter that
 * gives up.
 */
@SuppressWarnings("try") // try (Permit held = mutex.lock()) { ... } never reads `held`: that is the idiom
class ConditionTest {

    private final Mutex mutex = new Mutex();
    private final Condition cond = mutex.newCondition();

    @AfterEach
    void atRest() {
        cond.checkInvariants();
        assertThat(cond.statistics()).isEqualTo(new ConditionStatistics(0, new MutexStatistics(false, Optional.empty(), 0)));
    }

    @Test
    void c6_awaitSignalAndSignalAllWithoutTheMutexFailAtOnce() {
        String expected = " on a Mutex that is not locked: call it only while holding the mutex"
                + " (after acquire(), or inside try (Permit held = mutex.lock()) { ... })";
        assertThatThrownBy(cond::await).isInstanceOf(IllegalStateException.class).hasMessage("await()" + expected);
        assertThatThrownBy(() -> cond.await(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class)
                .hasMessage("await()" + expected);
        assertThatThrownBy(cond::signal).isInstanceOf(IllegalStateException.class).hasMessage("signal()" + expected);
        assertThatThrownBy(cond::signalAll).isInstanceOf(IllegalStateException.class).hasMessage("signalAll()" + expected);
        assertThat(cond.mutex()).isSameAs(mutex);
    }

    @Test
    void c6_aThreadThatDoesNotHoldTheMutexCannotSignal() throws Throwable {
        mutex.acquire();
        try {
            Throwable t = TestSupport.outcome(TestSupport.inThread(() -> org.assertj.core.api.Assertions.catchThrowable(cond::signal)));
            assertThat(t).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("signal() on a Mutex held by thread '" + Thread.currentThread().getName() + "'");
        } finally {
            mutex.release();
        }
    }

    @Test
    void c6_awaitGivesUpTheMutexWhileWaitingAndHoldsItAgainWhenSignalled() {
        AtomicBoolean heldAfter = new AtomicBoolean();
        Scope.run(s -> {
            s.fork(() -> {
                try (Permit held = mutex.lock()) {
                    cond.await();
                    heldAfter.set(mutex.isHeldByCurrentThread());
                }
                return null;
            });
            spinUntil("the waiter to wait", () -> cond.statistics().tasksWaiting() == 1);
            try (Permit held = mutex.lock()) { // possible only because await gave it up
                assertThat(cond.statistics()).isEqualTo(new ConditionStatistics(1,
                        new MutexStatistics(true, Optional.of(Thread.currentThread().getName()), 0)));
                cond.signal();
                assertThat(cond.statistics()).as("signalled: now waiting for the mutex")
                        .isEqualTo(new ConditionStatistics(0, new MutexStatistics(true, Optional.of(Thread.currentThread().getName()), 1)));
            }
            return null;
        });
        assertThat(heldAfter).isTrue();
    }

    @Test
    void c6_aCancelledWaiterThrowsOnlyAfterItHoldsTheMutexAgain() {
        AtomicReference<Cancelled> seen = new AtomicReference<>();
        AtomicBoolean heldWhenThrown = new AtomicBoolean();
        Scope.run(s -> {
            Task<Object> waiter = s.fork(() -> {
                mutex.acquire();
                try {
                    cond.await();
                } catch (Cancelled c) {
                    seen.set(c);
                    heldWhenThrown.set(mutex.isHeldByCurrentThread());
                    throw c;
                } finally {
                    mutex.release(); // correct on every path: await holds the mutex again
                }
                return null;
            });
            spinUntil("the waiter to wait", () -> cond.statistics().tasksWaiting() == 1);
            mutex.acquire();
            waiter.cancel("stop waiting");
            // It withdrew from the condition and now waits for the mutex the test holds.
            spinUntil("the waiter to queue for the mutex", () -> cond.statistics().tasksWaiting() == 0
                    && mutex.statistics().tasksWaiting() == 1);
            assertThat(seen.get()).as("not thrown while the mutex is held elsewhere").isNull();
            mutex.release();
            return null;
        });
        assertThat(seen.get().reason().message()).endsWith("cancelled: stop waiting");
        assertThat(heldWhenThrown).isTrue();
    }

    @Test
    void c6_inACancelledScopeAwaitThrowsAtOnceAndKeepsTheMutex() {
        Scope.run(s -> {
            mutex.acquire();
            try {
                s.cancel("stop");
                catchCancelled(cond::await);
                catchCancelled(() -> cond.await(Duration.ofSeconds(1)));
                assertThat(mutex.isHeldByCurrentThread()).isTrue();
                assertThat(cond.statistics().tasksWaiting()).isZero();
            } finally {
                mutex.release();
            }
            return null;
        });
    }

    @Test
    void c6_signalWakesWaitersInOrderAndSignalAllWakesTheRest() {
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        Scope.run(s -> {
            for (int i = 0; i < 4; i++) {
                int id = i;
                s.fork(() -> {
                    try (Permit held = mutex.lock()) {
                        cond.await();
                        order.add(id);
                    }
                    return null;
                });
                spinUntil("waiter " + i, () -> cond.statistics().tasksWaiting() == id + 1);
            }
            try (Permit held = mutex.lock()) {
                cond.signal();
            }
            spinUntil("the first to wake", () -> order.size() == 1);
            try (Permit held = mutex.lock()) {
                cond.signalAll();
            }
            return null;
        });
        assertThat(order).containsExactly(0, 1, 2, 3);
    }

    @Test
    void c6_aWaiterCancelledBeforeTheSignalDoesNotConsumeIt() {
        AtomicBoolean secondWoke = new AtomicBoolean();
        Scope.run(s -> {
            Task<Object> first = s.fork(() -> {
                try (Permit held = mutex.lock()) {
                    cond.await();
                }
                return null;
            });
            spinUntil("first waits", () -> cond.statistics().tasksWaiting() == 1);
            s.fork(() -> {
                try (Permit held = mutex.lock()) {
                    cond.await();
                    secondWoke.set(true);
                }
                return null;
            });
            spinUntil("second waits", () -> cond.statistics().tasksWaiting() == 2);
            first.cancel("gives up");
            spinUntil("first withdrew", () -> cond.statistics().tasksWaiting() == 1);
            try (Permit held = mutex.lock()) {
                cond.signal(); // one signal: it must reach the second waiter
            }
            return null;
        });
        assertThat(secondWoke).isTrue();
    }

    @Test
    void c6_aWaiterSignalledBeforeItsCancellationKeepsTheSignalAndReturnsNormally() {
        AtomicBoolean returnedNormally = new AtomicBoolean();
        AtomicReference<Throwable> atCheckpoint = new AtomicReference<>();
        Scope.run(s -> {
            Task<Object> waiter = s.fork(() -> {
                try (Permit held = mutex.lock()) {
                    cond.await();
                    returnedNormally.set(true);
                    atCheckpoint.set(catchCancelled(Weft::checkpoint));
                }
                return null;
            });
            spinUntil("the waiter waits", () -> cond.statistics().tasksWaiting() == 1);
            mutex.acquire();
            cond.signal();        // the waiter has the signal now...
            waiter.cancel("too late"); // ...so this cannot take it away
            mutex.release();
            return null;
        });
        assertThat(returnedNormally).isTrue();
        assertThat(atCheckpoint.get()).as("its scope stays cancelled").isInstanceOf(Cancelled.class);
    }

    @Test
    void c6_aTimedAwaitReturnsFalseOnTheScopesClockHoldingTheMutex() {
        FakeClock clock = new FakeClock();
        Boolean signalled = Scope.builder().clock(clock).run(s -> {
            Task<Boolean> t = s.fork(() -> {
                try (Permit held = mutex.lock()) {
                    boolean r = cond.await(Duration.ofSeconds(3));
                    assertThat(mutex.isHeldByCurrentThread()).isTrue();
                    return r;
                }
            });
            clock.awaitTimers(1);
            clock.advance(Duration.ofSeconds(3));
            return t.join();
        });
        assertThat(signalled).isFalse();
    }
}
