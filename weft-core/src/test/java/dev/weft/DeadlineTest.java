package dev.weft;

import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** S6: failAfter / moveOnAfter / failAt / moveOnAt, nesting, and deadline reasons. FakeClock unless the point is the real clock. */
class DeadlineTest {

    private static final Duration FOREVER = Duration.ofDays(365);

    private final FakeClock clock = new FakeClock();

    // ------------------------------------------------------------------ failAfter

    @Test
    void s6_failAfterThrowsDeadlineExceededAfterCancellingAndAwaitingTheTasks() {
        AtomicBoolean taskCleanedUp = new AtomicBoolean();
        AtomicReference<Task<?>> task = new AtomicReference<>();
        DeadlineExceeded e = catchThrowableOfType(DeadlineExceeded.class, () -> Scope.builder().clock(clock)
                .name("fetch").timeout(Duration.ofSeconds(5)).run(s -> {
                    task.set(s.fork(() -> {
                        try {
                            Weft.sleep(FOREVER);
                            return null;
                        } finally {
                            taskCleanedUp.set(true);
                        }
                    }));
                    clock.awaitTimers(2); // the deadline and the sleeper
                    clock.advance(Duration.ofSeconds(5));
                    Weft.sleep(FOREVER);
                    return null;
                }));
        assertThat(e).isNotNull();
        assertThat(e.scopeName()).isEqualTo("fetch");
        assertThat(e.timeout()).contains(Duration.ofSeconds(5));
        assertThat(e.getMessage()).isEqualTo("deadline of scope 'fetch' passed (5s after it opened)");
        assertThat(taskCleanedUp).as("the scope waited for its task (S1)").isTrue();
        assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
        assertThat(clock.pendingTimers()).as("no timer left behind").isZero();
    }

    @Test
    void s6_failAfterAroundAJoinThrowsDeadlineExceededEvenIfTheTaskEndedFirst() {
        // The usual shape: failAfter(d, s -> s.fork(work).join()). When the deadline passes, the task
        // may finish before the body wakes in join(); the spin below makes that order certain.
        Throwable t = catchThrowableOfType(Throwable.class, () -> Scope.builder().clock(clock).name("fetch")
                .timeout(Duration.ofSeconds(5)).run(s -> {
                    Task<Object> work = s.fork(() -> {
                        Weft.sleep(FOREVER);
                        return null;
                    });
                    clock.awaitTimers(2);
                    clock.advance(Duration.ofSeconds(5));
                    while (!work.isDone()) Thread.onSpinWait();
                    return work.join();
                }));
        assertThat(t).isInstanceOf(DeadlineExceeded.class);
    }

    @Test
    void s6_staticFailAfterUsesTheEnclosingScopesClockAndReturnsTheValueInTime() {
        String v = Scope.builder().clock(clock).run(outer -> Scope.failAfter(Duration.ofSeconds(5), s -> {
            clock.advance(Duration.ofSeconds(4));
            Weft.checkpoint();
            return "in time";
        }));
        assertThat(v).isEqualTo("in time");
        assertThat(clock.pendingTimers()).as("the deadline timer is cancelled on exit").isZero();
    }

    @Test
    void s6_failAfterWithABodyThatNeverChecksStillThrowsOnceTheDeadlinePassed() {
        assertThatThrownBy(() -> Scope.builder().clock(clock).timeout(Duration.ofSeconds(1)).run(s -> {
            clock.advance(Duration.ofSeconds(2));
            return "finished anyway";
        })).isInstanceOf(DeadlineExceeded.class);
    }

    @Test
    void s6_aFailureTakesPrecedenceOverDeadlineExceeded() {
        IllegalStateException boom = new IllegalStateException("cleanup failed");
        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> Scope.builder().clock(clock)
                .timeout(Duration.ofSeconds(1)).run(s -> {
                    clock.advance(Duration.ofSeconds(1));
                    throw boom;
                }));
        assertThat(g.single()).isSameAs(boom);
    }

    // ------------------------------------------------------------------ moveOnAfter

    @Test
    void s6_moveOnAfterCutShortReportsTimedOutWithNoValue() throws Throwable {
        FutureTask<MoveOnResult<String>> owner = inThread(() -> Scope.builder().clock(clock).run(outer ->
                Scope.moveOnAfter(Duration.ofSeconds(3), s -> {
                    Weft.sleep(FOREVER);
                    return "never";
                })));
        clock.awaitTimers(2);
        clock.advance(Duration.ofSeconds(3));
        MoveOnResult<String> r = outcome(owner);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.hasValue()).isFalse();
        assertThat(r.orElse("fallback")).isEqualTo("fallback");
        assertThatThrownBy(r::value).isInstanceOf(NoSuchElementException.class).hasMessageContaining("hasValue()");
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void s6_moveOnAfterCompletingInTimeIsNotTimedOut() {
        MoveOnResult<String> r = Scope.builder().clock(clock).timeout(Duration.ofSeconds(3)).moveOn(s -> "quick");
        assertThat(r.timedOut()).isFalse();
        assertThat(r.hasValue()).isTrue();
        assertThat(r.value()).isEqualTo("quick");
        assertThat(r.orElse("fallback")).isEqualTo("quick");
    }

    @Test
    void s6_moveOnAfterWhoseBodyFinishesAnywayReportsBothTimeoutAndValue() {
        MoveOnResult<String> r = Scope.builder().clock(clock).timeout(Duration.ofSeconds(1)).moveOn(s -> {
            clock.advance(Duration.ofSeconds(1));
            try {
                Weft.checkpoint();
            } catch (Cancelled swallowed) {
                return "caught and finished";
            }
            return "not cancelled?";
        });
        assertThat(r.timedOut()).isTrue();
        assertThat(r.value()).isEqualTo("caught and finished");
    }

    @Test
    void s6_moveOnAfterDoesNotSwallowAnOuterDeadline() {
        AtomicBoolean afterMoveOn = new AtomicBoolean();
        DeadlineExceeded e = catchThrowableOfType(DeadlineExceeded.class, () -> Scope.builder().clock(clock)
                .name("outer").timeout(Duration.ofSeconds(2)).run(outer -> {
                    Scope.moveOnAfter(Duration.ofSeconds(10), inner -> {
                        clock.advance(Duration.ofSeconds(2));
                        Weft.checkpoint();
                        return null;
                    });
                    afterMoveOn.set(true);
                    return null;
                }));
        assertThat(e.scopeName()).isEqualTo("outer");
        assertThat(afterMoveOn).as("the outer's Cancelled went through moveOnAfter").isFalse();
    }

    // ------------------------------------------------------------------ at an instant

    @Test
    void s6_failAtAndMoveOnAtUseTheWallClockInstantOfTheScopesClock() {
        Instant at = clock.instant().plusSeconds(10);
        DeadlineExceeded e = catchThrowableOfType(DeadlineExceeded.class, () -> Scope.builder().clock(clock)
                .name("until").deadline(at).run(s -> {
                    assertThat(Weft.deadline()).contains(at);
                    clock.advance(Duration.ofSeconds(9));
                    Weft.checkpoint();
                    clock.advance(Duration.ofSeconds(1));
                    Weft.checkpoint();
                    return null;
                }));
        assertThat(e.scopeName()).isEqualTo("until");
        assertThat(e.timeout()).as("no duration was given").isEmpty();
        assertThat(e.getMessage()).isEqualTo("deadline of scope 'until' passed");

        Instant later = clock.instant().plusSeconds(5);
        MoveOnResult<Object> r = Scope.builder().clock(clock).deadline(later).moveOn(s -> {
            clock.advance(Duration.ofSeconds(5));
            Weft.checkpoint();
            return "not reached";
        });
        assertThat(r.timedOut()).isTrue();
        assertThat(r.hasValue()).isFalse();
    }

    @Test
    void s6_staticFailAtAndMoveOnAtInheritTheFakeClock() {
        Instant at = clock.instant().plusSeconds(3);
        Scope.builder().clock(clock).run(outer -> {
            assertThatThrownBy(() -> Scope.failAt(at, s -> {
                clock.advance(Duration.ofSeconds(3));
                Weft.checkpoint();
                return null;
            })).isInstanceOf(DeadlineExceeded.class);
            MoveOnResult<String> r = Scope.moveOnAt(clock.instant().plusSeconds(3), s -> "in time");
            assertThat(r.timedOut()).isFalse();
            assertThat(r.value()).isEqualTo("in time");
            return null;
        });
    }

    // ------------------------------------------------------------------ nesting

    @Test
    void s6_innerShorterDeadlineWinsAndItsDeadlineExceededIsAFailureOfTheOuterBody() {
        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> Scope.builder().clock(clock)
                .name("outer").timeout(Duration.ofSeconds(10)).run(outer ->
                        Scope.builder().name("inner").timeout(Duration.ofSeconds(2)).run(inner -> {
                            clock.advance(Duration.ofSeconds(2));
                            Weft.checkpoint();
                            return null;
                        })));
        assertThat(g.failures()).singleElement().satisfies(f -> {
            assertThat(f.taskName()).isEqualTo("outer (body)");
            assertThat(f.error()).isInstanceOf(DeadlineExceeded.class);
            assertThat(((DeadlineExceeded) f.error()).scopeName()).isEqualTo("inner");
        });
    }

    @Test
    void s6_outerShorterDeadlineWinsAndTheInnerSeesTheOutersReason() {
        AtomicReference<CancelReason> innerSaw = new AtomicReference<>();
        DeadlineExceeded e = catchThrowableOfType(DeadlineExceeded.class, () -> Scope.builder().clock(clock)
                .name("outer").timeout(Duration.ofSeconds(2)).run(outer ->
                        Scope.builder().name("inner").timeout(Duration.ofSeconds(10)).run(inner -> {
                            clock.advance(Duration.ofSeconds(2));
                            try {
                                Weft.checkpoint();
                                return null;
                            } catch (Cancelled c) {
                                innerSaw.set(c.reason());
                                throw c;
                            }
                        })));
        assertThat(e.scopeName()).isEqualTo("outer");
        assertThat(innerSaw.get().kind()).isEqualTo(CancelReason.Kind.DEADLINE);
        assertThat(innerSaw.get().source()).isEqualTo("scope 'outer'");
    }

    @Test
    void s6_outerDeadlineStillWinsWhenTheInnerOnePassesWhileItUnwinds() throws Throwable {
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FutureTask<Object> owner = inThread(() -> Scope.builder().clock(clock).name("outer")
                .timeout(Duration.ofSeconds(2)).run(outer ->
                        Scope.builder().name("inner").timeout(Duration.ofSeconds(3)).run(inner -> {
                            inner.fork("slow-cleanup", () -> {
                                stuck.countDown();
                                CancellationTest.awaitUninterruptibly(release); // unwinds slowly
                                return null;
                            });
                            Weft.sleep(FOREVER);
                            return null;
                        })));
        stuck.await();
        clock.awaitTimers(3); // two deadlines and the body's sleep
        clock.advance(Duration.ofSeconds(2)); // the outer deadline: the nearest one
        clock.advance(Duration.ofSeconds(1)); // the inner one passes while its task still cleans up
        release.countDown();
        Throwable t = catchThrowableOfType(Throwable.class, () -> outcome(owner));
        assertThat(t).as("the nearest deadline, the outer one, wins").isInstanceOf(DeadlineExceeded.class);
        assertThat(((DeadlineExceeded) t).scopeName()).isEqualTo("outer");
    }

    // ------------------------------------------------------------------ S5: deadlines and shields

    @Test
    void s5_theShieldsOwnDeadlineStillApplies() throws Throwable {
        FutureTask<DeadlineExceeded> owner = inThread(() -> Scope.builder().clock(clock).run(outer -> {
            outer.cancel("outer stops");
            return catchThrowableOfType(DeadlineExceeded.class, () -> Scope.builder().name("cleanup").shield()
                    .timeout(Duration.ofSeconds(2)).run(shield -> {
                        Weft.sleep(FOREVER);
                        return null;
                    }));
        }));
        clock.awaitTimers(2); // the shield's deadline and its sleeper
        clock.advance(Duration.ofSeconds(2));
        assertThat(outcome(owner).scopeName()).isEqualTo("cleanup");
    }

    @Test
    void s5_outerDeadlinesDoNotReachInsideAShield() throws Throwable {
        AtomicReference<Optional<?>> deadlineInShield = new AtomicReference<>();
        AtomicBoolean sleptInShield = new AtomicBoolean();
        FutureTask<Object> owner = inThread(() -> Scope.builder().clock(clock).name("outer")
                .timeout(Duration.ofSeconds(1)).run(outer -> {
                    Scope.shielded(shield -> {
                        deadlineInShield.set(Weft.deadline());
                        Weft.sleep(Duration.ofSeconds(2)); // outlives the outer deadline
                        sleptInShield.set(true);
                        return null;
                    });
                    Weft.sleep(FOREVER);
                    return null;
                }));
        clock.awaitTimers(2); // the outer deadline and the shield's sleeper
        clock.advance(Duration.ofSeconds(2));
        DeadlineExceeded e = catchThrowableOfType(DeadlineExceeded.class, () -> outcome(owner));
        assertThat(e.scopeName()).isEqualTo("outer");
        assertThat(sleptInShield).isTrue();
        assertThat(deadlineInShield.get()).isEmpty();
    }

    // ------------------------------------------------------------------ reading the deadline

    @Test
    void s6_weftDeadlineAndRemainingReportTheNearestDeadline() {
        Instant start = clock.instant();
        assertThat(Weft.deadline()).isEmpty();
        assertThat(Weft.remaining()).isEmpty();
        Scope.builder().clock(clock).timeout(Duration.ofSeconds(10)).run(outer -> {
            assertThat(Weft.deadline()).contains(start.plusSeconds(10));
            assertThat(outer.deadline()).contains(start.plusSeconds(10));
            assertThat(Weft.remaining()).contains(Duration.ofSeconds(10));
            clock.advance(Duration.ofSeconds(3));
            assertThat(Weft.remaining()).contains(Duration.ofSeconds(7));
            Scope.builder().timeout(Duration.ofSeconds(20)).run(farther -> {
                assertThat(Weft.deadline()).as("the outer one is nearer").contains(start.plusSeconds(10));
                assertThat(farther.deadline()).contains(start.plusSeconds(10));
                return null;
            });
            Scope.builder().timeout(Duration.ofSeconds(2)).run(nearer -> {
                assertThat(Weft.deadline()).contains(start.plusSeconds(5));
                assertThat(nearer.deadline()).contains(start.plusSeconds(5));
                Optional<Instant> inTask = nearer.fork(Weft::deadline).join();
                assertThat(inTask).contains(start.plusSeconds(5));
                return null;
            });
            assertThat(Weft.deadline()).contains(start.plusSeconds(10));
            return null;
        });
        assertThat(Weft.deadline()).isEmpty();
        assertThat(Weft.remaining()).isEmpty();
        assertThat(Scope.run(Scope::deadline)).isEmpty();
    }

    @Test
    void s6_remainingIsZeroOnceTheDeadlinePassed() {
        MoveOnResult<Duration> r = Scope.builder().clock(clock).timeout(Duration.ofSeconds(1)).moveOn(s -> {
            clock.advance(Duration.ofSeconds(5));
            return Weft.remaining().orElseThrow();
        });
        assertThat(r.value()).isEqualTo(Duration.ZERO);
    }

    // ------------------------------------------------------------------ edge values

    @Test
    void s6_aZeroTimeoutCancelsAtOnceAndForkedCodeNeverRuns() {
        AtomicBoolean ran = new AtomicBoolean();
        AtomicReference<Task<?>> task = new AtomicReference<>();
        assertThatThrownBy(() -> Scope.builder().clock(clock).timeout(Duration.ZERO).run(s -> {
            assertThat(s.isCancelled()).isTrue();
            task.set(s.fork(() -> {
                ran.set(true);
                return null;
            }));
            Weft.checkpoint();
            return null;
        })).isInstanceOf(DeadlineExceeded.class);
        assertThat(ran).isFalse();
        assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();

        MoveOnResult<String> r = Scope.builder().clock(clock).timeout(Duration.ZERO).moveOn(s -> "no time");
        assertThat(r.timedOut()).isTrue();
        assertThat(r.value()).isEqualTo("no time");
    }

    @Test
    void s6_negativeTimeoutIsRejectedWithAClearMessage() {
        Duration negative = Duration.ofSeconds(-1);
        assertThatThrownBy(() -> Scope.failAfter(negative, s -> null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout is negative (PT-1S)").hasMessageContaining("Duration.ZERO");
        assertThatThrownBy(() -> Scope.moveOnAfter(negative, s -> null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Weft.sleep(negative)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> Scope.failAfter(null, s -> null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("timeout");
    }

    @Test
    void s6_hugeTimeoutsSaturateInsteadOfOverflowing() {
        clock.advance(Duration.ofDays(200 * 365)); // nanoTime now ~6.3e18: another 200 years would overflow a long
        for (Duration huge : new Duration[] {Duration.ofDays(200 * 365), Duration.ofSeconds(Long.MAX_VALUE)}) {
            String v = Scope.builder().clock(clock).timeout(huge).run(s -> {
                assertThat(s.isCancelled()).as("an overflow would put the deadline in the past").isFalse();
                clock.advance(Duration.ofDays(1));
                Weft.checkpoint();
                return "ran";
            });
            assertThat(v).isEqualTo("ran");
        }
        boolean cancelled = Scope.builder().clock(clock).deadline(Instant.MAX).run(Scope::isCancelled);
        assertThat(cancelled).isFalse();
    }

    // ------------------------------------------------------------------ reasons and the real clock

    @Test
    void s4_aDeadlineReasonHasKindDeadlineAndNamesTheScope() {
        AtomicReference<CancelReason> seen = new AtomicReference<>();
        assertThatThrownBy(() -> Scope.builder().clock(clock).name("lookup").timeout(Duration.ofMillis(250)).run(s -> {
            Task<Object> t = s.fork(() -> {
                try {
                    Weft.sleep(FOREVER);
                    return null;
                } catch (Cancelled c) {
                    seen.set(c.reason());
                    throw c;
                }
            });
            clock.awaitTimers(2);
            clock.advance(Duration.ofMillis(250));
            assertThat(s.cancelReason()).hasValueSatisfying(r -> assertThat(r.kind()).isEqualTo(CancelReason.Kind.DEADLINE));
            Weft.sleep(FOREVER);
            return t;
        })).isInstanceOf(DeadlineExceeded.class);
        assertThat(seen.get().kind()).isEqualTo(CancelReason.Kind.DEADLINE);
        assertThat(seen.get().source()).isEqualTo("scope 'lookup'");
        assertThat(seen.get().message()).isEqualTo("deadline of scope 'lookup' passed (250ms after it opened)");
    }

    @Test
    void s6_realClockFailAfterCutsALongSleepShort() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> Scope.failAfter(Duration.ofMillis(50), s -> {
            Weft.sleep(Duration.ofDays(1));
            return null;
        })).isInstanceOf(DeadlineExceeded.class);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(50)).isLessThan(Duration.ofSeconds(5));
    }

    // ------------------------------------------------------------------ helpers

}
