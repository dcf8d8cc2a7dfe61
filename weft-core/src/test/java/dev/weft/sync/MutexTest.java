package dev.weft.sync;

import dev.weft.Cancelled;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** C6 for {@link Mutex}: misuse fails at once, FIFO hand-off, statistics, the grant-versus-cancel outcome. */
@SuppressWarnings("try") // try (Permit held = mutex.lock()) { ... } never reads `held`: that is the idiom
class MutexTest {

    private final Mutex mutex = new Mutex();

    @AfterEach
    void atRest() {
        mutex.checkInvariants();
        assertThat(mutex.statistics()).as("unlocked and nobody waiting after the test")
                .isEqualTo(new MutexStatistics(false, Optional.empty(), 0));
    }

    // ------------------------------------------------------------------ basics

    @Test
    void c6_acquireTryAcquireAndReleaseOutsideAnyScope() {
        assertThat(mutex.isLocked()).isFalse();
        mutex.acquire();
        assertThat(mutex.isLocked()).isTrue();
        assertThat(mutex.isHeldByCurrentThread()).isTrue();
        mutex.release();
        assertThat(mutex.tryAcquire()).isTrue();
        mutex.release();
        assertThat(mutex.tryAcquire(Duration.ZERO)).isTrue();
        mutex.release();
        assertThat(mutex.isHeldByCurrentThread()).isFalse();
    }

    @Test
    void c6_lockWithTryWithResourcesReleasesOnEveryPath() {
        try (Permit held = mutex.lock()) {
            assertThat(mutex.isHeldByCurrentThread()).isTrue();
            assertThat(held.isClosed()).isFalse();
        }
        assertThat(mutex.isLocked()).isFalse();
        assertThatThrownBy(() -> {
            try (Permit held = mutex.lock()) {
                throw new IllegalStateException("boom");
            }
        }).hasMessage("boom");
        assertThat(mutex.isLocked()).isFalse();
    }

    @Test
    void c6_closingAPermitTwiceReleasesOnce() {
        Permit held = mutex.lock();
        held.close();
        held.close();
        assertThat(held.isClosed()).isTrue();
        assertThat(mutex.isLocked()).isFalse();
        mutex.acquire(); // the second close did not release this one
        held.close();
        assertThat(mutex.isHeldByCurrentThread()).isTrue();
        mutex.release();
    }

    @Test
    void c6_tryAcquireFailsWithoutWaitingWhileAnotherThreadHoldsIt() throws Throwable {
        mutex.acquire();
        try {
            FutureTask<Boolean> other = inThread(mutex::tryAcquire);
            assertThat(outcome(other)).isFalse();
        } finally {
            mutex.release();
        }
    }

    // ------------------------------------------------------------------ misuse

    @Test
    void c6_releaseWhenNotLockedFailsAtOnce() {
        assertThatThrownBy(mutex::release).isInstanceOf(IllegalStateException.class)
                .hasMessage("release() on a Mutex that is not locked: call it only while holding the mutex"
                        + " (after acquire(), or inside try (Permit held = mutex.lock()) { ... })");
    }

    @Test
    void c6_releaseByANonOwnerFailsAtOnceAndTheOwnerKeepsIt() throws Throwable {
        mutex.acquire();
        try {
            String me = Thread.currentThread().getName();
            FutureTask<Throwable> other = inThread(() -> org.assertj.core.api.Assertions.catchThrowable(mutex::release));
            assertThat(outcome(other)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("release() on a Mutex held by thread '" + me + "', not by the calling thread 'scope-owner':"
                            + " only the thread that acquired a Mutex may release it or use its conditions");
            assertThat(mutex.isHeldByCurrentThread()).isTrue();
        } finally {
            mutex.release();
        }
    }

    @Test
    void c6_aPermitClosedOnAnotherThreadFailsAndStaysHeld() throws Throwable {
        Permit held = mutex.lock();
        FutureTask<Throwable> other = inThread(() -> org.assertj.core.api.Assertions.catchThrowable(held::close));
        assertThat(outcome(other)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not by the calling thread");
        assertThat(held.isClosed()).isFalse();
        held.close();
        assertThat(mutex.isLocked()).isFalse();
    }

    @Test
    void c6_reacquiringByTheOwnerFailsAtOnceInsteadOfDeadlocking() {
        mutex.acquire();
        try {
            String expected = "thread '" + Thread.currentThread().getName() + "' already holds this Mutex: Mutex is not reentrant"
                    + " (acquiring it again would deadlock); release it first, or restructure so the inner code runs without"
                    + " acquiring (see docs/adr/0011-mutex-is-not-reentrant.md)";
            assertThatThrownBy(mutex::acquire).isInstanceOf(IllegalStateException.class).hasMessage(expected);
            assertThatThrownBy(mutex::tryAcquire).isInstanceOf(IllegalStateException.class).hasMessage(expected);
            assertThatThrownBy(() -> mutex.tryAcquire(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class)
                    .hasMessage(expected);
            assertThatThrownBy(mutex::lock).isInstanceOf(IllegalStateException.class).hasMessage(expected);
            assertThat(mutex.isHeldByCurrentThread()).as("still held once").isTrue();
        } finally {
            mutex.release();
        }
        assertThat(mutex.isLocked()).as("one release undoes the one acquire").isFalse();
    }

    // ------------------------------------------------------------------ FIFO hand-off

    @Test
    void c6_waitersGetTheMutexInTheOrderTheyStartedWaiting() {
        List<Integer> order = new java.util.ArrayList<>(); // guarded by the mutex itself
        mutex.acquire();
        Scope.run(s -> {
            for (int i = 0; i < 5; i++) {
                int id = i;
                s.fork(() -> {
                    try (Permit held = mutex.lock()) {
                        order.add(id);
                    }
                    return null;
                });
                spinUntil("waiter " + i + " to queue", () -> mutex.statistics().tasksWaiting() == id + 1);
            }
            mutex.release();
            return null;
        });
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void c6_releaseHandsTheMutexToTheWaiterSoALaterCallerCannotBarge() {
        mutex.acquire();
        AtomicReference<String> waiterName = new AtomicReference<>();
        AtomicBoolean checked = new AtomicBoolean();
        Scope.run(s -> {
            s.fork("waiter", () -> {
                try (Permit held = mutex.lock()) {
                    waiterName.set(Thread.currentThread().getName());
                    spinUntil("the test to look", checked::get);
                }
                return null;
            });
            spinUntil("the waiter to queue", () -> mutex.statistics().tasksWaiting() == 1);
            mutex.release();
            // The waiter owns it from the moment release() returned, whether or not its thread ran yet.
            assertThat(mutex.tryAcquire()).as("no barging").isFalse();
            assertThat(mutex.statistics().owner()).contains("waiter");
            checked.set(true);
            return null;
        });
        assertThat(waiterName.get()).isEqualTo("waiter");
    }

    // ------------------------------------------------------------------ statistics

    @Test
    void c6_statisticsAreImmutableSnapshots() {
        MutexStatistics free = mutex.statistics();
        assertThat(free).isEqualTo(new MutexStatistics(false, Optional.empty(), 0));
        mutex.acquire();
        MutexStatistics[] busy = new MutexStatistics[1];
        Scope.run(s -> {
            s.fork(() -> {
                mutex.acquire();
                mutex.release();
                return null;
            });
            s.fork(() -> {
                mutex.acquire();
                mutex.release();
                return null;
            });
            spinUntil("two waiters", () -> mutex.statistics().tasksWaiting() == 2);
            busy[0] = mutex.statistics();
            mutex.release();
            return null;
        });
        assertThat(busy[0]).isEqualTo(new MutexStatistics(true, Optional.of(Thread.currentThread().getName()), 2));
        assertThat(free).as("an earlier snapshot does not change").isEqualTo(new MutexStatistics(false, Optional.empty(), 0));
        assertThatThrownBy(() -> new MutexStatistics(true, Optional.empty(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(mutex.toString()).isEqualTo("Mutex[unlocked]");
    }

    // ------------------------------------------------------------------ grant versus cancellation

    @Test
    void c6_aWaiterGrantedBeforeItsScopeIsCancelledReturnsHoldingItAndTheNextCheckpointThrows() {
        AtomicBoolean acquired = new AtomicBoolean();
        AtomicReference<Throwable> atCheckpoint = new AtomicReference<>();
        AtomicBoolean cancelled = new AtomicBoolean();
        mutex.acquire();
        Scope.run(s -> {
            s.fork(() -> {
                mutex.acquire(); // granted first, cancelled right after: the grant decided
                try {
                    acquired.set(true);
                    spinUntil("the scope to be cancelled", cancelled::get); // not a cancellation point
                    atCheckpoint.set(catchCancelled(Weft::checkpoint));
                } finally {
                    mutex.release();
                }
                return null;
            });
            spinUntil("the waiter to queue", () -> mutex.statistics().tasksWaiting() == 1);
            mutex.release(); // hands it over...
            s.cancel("right after the hand-off"); // ...then cancels, before or after the waiter woke
            cancelled.set(true);
            return null;
        });
        assertThat(acquired).as("the grant came first, so acquire() returned normally").isTrue();
        assertThat(atCheckpoint.get()).isInstanceOf(Cancelled.class);
    }

    @Test
    void c6_aWaiterCancelledBeforeTheReleaseNeverHoldsItAndTheNextWaiterGetsIt() {
        ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        mutex.acquire();
        Scope.run(s -> {
            Task<Object> first = s.fork("first", () -> {
                mutex.acquire();
                got.add("first");
                mutex.release();
                return null;
            });
            spinUntil("first to queue", () -> mutex.statistics().tasksWaiting() == 1);
            s.fork("second", () -> {
                mutex.acquire();
                got.add("second");
                mutex.release();
                return null;
            });
            spinUntil("second to queue", () -> mutex.statistics().tasksWaiting() == 2);
            first.cancel("gives up");
            spinUntil("first to withdraw", () -> mutex.statistics().tasksWaiting() == 1);
            mutex.release();
            return null;
        });
        assertThat(got).containsExactly("second");
    }
}
