package dev.weft.sync;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.FakeClock;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * C6, one behavioural suite run against every primitive (STYLE.md: drive tests from a spec): a
 * blocked call is woken by cancellation with the scope's reason and by the scope's deadline, is
 * level-triggered, is not woken through a shield, has a timed variant on the scope's clock, and a
 * cancellation racing a hand-off loses nothing. Each primitive is seen through a {@link Subject}:
 * something the test thread can make busy (so the call blocks) and free again (so one waiter
 * proceeds). After every test the primitive must be back at rest: nothing held, nobody waiting,
 * internal invariants intact.
 */
class PrimitivesContractTest {

    private static final Duration FOREVER = Duration.ofDays(365);

    /** A primitive as the contract sees it. Busy/free are called on the test thread. */
    abstract static class Subject {
        /** Makes the primitive busy: the next {@link #blockingCall()} blocks. */
        abstract void makeBusy();

        /** Undoes {@link #makeBusy()}, letting one waiter (or all, for a flag) proceed. */
        abstract void makeFree();

        /** The blocking call under test; when it gets through it gives back what it took. */
        abstract void blockingCall();

        /** The timed variant; true if it got through (and gave back what it took). */
        abstract boolean timedCall(Duration timeout);

        /** How many threads wait in the blocking call. */
        abstract int waiting();

        /** At rest: nothing held, nobody waiting, invariants intact. */
        abstract void assertAtRest();

        /** The lock that decides between a hand-off and a withdrawal (white box, for the tie tests). */
        abstract ReentrantLock decidingLock();
    }

    static Stream<Named<Supplier<Subject>>> subjects() {
        return Stream.of(
                Named.of("Mutex", PrimitivesContractTest::mutex),
                Named.of("Semaphore", PrimitivesContractTest::semaphore),
                Named.of("CapacityLimiter", PrimitivesContractTest::limiter),
                Named.of("OnceFlag", PrimitivesContractTest::flag),
                Named.of("Condition", PrimitivesContractTest::condition));
    }

    // ------------------------------------------------------------------ the contract

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_aBlockedCallIsWokenByCancellationWithTheScopesReasonAndFailsAgainAtOnce(Supplier<Subject> make) {
        Subject p = make.get();
        p.makeBusy();
        AtomicReference<Cancelled> first = new AtomicReference<>();
        AtomicReference<Cancelled> second = new AtomicReference<>();
        Scope.builder().name("waiters").run(s -> {
            s.fork(() -> {
                first.set(catchCancelled(p::blockingCall));
                // Level-triggered (S3): the primitive is still busy, so a call that did not fail
                // at once would block here until the test times out.
                second.set(catchCancelled(p::blockingCall));
                return null;
            });
            spinUntil("the task to wait", () -> p.waiting() == 1);
            s.cancel("the test stops it");
            return null;
        });
        assertThat(first.get().reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        assertThat(first.get().reason().message()).isEqualTo("scope 'waiters' cancelled: the test stops it");
        assertThat(second.get().reason()).isSameAs(first.get().reason());
        assertThat(p.waiting()).as("the cancelled waiter left the queue").isZero();
        p.makeFree();
        p.assertAtRest();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_inACancelledScopeTheCallFailsEvenWhenItWouldNotBlock(Supplier<Subject> make) {
        Subject p = make.get();
        p.makeBusy();
        p.makeFree(); // free now: a call would get through at once
        Cancelled c = Scope.run(s -> {
            s.cancel("stop");
            return catchCancelled(p::blockingCall);
        });
        assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        assertThat(Thread.interrupted()).as("the scope leaves no interrupt behind").isFalse();
        p.assertAtRest();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_theScopesDeadlineOnAFakeClockWakesABlockedCall(Supplier<Subject> make) {
        Subject p = make.get();
        FakeClock clock = new FakeClock();
        p.makeBusy();
        AtomicReference<Cancelled> seen = new AtomicReference<>();
        MoveOnResult<Object> r = Scope.builder().clock(clock).name("bounded").timeout(Duration.ofSeconds(5)).moveOn(s -> {
            s.fork(() -> {
                seen.set(catchCancelled(p::blockingCall));
                return null;
            });
            spinUntil("the task to wait", () -> p.waiting() == 1);
            clock.advance(Duration.ofSeconds(5));
            return null;
        });
        assertThat(r.timedOut()).isTrue();
        assertThat(seen.get().reason().kind()).isEqualTo(CancelReason.Kind.DEADLINE);
        assertThat(seen.get().reason().message()).startsWith("deadline of scope 'bounded' passed");
        p.makeFree();
        p.assertAtRest();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_aShieldedCallIsNotWokenByOuterCancellation(Supplier<Subject> make) {
        Subject p = make.get();
        p.makeBusy();
        AtomicBoolean gotThrough = new AtomicBoolean();
        AtomicBoolean sawCancellation = new AtomicBoolean(true);
        Scope.run(outer -> {
            outer.fork(() -> Scope.shielded(inner -> {
                p.blockingCall();
                gotThrough.set(true);
                sawCancellation.set(Weft.isCancelled() || Thread.currentThread().isInterrupted());
                return null;
            }));
            spinUntil("the task to wait", () -> p.waiting() == 1);
            outer.cancel("outer goes");
            // cancel() has interrupted every thread it reaches before it returned; had it reached
            // the shielded waiter, the waiter would see its node cancelled whatever happens next.
            // Freeing may itself be a cancellation point (a condition's signaller takes the
            // mutex), and this body is cancelled now: free it from a shield of its own.
            Scope.shielded(free -> {
                p.makeFree();
                return null;
            });
            return null;
        });
        assertThat(gotThrough).as("the shielded call got through").isTrue();
        assertThat(sawCancellation).as("nothing of the outer cancellation reached the shield").isFalse();
        p.assertAtRest();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_theTimedVariantReturnsFalseWhenTheTimeRunsOutOnTheScopesClock(Supplier<Subject> make) {
        Subject p = make.get();
        FakeClock clock = new FakeClock();
        p.makeBusy();
        Boolean got = Scope.builder().clock(clock).run(s -> {
            Task<Boolean> t = s.fork(() -> p.timedCall(Duration.ofSeconds(2)));
            clock.awaitTimers(1); // the timed wait's wake-up
            assertThat(p.waiting()).isEqualTo(1);
            assertThat(clock.pendingDelays()).containsExactly(Duration.ofSeconds(2));
            clock.advance(Duration.ofSeconds(2));
            return t.join();
        });
        assertThat(got).isFalse();
        assertThat(clock.pendingTimers()).isZero();
        assertThat(p.waiting()).as("the timed-out waiter left the queue").isZero();
        p.makeFree();
        p.assertAtRest();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_theTimedVariantGetsThroughWhenFreedInTimeAndLeavesNoTimer(Supplier<Subject> make) {
        Subject p = make.get();
        FakeClock clock = new FakeClock();
        p.makeBusy();
        Boolean got = Scope.builder().clock(clock).run(s -> {
            Task<Boolean> t = s.fork(() -> p.timedCall(Duration.ofSeconds(2)));
            clock.awaitTimers(1);
            p.makeFree();
            return t.join();
        });
        assertThat(got).isTrue();
        assertThat(clock.pendingTimers()).as("the wake-up timer is called off").isZero();
        p.assertAtRest();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_aTimedCallInACancelledScopeThrowsRatherThanReturningFalse(Supplier<Subject> make) {
        Subject p = make.get();
        p.makeBusy();
        Cancelled c = Scope.run(s -> {
            s.cancel("stop");
            return catchCancelled(() -> p.timedCall(Duration.ZERO));
        });
        assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        p.makeFree();
        p.assertAtRest();
    }

    /**
     * The cancel-versus-hand-off race, many times: the test thread frees the primitive while
     * another thread cancels the waiter's scope, through a barrier so both land together. Either
     * outcome is fine (acquired with the scope still cancelled, or Cancelled with the permit
     * passed on); what must never happen is a permit lost or left to a waiter that threw.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_cancellationRacingTheHandOffLosesNothing(Supplier<Subject> make) throws Exception {
        Subject p = make.get();
        AtomicInteger acquiredWhileCancelled = new AtomicInteger();
        AtomicInteger threw = new AtomicInteger();
        for (int i = 0; i < 200; i++) {
            p.makeBusy();
            CyclicBarrier together = new CyclicBarrier(2);
            AtomicReference<Scope> waiterScope = new AtomicReference<>();
            Thread canceller = Thread.ofVirtual().start(() -> {
                spinUntil("the waiter's scope", () -> waiterScope.get() != null);
                awaitBarrier(together);
                waiterScope.get().cancel("race");
            });
            Scope.run(s -> {
                s.fork(() -> Scope.run(inner -> {
                    waiterScope.set(inner);
                    try {
                        p.blockingCall();
                        if (Weft.isCancelled()) acquiredWhileCancelled.incrementAndGet();
                    } catch (Cancelled c) {
                        threw.incrementAndGet();
                    }
                    return null;
                }));
                spinUntil("the task to wait", () -> p.waiting() == 1);
                awaitBarrier(together);
                p.makeFree();
                return null;
            });
            canceller.join();
            p.assertAtRest();
        }
        System.out.printf("cancel vs hand-off: %d acquired while cancelled, %d threw Cancelled (of 200)%n",
                acquiredWhileCancelled.get(), threw.get());
    }

    /**
     * The tie, made deterministic: the test holds the lock that decides, cancels the waiter's
     * scope, waits until the woken waiter is blocked on that lock (its wait has already thrown
     * Cancelled), and only then hands it the permit. The hand-off came first, so it wins: the
     * call returns normally, the scope stays cancelled, and nothing leaks.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_aHandOffThatComesBeforeTheCancelledWaiterDecidesWinsAndTheWaiterHoldsIt(Supplier<Subject> make) {
        Subject p = make.get();
        p.makeBusy();
        assertThat(tie(p, true)).isEqualTo("got through, scope still cancelled");
        p.assertAtRest();
    }

    /** The other order: the cancelled waiter decides first, withdraws, and the permit stays in the pool. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void c6_aCancelledWaiterThatDecidesBeforeTheHandOffThrowsAndTakesNothing(Supplier<Subject> make) {
        Subject p = make.get();
        p.makeBusy();
        assertThat(tie(p, false)).isEqualTo("Cancelled");
        assertThat(p.waiting()).isZero();
        p.makeFree(); // goes back to the pool: nobody waits
        p.assertAtRest();
    }

    private static String tie(Subject p, boolean freeFirst) {
        ReentrantLock lock = p.decidingLock();
        AtomicReference<String> outcome = new AtomicReference<>();
        AtomicReference<Scope> waiterScope = new AtomicReference<>();
        Scope.run(s -> {
            s.fork(() -> Scope.run(inner -> {
                waiterScope.set(inner);
                try {
                    p.blockingCall();
                    outcome.set(Weft.isCancelled() ? "got through, scope still cancelled" : "got through");
                } catch (Cancelled c) {
                    outcome.set("Cancelled");
                }
                return null;
            }));
            spinUntil("the task to wait", () -> p.waiting() == 1);
            lock.lock();
            try {
                waiterScope.get().cancel("tie");
                spinUntil("the woken waiter to block on the deciding lock", lock::hasQueuedThreads);
                if (freeFirst) p.makeFree();
            } finally {
                lock.unlock();
            }
            return null;
        });
        return outcome.get();
    }

    private static void awaitBarrier(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------ subjects

    static Subject mutex() {
        Mutex m = new Mutex();
        return new Subject() {
            void makeBusy() {
                m.acquire();
            }

            void makeFree() {
                m.release();
            }

            void blockingCall() {
                m.acquire();
                m.release();
            }

            boolean timedCall(Duration timeout) {
                if (!m.tryAcquire(timeout)) return false;
                m.release();
                return true;
            }

            int waiting() {
                return m.statistics().tasksWaiting();
            }

            void assertAtRest() {
                m.checkInvariants();
                assertThat(m.statistics()).isEqualTo(new MutexStatistics(false, java.util.Optional.empty(), 0));
            }

            ReentrantLock decidingLock() {
                return m.lot.lock;
            }
        };
    }

    static Subject semaphore() {
        Semaphore sem = new Semaphore(1, 1);
        return new Subject() {
            void makeBusy() {
                assertThat(sem.tryAcquire()).isTrue();
            }

            void makeFree() {
                sem.release();
            }

            void blockingCall() {
                sem.acquire();
                sem.release();
            }

            boolean timedCall(Duration timeout) {
                if (!sem.tryAcquire(timeout)) return false;
                sem.release();
                return true;
            }

            int waiting() {
                return sem.statistics().tasksWaiting();
            }

            void assertAtRest() {
                sem.checkInvariants();
                assertThat(sem.statistics()).isEqualTo(new SemaphoreStatistics(1, java.util.OptionalInt.of(1), 0));
            }

            ReentrantLock decidingLock() {
                return sem.lot.lock;
            }
        };
    }

    static Subject limiter() {
        CapacityLimiter lim = new CapacityLimiter(1);
        return new Subject() {
            void makeBusy() {
                lim.acquireOnBehalfOf("test");
            }

            void makeFree() {
                lim.releaseOnBehalfOf("test");
            }

            void blockingCall() {
                lim.acquire();
                lim.release();
            }

            boolean timedCall(Duration timeout) {
                if (!lim.tryAcquire(timeout)) return false;
                lim.release();
                return true;
            }

            int waiting() {
                return lim.statistics().tasksWaiting();
            }

            void assertAtRest() {
                lim.checkInvariants();
                assertThat(lim.statistics()).isEqualTo(new CapacityLimiterStatistics(0, 1, java.util.List.of(), 0));
            }

            ReentrantLock decidingLock() {
                return lim.lot.lock;
            }
        };
    }

    static Subject flag() {
        AtomicReference<OnceFlag> f = new AtomicReference<>(new OnceFlag());
        return new Subject() {
            void makeBusy() {
                f.set(new OnceFlag()); // a flag cannot be reset: a fresh one is "busy"
            }

            void makeFree() {
                f.get().set();
            }

            void blockingCall() {
                f.get().await();
            }

            boolean timedCall(Duration timeout) {
                return f.get().await(timeout);
            }

            int waiting() {
                return f.get().statistics().tasksWaiting();
            }

            void assertAtRest() {
                f.get().checkInvariants();
                assertThat(f.get().statistics().tasksWaiting()).isZero();
            }

            ReentrantLock decidingLock() {
                return f.get().lot.lock;
            }
        };
    }

    static Subject condition() {
        Mutex m = new Mutex();
        Condition c = m.newCondition();
        return new Subject() {
            void makeBusy() {
                // a condition always makes its callers wait for the next signal
            }

            void makeFree() {
                m.acquire();
                try {
                    c.signalAll();
                } finally {
                    m.release();
                }
            }

            void blockingCall() {
                m.acquire();
                try {
                    c.await();
                } finally {
                    assertThat(m.isHeldByCurrentThread()).as("await re-acquired the mutex on every path").isTrue();
                    m.release();
                }
            }

            boolean timedCall(Duration timeout) {
                m.acquire();
                try {
                    return c.await(timeout);
                } finally {
                    assertThat(m.isHeldByCurrentThread()).as("await re-acquired the mutex on every path").isTrue();
                    m.release();
                }
            }

            int waiting() {
                return c.statistics().tasksWaiting();
            }

            void assertAtRest() {
                c.checkInvariants();
                assertThat(c.statistics()).isEqualTo(
                        new ConditionStatistics(0, new MutexStatistics(false, java.util.Optional.empty(), 0)));
            }

            ReentrantLock decidingLock() {
                return m.lot.lock;
            }
        };
    }
}
