package dev.weft;

import static dev.weft.TestSupport.await;
import static dev.weft.TestSupport.awaitClosing;
import static dev.weft.TestSupport.blockForever;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.catchGroup;
import static dev.weft.TestSupport.leafErrors;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.ExceptionGroup.Failure;
import dev.weft.TestSupport.Marker;
import dev.weft.TestSupport.Tracker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Scopes: S1 (no task outlives its scope), S2 (failures), S4 (reasons), and how a scope ends. */
class ScopeTest {

    private final Tracker tracker = new Tracker();

    // ------------------------------------------------------------------ S1

    @Test
    void s1_scopeWaitsForTasksStillRunningWhenBodyReturns() {
        AtomicInteger finishedAfterBody = new AtomicInteger();
        String value = Scope.builder().name("s1-return").run(scope -> {
            Thread owner = Thread.currentThread();
            for (int i = 0; i < 3; i++) {
                tracker.fork(scope, () -> {
                    awaitClosing(scope, owner); // the body has returned; the scope is waiting for us
                    finishedAfterBody.incrementAndGet();
                    return null;
                });
            }
            return "body value";
        });
        assertThat(value).isEqualTo("body value");
        assertThat(finishedAfterBody).hasValue(3);
        tracker.assertAllFinished();
    }

    @Test
    void s1_scopeWaitsForAllTasksWhenBodyThrows() {
        Marker boom = new Marker("body");
        AtomicInteger cleanedUpWhileClosing = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(3);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("s1-throw").run(scope -> {
            forkThreeWithSlowCleanup(scope, started, cleanedUpWhileClosing, TestSupport::blockForever);
            await(started);
            throw boom;
        }));
        assertThat(group.single()).isSameAs(boom);
        assertThat(cleanedUpWhileClosing).hasValue(3);
        tracker.assertAllFinished();
        assertThat(tracker.tasks).allMatch(t -> t.state() == TaskState.CANCELLED);
    }

    @Test
    void s1_scopeWaitsForAllTasksWhenCancelledFromInside() {
        AtomicInteger cleanedUp = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(3);
        Cancelled c = catchCancelled(() -> Scope.builder().name("s1-inside").run(scope -> {
            forkThreeWithSlowCleanup(scope, started, cleanedUp, () -> {
                Weft.sleep(Duration.ofDays(1));
                return null;
            });
            await(started);
            scope.cancel("enough");
            Weft.checkpoint();
            throw new AssertionError("checkpoint in a cancelled scope returned");
        }));
        assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        assertThat(cleanedUp).hasValue(3);
        tracker.assertAllFinished();
    }

    @Test
    void s1_scopeWaitsForAllTasksWhenCancelledFromAnotherThread() throws Exception {
        AtomicReference<Scope> opened = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(4); // 3 tasks + the body
        AtomicInteger cleanedUp = new AtomicInteger();
        Thread canceller = Thread.ofPlatform().start(() -> {
            try {
                await(started);
            } catch (InterruptedException e) {
                return;
            }
            opened.get().cancel("stopped by the operator");
        });
        Cancelled c = catchCancelled(() -> Scope.builder().name("s1-outside").run(scope -> {
            opened.set(scope);
            forkThreeWithSlowCleanup(scope, started, cleanedUp, TestSupport::blockForever);
            started.countDown();
            Weft.sleep(Duration.ofDays(1));
            return "unreachable";
        }));
        canceller.join();
        assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        assertThat(c).hasMessageContaining("stopped by the operator").hasMessageContaining("s1-outside");
        assertThat(cleanedUp).hasValue(3);
        tracker.assertAllFinished();
    }

    /**
     * Forks three tasks that count down {@code started}, block in {@code block}, and, once
     * cancelled, clean up slowly: only after the owner is waiting at the scope's exit, so the
     * scope must wait for their cleanup too (S1). Each counts {@code cleanedUp} when done.
     */
    private void forkThreeWithSlowCleanup(Scope scope, CountDownLatch started, AtomicInteger cleanedUp,
                                          java.util.concurrent.Callable<Object> block) {
        Thread owner = Thread.currentThread();
        for (int i = 0; i < 3; i++) {
            tracker.fork(scope, () -> {
                started.countDown();
                try {
                    return block.call();
                } finally {
                    awaitClosing(scope, owner);
                    cleanedUp.incrementAndGet();
                }
            });
        }
    }

    @Test
    void s1_nestedScopesFinishBeforeTheOuterScopeReturns() {
        AtomicInteger innerDone = new AtomicInteger();
        List<Integer> innerRunningAtInnerExit = new CopyOnWriteArrayList<>();
        Scope.builder().name("outer").run(outer -> {
            Thread outerOwner = Thread.currentThread();
            for (int i = 0; i < 2; i++) {
                tracker.fork(outer, () -> {
                    Tracker inner = new Tracker();
                    Scope.builder().name("inner").run(scope -> {
                        for (int j = 0; j < 2; j++) {
                            inner.fork(scope, () -> {
                                awaitClosing(outer, outerOwner); // outlive the outer body on purpose
                                innerDone.incrementAndGet();
                                return null;
                            });
                        }
                        return null;
                    });
                    innerRunningAtInnerExit.add(inner.running.get());
                    inner.assertAllFinished();
                    return null;
                });
            }
            return null;
        });
        assertThat(innerDone).hasValue(4);
        assertThat(innerRunningAtInnerExit).containsExactly(0, 0);
        tracker.assertAllFinished();
    }

    @Test
    void s1_taskForkedByATaskWhileTheScopeIsClosingIsAwaited() {
        AtomicBoolean grandchildFinished = new AtomicBoolean();
        Scope.builder().name("closing").run(scope -> {
            Thread owner = Thread.currentThread();
            tracker.fork(scope, () -> {
                awaitClosing(scope, owner); // the body is done: the scope is closing
                tracker.fork(scope, () -> {
                    tracker.fork(scope, () -> {
                        awaitClosing(scope, owner);
                        grandchildFinished.set(true);
                        return null;
                    });
                    return null;
                });
                return null;
            });
            return null;
        });
        assertThat(grandchildFinished).isTrue();
        assertThat(tracker.tasks).hasSize(3);
        tracker.assertAllFinished();
    }

    @Test
    void s1_anOutsideThreadMayForkWhileTheBodyRuns_andTheScopeWaitsForThatTask() throws Exception {
        AtomicReference<Scope> opened = new AtomicReference<>();
        CountDownLatch outsiderForked = new CountDownLatch(1);
        AtomicBoolean outsideTaskFinished = new AtomicBoolean();
        Thread outsider = Thread.ofPlatform().start(() -> {
            spinUntil("the scope to open", () -> opened.get() != null);
            opened.get().fork("from-outside", () -> {
                outsiderForked.countDown();
                Weft.sleep(Duration.ofMillis(5)); // still running when the body returns
                outsideTaskFinished.set(true);
                return null;
            });
        });
        Scope.builder().name("served").run(scope -> {
            opened.set(scope);
            await(outsiderForked);
            return null;
        });
        assertThat(outsideTaskFinished).as("run waited for the task forked from outside").isTrue();
        outsider.join();
    }

    @Test
    void anOutsideForkAfterTheBodyReturnedFailsWithAClearMessage() throws Exception {
        AtomicReference<Throwable> lateFork = new AtomicReference<>();
        CountDownLatch mayEnd = new CountDownLatch(1);
        AtomicReference<Scope> opened = new AtomicReference<>();
        Thread owner = Thread.currentThread();
        Thread outsider = Thread.ofPlatform().start(() -> {
            spinUntil("the scope to close", () -> opened.get() != null && LockSupport.getBlocker(owner) == opened.get());
            try {
                opened.get().fork("too-late", () -> "must not run");
            } catch (Throwable e) {
                lateFork.set(e);
            }
            mayEnd.countDown();
        });
        Scope.builder().name("served").run(scope -> {
            scope.fork("holds-the-scope-open", () -> {
                await(mayEnd);
                return null;
            });
            opened.set(scope);
            return null;
        });
        outsider.join();
        assertThat(lateFork.get()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("scope 'served' takes no forks from outside any more")
                .hasMessageContaining("fork from another thread only while the body runs");
    }

    @Test
    void s4_moveOnCatchesItsOwnCancel_runDoesNot_andNeitherCatchesAnOuterOne() {
        // Trio's cancel scope: the cancellation a scope asked for itself ends it quietly.
        MoveOnResult<Object> found = Scope.builder().name("search").moveOn(scope -> {
            for (int shard = 0; shard < 4; shard++) {
                int s = shard;
                scope.fork(() -> {
                    if (s == 2) scope.cancel("found in shard 2");
                    return blockForever();
                });
            }
            return blockForever();
        });
        assertThat(found.hasValue()).isFalse();
        assertThat(found.timedOut()).isFalse();
        assertThat(found.cancelReason()).hasValueSatisfying(r -> {
            assertThat(r.kind()).isEqualTo(CancelReason.Kind.REQUESTED);
            assertThat(r.message()).endsWith("found in shard 2");
        });
        assertThat(found).hasToString("MoveOnResult[cancelled: scope 'search' cancelled: found in shard 2]");

        MoveOnResult<String> valueAnyway = Scope.builder().moveOn(scope -> {
            scope.cancel("enough");
            return "kept";
        });
        assertThat(valueAnyway.value()).isEqualTo("kept");
        assertThat(valueAnyway.cancelReason()).isPresent();

        // run cannot return without the body's value: it throws
        Cancelled c = catchCancelled(() -> Scope.run(scope -> {
            scope.cancel("stop");
            return blockForever();
        }));
        assertThat(c.reason().message()).endsWith("stop");

        // an enclosing scope's cancellation is not the inner scope's to catch
        Cancelled outer = catchCancelled(() -> Scope.builder().name("outer").run(o -> {
            o.cancel("outer stops");
            return Scope.builder().moveOn(inner -> blockForever());
        }));
        assertThat(outer.reason().message()).endsWith("outer stops");
    }

    @Test
    void forkAfterTheScopeClosedFailsWithAClearMessage() {
        AtomicReference<Scope> leaked = new AtomicReference<>();
        Scope.builder().name("leaky").run(scope -> {
            leaked.set(scope);
            return null;
        });
        assertThatThrownBy(() -> leaked.get().fork(() -> "late"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("scope 'leaky' is closed");
        assertThatThrownBy(() -> leaked.get().forkBackground(() -> "late")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> leaked.get().start(s -> s.started("late"))).isInstanceOf(IllegalStateException.class);
    }

    // ------------------------------------------------------------------ S2 and S4

    @Test
    void s2_failingTaskCancelsSiblingsWhichAreNotReported_s4_theyKnowWhichTaskFailed() {
        Marker boom = new Marker("boom");
        List<CancelReason> seen = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(3);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("s2").run(scope -> {
            for (int i = 0; i < 3; i++) {
                tracker.fork(scope, "sibling-" + i, () -> {
                    started.countDown();
                    try {
                        Weft.sleep(Duration.ofDays(1));
                        return null;
                    } catch (Cancelled c) {
                        seen.add(c.reason());
                        throw c;
                    }
                });
            }
            tracker.fork(scope, "failer", () -> {
                await(started);
                throw boom;
            });
            return null;
        }));
        assertThat(group.failures()).containsExactly(new Failure("failer", boom));
        assertThat(group.single()).isSameAs(boom);
        assertThat(seen).hasSize(3).allSatisfy(r -> {
            assertThat(r.kind()).isEqualTo(CancelReason.Kind.TASK_FAILED);
            assertThat(r.source()).isEqualTo("task 'failer'");
            assertThat(r.cause()).containsSame(boom);
            assertThat(r.message()).contains("failer");
        });
        assertThat(tracker.tasks).filteredOn(t -> t.name().startsWith("sibling"))
                .allMatch(t -> t.state() == TaskState.CANCELLED);
        tracker.assertAllFinished();
    }

    @RepeatedTest(20)
    void s2_failuresOfManyTasksAtOnceAreAllReported() {
        int n = 8;
        CyclicBarrier together = new CyclicBarrier(n);
        List<Marker> thrown = new ArrayList<>();
        for (int i = 0; i < n; i++) thrown.add(new Marker("m" + i));
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("many").run(scope -> {
            for (int i = 0; i < n; i++) {
                Marker m = thrown.get(i);
                tracker.fork(scope, "t" + i, () -> {
                    together.await();
                    throw m;
                });
            }
            return null;
        }));
        // Nothing is cancelled until the first of them throws, and by then all n passed the barrier.
        assertThat(leafErrors(group)).as("every simultaneous failure is kept")
                .hasSize(n).containsExactlyInAnyOrderElementsOf(thrown);
        assertThat(group.failures()).allSatisfy(f ->
                assertThat(f.taskName()).isEqualTo("t" + f.error().getMessage().substring(1)));
        assertThat(group.message()).contains(n + " failures").contains("many");
        tracker.assertAllFinished();
    }

    @RepeatedTest(10)
    void s2_bodyFailureAndTaskFailureAreBothReported() {
        Marker inBody = new Marker("body");
        Marker inTask = new Marker("task");
        CyclicBarrier together = new CyclicBarrier(2);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("both").run(scope -> {
            tracker.fork(scope, "worker", () -> {
                together.await();
                throw inTask;
            });
            together.await();
            throw inBody;
        }));
        assertThat(group.failures()).containsExactlyInAnyOrder(
                new Failure("both (body)", inBody), new Failure("worker", inTask));
        tracker.assertAllFinished();
    }

    @Test
    void s4_bodyFailureCancelsTasksWithReasonBodyFailed() {
        Marker boom = new Marker("body");
        AtomicReference<CancelReason> seen = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("bf").run(scope -> {
            tracker.fork(scope, () -> {
                started.countDown();
                try {
                    Weft.sleep(Duration.ofDays(1));
                    return null;
                } catch (Cancelled c) {
                    seen.set(c.reason());
                    throw c;
                }
            });
            await(started);
            throw boom;
        }));
        assertThat(group.failures()).containsExactly(new Failure("bf (body)", boom));
        assertThat(seen.get().kind()).isEqualTo(CancelReason.Kind.BODY_FAILED);
        assertThat(seen.get().cause()).containsSame(boom);
        assertThat(seen.get().source()).isEqualTo("scope 'bf'");
    }

    @Test
    void s2_singleUnwrapsALoneFailureAndCheckedExceptionsAreKeptAsIs() {
        IOException io = new IOException("disk gone");
        ExceptionGroup group = catchGroup(() -> Scope.run(scope -> {
            scope.fork("reader", () -> {
                throw io;
            });
            return null;
        }));
        assertThat(group.single()).isSameAs(io);
        assertThat(group.failures().get(0).taskName()).isEqualTo("reader");
        assertThat(group.getSuppressed()).containsExactly(io);

        Exception checkedInBody = new Exception("checked in body");
        ExceptionGroup fromBody = catchGroup(() -> Scope.run(scope -> {
            throw checkedInBody;
        }));
        assertThat(fromBody.single()).isSameAs(checkedInBody);
    }

    @Test
    void s2_failureOfANestedScopeIsANestedGroupMember() {
        Marker leaf = new Marker("leaf");
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("outer").run(outer -> {
            outer.fork("opens-inner", () -> Scope.builder().name("inner").run(inner -> {
                inner.fork("leaf-task", () -> {
                    throw leaf;
                });
                return null;
            }));
            return null;
        }));
        assertThat(group.failures()).hasSize(1);
        Failure member = group.failures().get(0);
        assertThat(member.taskName()).isEqualTo("opens-inner");
        assertThat(member.error()).isInstanceOf(ExceptionGroup.class);
        ExceptionGroup nested = (ExceptionGroup) member.error();
        assertThat(nested.failures()).containsExactly(new Failure("leaf-task", leaf));
        assertThat(nested.message()).contains("inner");
        assertThat(group.leaves()).containsExactly(new Failure("leaf-task", leaf));
        assertThat(group.single()).isSameAs(leaf);
    }

    @Test
    @Timeout(60)
    void s1_aScopeLeavesNoStrayInterruptOnItsOwnerWhenItsLastTaskFailsAsItCloses() {
        // The last task fails just as the body returns: the cancellation that the failure
        // triggers must not interrupt the owner after the scope decided it was not cancelled.
        for (int i = 0; i < 2_000; i++) {
            CyclicBarrier together = new CyclicBarrier(2);
            Marker boom = new Marker("late " + i);
            ExceptionGroup g = catchGroup(() -> Scope.run(scope -> {
                scope.fork(() -> {
                    together.await();
                    throw boom;
                });
                together.await();
                return null;
            }));
            assertThat(g.single()).isSameAs(boom);
            assertThat(Thread.interrupted()).as("round %d: the owner is left interrupted", i).isFalse();
        }
    }

    @Test
    void adr0002_aScopeCancelledAsItsOwnerLeavesLeavesNoStrayInterrupt() throws Exception {
        // ADR 0002: "leaving a cancelled scope into a live one clears [the interrupt]" and "no
        // interrupt lands after a thread has left the node". Here the scope is cancelled from
        // outside at the last moment: while its owner is on the way out, blocked entering the
        // scope's monitor (the helper holds it). The owner must not come back interrupted.
        AtomicReference<Scope> opened = new AtomicReference<>();
        AtomicBoolean returned = new AtomicBoolean();
        CountDownLatch taskMayEnd = new CountDownLatch(1);
        Thread owner = Thread.currentThread();
        Thread helper = Thread.ofPlatform().start(() -> {
            spinUntil("the scope to close", () -> opened.get() != null && LockSupport.getBlocker(owner) == opened.get());
            Scope scope = opened.get();
            synchronized (scope) {
                taskMayEnd.countDown();
                spinUntil("the owner to leave the scope", () -> owner.getState() == Thread.State.BLOCKED || returned.get());
                scope.cancel("at the last moment");
            }
        });
        String v = Scope.builder().name("last-moment").run(scope -> {
            scope.fork(() -> {
                await(taskMayEnd);
                return null;
            });
            opened.set(scope);
            return "value";
        });
        returned.set(true);
        boolean interrupted = Thread.interrupted();
        helper.join();
        assertThat(v).isEqualTo("value");
        assertThat(interrupted).as("the owner came back from the scope interrupted").isFalse();
    }

    // ------------------------------------------------------------------ how the scope ends

    @Test
    void ending_bodyValueIsReturnedAlthoughTheScopeWasCancelled() {
        AtomicReference<Task<Object>> task = new AtomicReference<>();
        String v = Scope.run(scope -> {
            task.set(scope.fork(TestSupport::blockForever));
            scope.cancel("not needed any more");
            return "value";
        });
        assertThat(v).isEqualTo("value");
        assertThat(task.get().state()).isEqualTo(TaskState.CANCELLED);
        assertThat(Thread.currentThread().isInterrupted()).as("no interrupt leaks out of the scope").isFalse();
    }

    @Test
    void ending_bodyEndedByItsOwnCancelThrowsCancelledWithTheReason() {
        Cancelled c = catchCancelled(() -> Scope.builder().name("self").run(scope -> {
            scope.cancel("user pressed stop");
            Weft.sleep(Duration.ofDays(1));
            return "unreachable";
        }));
        assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        assertThat(c.reason().source()).isEqualTo("scope 'self'");
        assertThat(c.getMessage()).contains("user pressed stop");
        assertThat(Thread.currentThread().isInterrupted()).as("no interrupt leaks out of the scope").isFalse();
    }

    @Test
    void currentScopeIsVisibleInsideOnly() throws Exception {
        assertThat(Scope.current()).isEmpty();
        AtomicReference<Optional<Scope>> inTask = new AtomicReference<>();
        AtomicReference<Optional<Scope>> inNested = new AtomicReference<>();
        AtomicReference<Optional<Scope>> inPlainThread = new AtomicReference<>();
        AtomicReference<Scope> self = new AtomicReference<>();
        Scope.run(scope -> {
            self.set(scope);
            assertThat(Scope.current()).containsSame(scope);
            scope.fork(() -> {
                inTask.set(Scope.current());
                Thread plain = Thread.ofPlatform().start(() -> inPlainThread.set(Scope.current()));
                plain.join();
                return null;
            }).join();
            Scope.run(nested -> {
                inNested.set(Scope.current().filter(s -> s == nested));
                return null;
            });
            assertThat(Scope.current()).as("back in the outer scope after the nested one").containsSame(scope);
            return null;
        });
        assertThat(inTask.get()).containsSame(self.get());
        assertThat(inNested.get()).isPresent().get().isNotSameAs(self.get());
        assertThat(inPlainThread.get()).isEmpty();
        assertThat(Scope.current()).isEmpty();
    }

    @Test
    void statisticsIsAnImmutableSnapshotOfLiveTasks() {
        AtomicReference<ScopeStatistics> during = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        Scope.builder().name("stats").run(scope -> {
            for (String n : List.of("a", "b")) {
                scope.fork(n, () -> {
                    started.countDown();
                    await(release);
                    return null;
                });
            }
            scope.forkBackground("bg", () -> {
                started.countDown();
                return blockForever();
            });
            await(started);
            during.set(scope.statistics());
            release.countDown();
            return null;
        });
        ScopeStatistics s = during.get();
        assertThat(s.scopeName()).isEqualTo("stats");
        assertThat(s.liveTasks()).isEqualTo(3);
        assertThat(s.liveBackgroundTasks()).isEqualTo(1);
        assertThat(s.tasks()).extracting(ScopeStatistics.TaskSnapshot::name).containsExactlyInAnyOrder("a", "b", "bg");
        assertThat(s.tasks()).filteredOn(ScopeStatistics.TaskSnapshot::background)
                .extracting(ScopeStatistics.TaskSnapshot::name).containsExactly("bg");
        // Read after the scope ended: the snapshot did not follow the tasks, which have all finished.
        assertThat(s.tasks()).allSatisfy(t -> assertThat(t.state()).isEqualTo(TaskState.RUNNING));
        assertThat(s.cancelReason()).isEmpty();
        assertThatThrownBy(() -> s.tasks().add(s.tasks().get(0))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void statisticsAfterTheScopeEndedShowsNoLiveTasks() {
        AtomicReference<Scope> leaked = new AtomicReference<>();
        Scope.builder().name("done").run(scope -> {
            leaked.set(scope);
            scope.fork(() -> 1);
            scope.cancel("finished");
            return null;
        });
        ScopeStatistics s = leaked.get().statistics();
        assertThat(s.liveTasks()).isZero();
        assertThat(s.liveBackgroundTasks()).isZero();
        assertThat(s.tasks()).isEmpty();
        assertThat(s.cancelReason()).get().extracting(CancelReason::kind).isEqualTo(CancelReason.Kind.REQUESTED);
    }
}
