package dev.weft;

import static dev.weft.TestSupport.await;
import static dev.weft.TestSupport.blockForever;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.catchGroup;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.ExceptionGroup.Failure;
import dev.weft.TestSupport.Marker;
import dev.weft.TestSupport.Tracker;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Task handles: join, result, exception, states, cancelling one task, names. */
class TaskTest {

    private final Tracker tracker = new Tracker();

    @Test
    void joinReturnsTheValue() {
        int v = Scope.run(scope -> {
            Task<Integer> t = tracker.fork(scope, () -> 6 * 7);
            assertThat(t.join()).isEqualTo(42);
            assertThat(t.join()).as("joining again").isEqualTo(42);
            return t.join();
        });
        assertThat(v).isEqualTo(42);
        assertThat(tracker.tasks.peek().result()).isEqualTo(42);
        tracker.assertAllFinished();
    }

    @Test
    void joinOfAFailedTaskThrowsTaskFailedExceptionWithTheCause() {
        IOException io = new IOException("no route");
        AtomicReference<TaskFailedException> caught = new AtomicReference<>();
        ExceptionGroup group = catchGroup(() -> Scope.run(scope -> {
            Task<Object> t = scope.fork("fetch", () -> {
                throw io;
            });
            // The task's failure cancels this scope before its own state is published (S2), so a
            // join racing it may end by that cancellation (Cancelled) instead; shielded, the join
            // waits for the task and says what a join of a failed task says (CI saw the race once).
            Scope.builder().shield().run(s -> {
                caught.set(catchThrowableOfType(TaskFailedException.class, t::join));
                return null;
            });
            assertThat(t.exception()).isSameAs(io);
            assertThat(t.state()).isEqualTo(TaskState.FAILED);
            return null;
        }));
        assertThat(caught.get()).isNotNull().hasMessageContaining("fetch").cause().isSameAs(io);
        assertThat(caught.get().taskName()).isEqualTo("fetch");
        assertThat(group.single()).as("the scope reports it whether or not it was joined").isSameAs(io);
    }

    @Test
    void joinOfACancelledTaskThrowsTaskCancelledExceptionWithTheReason_andCancelsOnlyThatTask() {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<CancelReason> seenInside = new AtomicReference<>();
        String v = Scope.builder().name("one").run(scope -> {
            Task<Object> victim = tracker.fork(scope, "victim", () -> {
                started.countDown();
                try {
                    return blockForever();
                } catch (InterruptedException e) {
                    seenInside.set(Weft.cancelReason().orElseThrow());
                    throw e;
                }
            });
            Task<String> sibling = tracker.fork(scope, "sibling", () -> {
                await(release);
                return "sibling ok";
            });
            await(started);
            victim.cancel("no longer wanted");
            victim.cancel("second reason is ignored");
            TaskCancelledException e = catchThrowableOfType(TaskCancelledException.class, victim::join);
            assertThat(e).isNotNull();
            assertThat(e.taskName()).isEqualTo("victim");
            assertThat(e.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
            assertThat(e.reason().source()).isEqualTo("task 'victim'");
            assertThat(e.reason().message()).contains("no longer wanted").doesNotContain("second reason");
            assertThat(victim.state()).isEqualTo(TaskState.CANCELLED);
            // The scope and the sibling carry on.
            assertThat(scope.isCancelled()).isFalse();
            assertThat(sibling.state()).isEqualTo(TaskState.RUNNING);
            Weft.checkpoint();
            release.countDown();
            return sibling.join();
        });
        assertThat(v).as("the scope does not throw for a cancelled task").isEqualTo("sibling ok");
        assertThat(seenInside.get().message()).contains("no longer wanted");
        tracker.assertAllFinished();
    }

    @Test
    void resultAndExceptionThrowIllegalStateNamingTheState() {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        catchGroup(() -> Scope.run(scope -> {
            Task<String> running = scope.fork("slow", () -> {
                started.countDown();
                await(release);
                return "done";
            });
            await(started);
            assertThatThrownBy(running::result).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("slow").hasMessageContaining("RUNNING").hasMessageContaining("join()");
            assertThatThrownBy(running::exception).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("RUNNING");
            release.countDown();
            running.join();
            assertThatThrownBy(running::exception).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("SUCCEEDED");

            Task<String> failed = scope.fork("bad", () -> {
                throw new Marker("bad");
            });
            catchThrowableOfType(TaskFailedException.class, failed::join);
            assertThatThrownBy(failed::result).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("bad").hasMessageContaining("FAILED");
            return null;
        }));
    }

    @Test
    void resultOfACancelledTaskNamesCancelled() {
        Scope.run(scope -> {
            Task<Object> t = scope.fork("doomed", TestSupport::blockForever);
            t.cancel("stop");
            catchThrowableOfType(TaskCancelledException.class, t::join);
            assertThatThrownBy(t::result).isInstanceOf(IllegalStateException.class).hasMessageContaining("CANCELLED");
            assertThatThrownBy(t::exception).isInstanceOf(IllegalStateException.class).hasMessageContaining("CANCELLED");
            return null;
        });
    }

    @Test
    void statesGoFromPendingAndRunningToSucceededFailedOrCancelled() {
        try (CpuPool one = CpuPool.create("one", 1)) {
            CountDownLatch occupying = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            catchGroup(() -> Scope.builder().cpuPool(one).run(scope -> {
                Task<String> first = scope.forkCpu("first", () -> {
                    occupying.countDown();
                    await(release);
                    return "first";
                });
                await(occupying);
                Task<String> queued = scope.forkCpu("queued", () -> "queued");
                assertThat(first.state()).isEqualTo(TaskState.RUNNING);
                assertThat(queued.state()).as("the only pool thread is busy").isEqualTo(TaskState.PENDING);
                assertThat(queued.isDone()).isFalse();
                release.countDown();
                assertThat(queued.join()).isEqualTo("queued");
                assertThat(queued.state()).isEqualTo(TaskState.SUCCEEDED);
                assertThat(first.state()).isEqualTo(TaskState.SUCCEEDED);

                Task<Object> cancelled = scope.fork(TestSupport::blockForever);
                cancelled.cancel("enough");
                catchThrowableOfType(TaskCancelledException.class, cancelled::join);
                assertThat(cancelled.state()).isEqualTo(TaskState.CANCELLED);
                assertThat(cancelled.isDone()).isTrue();

                Task<Object> failed = scope.fork(() -> {
                    throw new Marker("x");
                });
                catchThrowableOfType(TaskFailedException.class, failed::join);
                assertThat(failed.state()).isEqualTo(TaskState.FAILED);
                assertThat(failed.isDone()).isTrue();
                return null;
            }));
        }
    }

    @Test
    void defaultNamesAreScopeNameDashNumberAndExplicitNamesAreUsed() {
        Scope.builder().name("fetch").run(scope -> {
            Task<String> a = scope.fork(() -> "a");
            Task<String> b = scope.fork(() -> "b");
            Task<String> named = scope.fork("db-lookup", () -> "c");
            Task<String> bg = scope.forkBackground("heartbeat", () -> "d");
            assertThat(a.name()).isEqualTo("fetch-1");
            assertThat(b.name()).isEqualTo("fetch-2");
            assertThat(named.name()).isEqualTo("db-lookup");
            assertThat(bg.name()).isEqualTo("heartbeat");
            assertThat(a.kind()).isEqualTo(ExecutionKind.VIRTUAL);
            assertThat(List.of(a.join(), b.join(), named.join(), bg.join())).containsExactly("a", "b", "c", "d");
            return null;
        });
    }

    @Test
    void aNamedTaskThreadCarriesTheTaskNameAndAnUnnamedOneTheScopeName_adr0007() {
        List<String> names = Scope.builder().name("dump").run(scope -> {
            Task<String> named = scope.fork("db-lookup", () -> Thread.currentThread().getName());
            Task<String> bg = scope.forkBackground("heartbeat", () -> Thread.currentThread().getName());
            Task<String> unnamed = scope.fork(() -> Thread.currentThread().getName());
            return List.of(named.join(), bg.join(), unnamed.join());
        });
        assertThat(names).as("thread names in dumps").containsExactly("db-lookup", "heartbeat", "dump");
    }

    @Test
    void joinIsACancellationPointAndDoesNotTouchTheJoinedTask() {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Scope.builder().name("outer").run(outer -> {
            Task<String> longRunning = tracker.fork(outer, "long", () -> {
                started.countDown();
                await(release);
                return "long done";
            });
            await(started);
            Thread me = Thread.currentThread(); // the nested scope's body runs on this thread
            Cancelled c = catchCancelled(() -> Scope.builder().name("joiner").run(inner -> {
                inner.fork("canceller", () -> {
                    spinUntil("the body to block in join",
                            () -> LockSupport.getBlocker(me) == longRunning);
                    inner.cancel("give up waiting");
                    return null;
                });
                return longRunning.join();
            }));
            assertThat(c.reason().source()).isEqualTo("scope 'joiner'");
            assertThat(longRunning.state()).as("the joined task is not touched").isEqualTo(TaskState.RUNNING);
            release.countDown();
            assertThat(longRunning.join()).isEqualTo("long done");
            return null;
        });
        tracker.assertAllFinished();
    }

    @Test
    void s2_siblingJoiningATaskCancelledByTheSameFailureIsNotReportedAsAFailure() {
        // B joins C after the failure of A cancelled both. B's join must end as a cancellation
        // (B is cancelled too), never as a failure of B: the group holds A's failure only.
        Marker boom = new Marker("A");
        AtomicReference<Throwable> bSaw = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(2);
        ExceptionGroup group = catchGroup(() -> Scope.builder().name("join-race").run(scope -> {
            Task<Object> c = tracker.fork(scope, "C", () -> {
                started.countDown();
                return blockForever();
            });
            tracker.fork(scope, "B", () -> {
                started.countDown();
                spinUntil("C to be cancelled", c::isDone); // not a cancellation point
                try {
                    return c.join();
                } catch (RuntimeException e) {
                    bSaw.set(e);
                    throw e;
                }
            });
            tracker.fork(scope, "A", () -> {
                await(started);
                throw boom;
            });
            return null;
        }));
        assertThat(group.failures()).as("only A's failure; B's end was caused by the cancellation")
                .containsExactly(new Failure("A", boom));
        assertThat(bSaw.get()).isInstanceOf(Cancelled.class);
        tracker.assertAllFinished();
    }

    @Test
    void ending_bodyJoiningATaskCancelledByItsOwnScopeEndsWithCancelledNotAFailure() {
        // The body cancels its scope, so the task ends CANCELLED; joining it from the cancelled
        // body is a cancellation point and must end the body by cancellation (S3), so the scope
        // throws Cancelled, not an ExceptionGroup with a TaskCancelledException "failure".
        Throwable thrown = catchThrowable(() -> Scope.builder().name("join-own").run(scope -> {
            Task<Object> t = tracker.fork(scope, TestSupport::blockForever);
            scope.cancel("stop");
            spinUntil("the task to end", t::isDone);
            return t.join();
        }));
        assertThat(thrown).isInstanceOf(Cancelled.class);
        assertThat(((Cancelled) thrown).reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        tracker.assertAllFinished();
    }

    @Test
    @Timeout(60)
    void s4_aCancellationRacingAWaitCarriesItsRealReasonNeverInterruptedByOutsideCode() {
        // The canceller sets the reason, then interrupts. A wait that sees the interrupt must
        // report that reason, never call it an interrupt "by code outside Weft".
        for (int i = 0; i < 2_000; i++) {
            CyclicBarrier together = new CyclicBarrier(2);
            int round = i;
            Cancelled c = catchCancelled(() -> Scope.builder().name("race-" + round).run(scope -> {
                Task<Object> never = scope.fork(TestSupport::blockForever);
                scope.fork(() -> {
                    together.await();
                    scope.cancel("raced");
                    return null;
                });
                together.await();
                return never.join();
            }));
            assertThat(c.reason().kind()).as("round %d: %s", i, c).isEqualTo(CancelReason.Kind.REQUESTED);
        }
    }

    @Test
    @Timeout(60)
    void cancellationRacingCompletionEndsInExactlyOneStateAndIsNeverAFailure() {
        for (int i = 0; i < 500; i++) {
            int round = i;
            CyclicBarrier together = new CyclicBarrier(2);
            int checkpoints = i % 4; // 0: returns at once; else passes a few cancellation points
            Task<Integer> t = Scope.builder().name("race-" + i).run(scope -> {
                Task<Integer> task = scope.fork(() -> {
                    together.await();
                    for (int k = 0; k < checkpoints; k++) Weft.checkpoint();
                    return round;
                });
                together.await();
                task.cancel("racing");
                return task;
            });
            TaskState s = t.state();
            assertThat(s).as("round %d", i).isIn(TaskState.SUCCEEDED, TaskState.CANCELLED);
            if (s == TaskState.SUCCEEDED) {
                assertThat(t.result()).isEqualTo(round);
                assertThat(t.join()).isEqualTo(round);
            } else {
                TaskCancelledException e = catchThrowableOfType(TaskCancelledException.class, t::join);
                assertThat(e.reason().message()).contains("racing");
            }
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }
}
