package dev.weft;

import static dev.weft.TestSupport.await;
import static dev.weft.TestSupport.awaitClosing;
import static dev.weft.TestSupport.blockForever;
import static dev.weft.TestSupport.catchGroup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.ExceptionGroup.Failure;
import dev.weft.TestSupport.Marker;
import dev.weft.TestSupport.Tracker;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** S8: background tasks are cancelled once the body and every ordinary task are done. */
class BackgroundTaskTest {

    private final Tracker tracker = new Tracker();

    @Test
    void s8_backgroundTaskIsCancelledWithScopeFinishedOnceTheBodyIsDone_andItsCancellationIsNotReported() {
        AtomicReference<CancelReason> seen = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        String v = Scope.builder().name("svc").run(scope -> {
            tracker.forkBackground(scope, () -> {
                started.countDown();
                try {
                    return blockForever();
                } catch (InterruptedException e) {
                    seen.set(Weft.cancelReason().orElse(null));
                    throw e;
                }
            });
            await(started);
            assertThat(seen.get()).as("not cancelled while the body runs").isNull();
            return "body value";
        });
        assertThat(v).isEqualTo("body value");
        assertThat(seen.get()).isNotNull();
        assertThat(seen.get().kind()).isEqualTo(CancelReason.Kind.SCOPE_FINISHED);
        assertThat(seen.get().source()).isEqualTo("scope 'svc'");
        assertThat(tracker.tasks).singleElement().extracting(Task::state).isEqualTo(TaskState.CANCELLED);
        tracker.assertAllFinished();
    }

    @Test
    void s8_anOrdinaryTaskStillRunningKeepsTheBackgroundTaskAlive() {
        CountDownLatch ping = new CountDownLatch(1);
        CountDownLatch pong = new CountDownLatch(1);
        AtomicReference<Task<Object>> ordinary = new AtomicReference<>();
        AtomicBoolean ordinaryDoneWhenCancelled = new AtomicBoolean();
        AtomicReference<CancelReason> bgReason = new AtomicReference<>();
        Scope.builder().name("keep-alive").run(scope -> {
            Thread owner = Thread.currentThread();
            tracker.forkBackground(scope, () -> {
                await(ping); // answers only if it is still alive and not cancelled
                pong.countDown();
                try {
                    return blockForever();
                } catch (InterruptedException e) {
                    bgReason.set(Weft.cancelReason().orElse(null));
                    ordinaryDoneWhenCancelled.set(ordinary.get().isDone());
                    throw e;
                }
            });
            ordinary.set(tracker.fork(scope, "ordinary", () -> {
                awaitClosing(scope, owner); // the body has returned
                ping.countDown();
                await(pong); // the background task answered after the body ended
                return null;
            }));
            return null;
        });
        assertThat(pong.getCount()).isZero();
        assertThat(bgReason.get().kind()).isEqualTo(CancelReason.Kind.SCOPE_FINISHED);
        assertThat(ordinaryDoneWhenCancelled).as("cancelled only after the ordinary task finished").isTrue();
        tracker.assertAllFinished();
    }

    @Test
    void s8_backgroundTaskFailureIsReported() {
        Marker boom = new Marker("heartbeat lost");
        AtomicReference<CancelReason> ordinarySaw = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("bgfail").run(scope -> {
            tracker.fork(scope, "worker", () -> {
                started.countDown();
                try {
                    return blockForever();
                } catch (InterruptedException e) {
                    ordinarySaw.set(Weft.cancelReason().orElse(null));
                    throw e;
                }
            });
            tracker.forkBackground(scope, "heartbeat", () -> {
                await(started);
                throw boom;
            });
            return null;
        }));
        assertThat(group.single()).isSameAs(boom);
        assertThat(group.failures().get(0).taskName()).isEqualTo("heartbeat");
        assertThat(ordinarySaw.get().kind()).as("a background failure cancels the scope like any other")
                .isEqualTo(CancelReason.Kind.TASK_FAILED);
        tracker.assertAllFinished();
    }

    @Test
    void s8_backgroundFailureDuringItsCancellationIsReportedButWrappedInterruptsAreNot() {
        Marker cleanup = new Marker("flush failed");
        CountDownLatch started = new CountDownLatch(2);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("two-bg").run(scope -> {
            scope.forkBackground("wraps-interrupt", () -> {
                started.countDown();
                try {
                    return blockForever();
                } catch (InterruptedException e) {
                    throw new RuntimeException("wrapped", e); // a cancellation, seen through the cause
                }
            });
            scope.forkBackground("fails-on-cancel", () -> {
                started.countDown();
                try {
                    return blockForever();
                } catch (InterruptedException e) {
                    throw cleanup;
                }
            });
            await(started);
            return null;
        }));
        assertThat(group.failures()).containsExactly(new Failure("fails-on-cancel", cleanup));
    }

    @Test
    @Timeout(10)
    void s8_scopeWithOnlyBackgroundTasksEndsPromptlyWhenTheBodyReturns() {
        CountDownLatch started = new CountDownLatch(3);
        List<CancelReason> reasons = new CopyOnWriteArrayList<>();
        String v = Scope.run(scope -> {
            for (int i = 0; i < 3; i++) {
                tracker.forkBackground(scope, () -> {
                    started.countDown();
                    try {
                        return blockForever();
                    } catch (InterruptedException e) {
                        reasons.add(Weft.cancelReason().orElseThrow());
                        throw e;
                    }
                });
            }
            await(started);
            return "done";
        });
        assertThat(v).isEqualTo("done");
        assertThat(reasons).hasSize(3).allMatch(r -> r.kind() == CancelReason.Kind.SCOPE_FINISHED);
        assertThat(tracker.tasks).allMatch(t -> t.state() == TaskState.CANCELLED);
        tracker.assertAllFinished();
    }

    @Test
    void s8_backgroundTaskForkedByABackgroundTaskBeforeTheEndIsCancelledToo() {
        CountDownLatch childStarted = new CountDownLatch(1);
        Scope.run(scope -> {
            tracker.forkBackground(scope, () -> {
                tracker.forkBackground(scope, () -> {
                    childStarted.countDown();
                    return blockForever();
                });
                return blockForever();
            });
            await(childStarted);
            return null;
        });
        assertThat(tracker.tasks).hasSize(2).allMatch(t -> t.state() == TaskState.CANCELLED);
        tracker.assertAllFinished();
    }

    @Test
    @Timeout(10)
    void s8_backgroundTaskForkedWhileBackgroundTasksAreBeingCancelledIsCancelledToo() {
        // A supervisor-like background task reacts to its cancellation by forking a replacement
        // background task. The body and every ordinary task are done, so S8 says the replacement
        // must be cancelled as well; otherwise it runs forever and the scope never returns (S1).
        AtomicReference<CancelReason> replacementSaw = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Scope.builder().name("supervisor").run(scope -> {
            tracker.forkBackground(scope, () -> {
                started.countDown();
                try {
                    return blockForever();
                } catch (InterruptedException e) {
                    tracker.forkBackground(scope, () -> {
                        try {
                            return blockForever();
                        } catch (InterruptedException again) {
                            replacementSaw.set(Weft.cancelReason().orElse(null));
                            throw again;
                        }
                    });
                    throw e;
                }
            });
            await(started);
            return null;
        });
        assertThat(tracker.tasks).hasSize(2).allMatch(t -> t.state() == TaskState.CANCELLED);
        Task<?> replacement = tracker.tasks.stream().skip(1).findFirst().orElseThrow();
        TaskCancelledException e = catchThrowableOfType(TaskCancelledException.class, replacement::join);
        assertThat(e.reason().kind()).isEqualTo(CancelReason.Kind.SCOPE_FINISHED);
        if (replacementSaw.get() != null) { // it may never run at all (ADR 0005)
            assertThat(replacementSaw.get().kind()).isEqualTo(CancelReason.Kind.SCOPE_FINISHED);
        }
        tracker.assertAllFinished();
    }

    @Test
    void s8_backgroundTasksDoNotKeepANestedScopeOpenAndOuterOrdinaryTasksDoNotKeepThemAlive() {
        AtomicReference<CancelReason> innerBgSaw = new AtomicReference<>();
        CountDownLatch innerEnded = new CountDownLatch(1);
        Scope.builder().name("outer").run(outer -> {
            tracker.fork(outer, "outer-worker", () -> {
                await(innerEnded); // an ordinary task of the outer scope outlives the inner scope
                return null;
            });
            CountDownLatch bgStarted = new CountDownLatch(1);
            Scope.builder().name("inner").run(inner -> {
                tracker.forkBackground(inner, () -> {
                    bgStarted.countDown();
                    try {
                        return blockForever();
                    } catch (InterruptedException e) {
                        innerBgSaw.set(Weft.cancelReason().orElse(null));
                        throw e;
                    }
                });
                await(bgStarted);
                return null;
            });
            innerEnded.countDown();
            return null;
        });
        assertThat(innerBgSaw.get().source()).isEqualTo("scope 'inner'");
        assertThat(innerBgSaw.get().kind()).isEqualTo(CancelReason.Kind.SCOPE_FINISHED);
        tracker.assertAllFinished();
    }
}
