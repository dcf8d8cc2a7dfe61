package dev.weft;

import static dev.weft.TestSupport.await;
import static dev.weft.TestSupport.awaitClosing;
import static dev.weft.TestSupport.blockForever;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.catchGroup;
import static dev.weft.TestSupport.leafErrors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.weft.ExceptionGroup.Failure;
import dev.weft.TestSupport.Marker;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** S7: {@code start} waits for {@code started(value)}; failures before it go to the caller. */
class StartTest {

    @Test
    void s7_s2_aFailureBeforeStartedThatTheBodyLetsOutIsReportedWhileASiblingsFailureCancelsTheScope() throws Exception {
        // Found by StartFrayTest: start() hands a failure before started() to its caller, so the
        // scope does not report it; if the body lets it out while the scope is cancelled (by a
        // sibling's failure), it used to be taken for a joiner passing on a sibling's failure
        // (ADR 0002) and was reported nowhere.
        IOException refused = new IOException("port in use");
        Marker sibling = new Marker("sibling");
        CountDownLatch starterReady = new CountDownLatch(1);
        CountDownLatch siblingGo = new CountDownLatch(1);
        CountDownLatch failNow = new CountDownLatch(1);
        AtomicReference<Scope> opened = new AtomicReference<>();
        Thread driver = Thread.ofPlatform().start(() -> {
            try {
                await(starterReady);
                siblingGo.countDown();                       // the sibling fails: the scope is cancelled
                TestSupport.spinUntil("the scope to be cancelled", () -> opened.get().isCancelled());
                failNow.countDown();                         // now the start task fails, before started()
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        ExceptionGroup g = catchGroup(() -> Scope.run(scope -> {
            opened.set(scope);
            scope.fork("sibling", () -> {
                await(siblingGo);
                throw sibling;
            });
            return scope.start("server", status -> {
                starterReady.countDown();
                while (failNow.getCount() > 0) { // not a cancellation point: it fails by itself
                    try {
                        failNow.await();
                    } catch (InterruptedException ignored) {
                        // the scope's cancellation; this task ends by its own failure below
                    }
                }
                throw refused;
            });
        }));
        driver.join();
        assertThat(leafErrors(g)).as(g.getMessage()).hasSize(2);
        assertThat(g.failures()).extracting(Failure::taskName).contains("sibling");
        assertThat(leafErrors(g).stream().anyMatch(t -> t == refused || t.getCause() == refused))
                .as("the failure before started() is reported: %s", g.getMessage()).isTrue();
    }

    @Test
    void s7_startReturnsTheStartedValueWhileTheTaskKeepsRunning_andTheScopeWaitsForIt() {
        AtomicBoolean stillRunningAfterStart = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        String v = Scope.builder().name("server").run(scope -> {
            Thread owner = Thread.currentThread();
            String port = scope.start("listener", status -> {
                status.started("port 8080");
                awaitClosing(scope, owner); // runs on after start() returned and after the body ended
                finished.set(true);
            });
            stillRunningAfterStart.set(scope.statistics().tasks().stream()
                    .anyMatch(t -> t.name().equals("listener") && t.state() == TaskState.RUNNING));
            return port;
        });
        assertThat(v).isEqualTo("port 8080");
        assertThat(stillRunningAfterStart).isTrue();
        assertThat(finished).as("the scope waited for the started task (S1)").isTrue();
    }

    @Test
    void s7_uncheckedFailureBeforeStartedIsThrownFromStartAsIsAndNotByTheScope() {
        Marker boom = new Marker("bind failed");
        String v = Scope.run(scope -> {
            Throwable t = catchThrowable(() -> scope.start("listener", status -> {
                throw boom;
            }));
            assertThat(t).isSameAs(boom);
            return "caller handled it";
        });
        assertThat(v).as("the scope does not report it again").isEqualTo("caller handled it");
    }

    @Test
    void s7_checkedFailureBeforeStartedIsWrappedInTaskFailedException() {
        IOException io = new IOException("port in use");
        String v = Scope.run(scope -> {
            Throwable t = catchThrowable(() -> scope.start("listener", status -> {
                throw io;
            }));
            assertThat(t).isInstanceOf(TaskFailedException.class).cause().isSameAs(io);
            assertThat(((TaskFailedException) t).taskName()).isEqualTo("listener");
            return "caller handled it";
        });
        assertThat(v).isEqualTo("caller handled it");
    }

    @Test
    void s7_failureAfterStartedIsReportedByTheScope() {
        Marker late = new Marker("crashed while serving");
        CountDownLatch crash = new CountDownLatch(1);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("srv").run(scope -> {
            String v = scope.start("listener", status -> {
                status.started("ready");
                await(crash);
                throw late;
            });
            assertThat(v).isEqualTo("ready");
            crash.countDown();
            return v;
        }));
        assertThat(group.failures()).containsExactly(new Failure("listener", late));
    }

    @Test
    void s7_taskReturningWithoutStartedMakesStartThrowIllegalState() {
        AtomicReference<TaskStatus<String>> leaked = new AtomicReference<>();
        Scope.run(scope -> {
            assertThatThrownBy(() -> scope.<String>start("forgetful", status -> leaked.set(status)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("forgetful")
                    .hasMessageContaining("without calling status.started");
            return null;
        });
        assertThatThrownBy(() -> leaked.get().started("too late"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("after the task finished");
    }

    @Test
    void s7_callingStartedTwiceThrowsIllegalStateInsideTheTask() {
        AtomicReference<Throwable> second = new AtomicReference<>();
        String v = Scope.run(scope -> scope.start("twice", status -> {
            status.started("first");
            second.set(catchThrowable(() -> status.started("second")));
        }));
        assertThat(v).isEqualTo("first");
        assertThat(second.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("already called");
    }

    @Test
    void s7_callerCancelledWhileWaitingCancelsTheStartingTask() {
        CountDownLatch starting = new CountDownLatch(1);
        AtomicReference<CancelReason> taskSaw = new AtomicReference<>();
        AtomicBoolean taskFinished = new AtomicBoolean();
        AtomicReference<Throwable> fromStart = new AtomicReference<>();
        String v = Scope.builder().name("outer").run(outer -> {
            Cancelled c = catchCancelled(() -> Scope.builder().name("caller").run(caller -> {
                caller.fork("canceller", () -> {
                    await(starting);
                    caller.cancel("caller gave up");
                    return null;
                });
                try {
                    // The task lives in the outer scope, so only the caller is cancelled by "caller gave up".
                    return outer.start("slow-start", status -> {
                        starting.countDown();
                        try {
                            blockForever();
                        } catch (InterruptedException e) {
                            taskSaw.set(Weft.cancelReason().orElse(null));
                            throw e;
                        } finally {
                            taskFinished.set(true);
                        }
                    });
                } catch (Throwable t) {
                    fromStart.set(t);
                    throw t;
                }
            }));
            assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
            assertThat(c.reason().message()).contains("caller gave up");
            return "outer carries on";
        });
        assertThat(v).as("the cancelled starting task is not reported").isEqualTo("outer carries on");
        assertThat(fromStart.get()).isInstanceOf(Cancelled.class);
        assertThat(taskSaw.get()).isNotNull();
        assertThat(taskSaw.get().kind()).isEqualTo(CancelReason.Kind.STARTER_CANCELLED);
        assertThat(taskSaw.get().message()).contains("slow-start").contains("caller gave up");
        assertThat(taskFinished).as("the starting task finished before the scope exited").isTrue();
    }

    @Test
    void s7_failureOfTheStartingTaskAfterItsCallerWasCancelledIsNotLost() {
        // The caller of start() is cancelled; the task, cancelled in turn, fails during its
        // cleanup, before it ever said started(). That failure must reach someone (S2): either
        // out of start() itself (S7: "a failure before the signal is thrown here"), so the
        // caller's scope reports it, or reported by the task's own scope. Never neither.
        Marker cleanupFailed = new Marker("cleanup failed");
        CountDownLatch starting = new CountDownLatch(1);
        AtomicReference<Throwable> callerScopeEnd = new AtomicReference<>();
        Throwable outerEnd = catchThrowable(() -> Scope.builder().name("outer").run(outer -> {
            callerScopeEnd.set(catchThrowable(() -> Scope.builder().name("caller").run(caller -> {
                caller.fork("canceller", () -> {
                    await(starting);
                    caller.cancel("caller gave up");
                    return null;
                });
                return outer.start("fragile", status -> {
                    starting.countDown();
                    try {
                        blockForever();
                    } catch (InterruptedException e) {
                        throw cleanupFailed;
                    }
                });
            })));
            return "outer carries on";
        }));
        List<Throwable> reported = new ArrayList<>();
        for (Throwable end : new Throwable[] {callerScopeEnd.get(), outerEnd}) {
            if (end instanceof ExceptionGroup g) reported.addAll(leafErrors(g));
        }
        assertThat(reported).as("reported exactly once, by the caller's scope (out of start) or by the task's scope")
                .containsOnlyOnce(cleanupFailed);
        if (outerEnd == null) {
            assertThat(callerScopeEnd.get()).isInstanceOf(ExceptionGroup.class);
        } else {
            assertThat(callerScopeEnd.get()).isInstanceOf(Cancelled.class);
        }
    }

    @Test
    void s7_startInAnAlreadyCancelledScopeThrowsCancelledAndNeverRunsTheTask() {
        // Many tries, because the forked task may end CANCELLED before start() first looks: the
        // caller is cancelled either way, so it must see Cancelled, never TaskCancelledException
        // (which, escaping the body, would be reported as a failure of the scope).
        AtomicBoolean ran = new AtomicBoolean();
        List<Throwable> fromStart = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            Throwable end = catchThrowable(() -> Scope.builder().name("closed-shop").run(scope -> {
                scope.cancel("closing time");
                for (int i = 0; i < 50; i++) {
                    fromStart.add(catchThrowable(() -> scope.start(status -> {
                        ran.set(true);
                        status.started("never");
                    })));
                }
                Weft.checkpoint();
                return null;
            }));
            assertThat(end).as("round %d", round).isInstanceOf(Cancelled.class);
            assertThat(((Cancelled) end).reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
            assertThat(end).hasMessageContaining("closing time");
        }
        assertThat(fromStart).as("what start() threw in a cancelled scope").hasSize(1000)
                .allSatisfy(t -> assertThat(t).isInstanceOf(Cancelled.class));
        assertThat(ran).as("a task forked into a cancelled scope never runs its code (ADR 0005)").isFalse();
    }

    @Test
    void s7_startFromAShieldedCallerIntoACancelledScopeThrowsTaskCancelledException() {
        AtomicBoolean ran = new AtomicBoolean();
        Cancelled outerEnd = catchCancelled(() -> Scope.builder().name("cancelled").run(scope -> {
            scope.cancel("shut down");
            Throwable t = Scope.shielded(shield -> catchThrowable(() -> scope.start("late-start", status -> {
                ran.set(true);
                status.started("never");
            })));
            assertThat(t).isInstanceOf(TaskCancelledException.class);
            assertThat(((TaskCancelledException) t).taskName()).isEqualTo("late-start");
            assertThat(((TaskCancelledException) t).reason().message()).contains("shut down");
            Weft.checkpoint();
            return null;
        }));
        assertThat(outerEnd.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        assertThat(ran).isFalse();
    }
}
