package dev.weft;

import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** S3 (level-triggered cancellation), S4 (reasons), S5 (shields), and what cancellation cannot interrupt. */
class CancellationTest {

    private static final Duration FOREVER = Duration.ofDays(365);

    // ------------------------------------------------------------------ S3: level-triggered

    @Test
    void s3_everyCancellationPointThrowsAgainAfterCancelledWasCaught() {
        Scope.run(s -> {
            Weft.checkpoint(); // not cancelled yet: returns
            s.cancel("stop");
            assertThatThrownBy(Weft::checkpoint).isInstanceOf(Cancelled.class);
            assertThatThrownBy(Weft::checkpoint).as("catching Cancelled does not un-cancel").isInstanceOf(Cancelled.class);
            assertThatThrownBy(() -> Weft.sleep(Duration.ZERO)).isInstanceOf(Cancelled.class);
            assertThatThrownBy(CancellationTest::sleepForever).isInstanceOf(Cancelled.class);
            assertThat(Weft.isCancelled()).isTrue();
            assertThat(s.isCancelled()).isTrue();
            return null;
        });
    }

    @Test
    void s3_joinOnAnUnfinishedSiblingThrowsCancelledEveryTime() {
        CountDownLatch release = new CountDownLatch(1);
        Scope.run(s -> {
            Task<String> stubborn = forkBlocked(s, () -> {
                awaitUninterruptibly(release); // ignores the cancellation, so it is still running below
                return "late";
            });
            s.cancel("stop");
            assertThatThrownBy(stubborn::join).isInstanceOf(Cancelled.class);
            assertThatThrownBy(stubborn::join).isInstanceOf(Cancelled.class);
            assertThat(stubborn.isDone()).isFalse();
            release.countDown();
            return null;
        });
    }

    @Test
    void s3_threadSleepAfterACaughtCancelledThrowsInterruptedException() {
        Scope.run(s -> {
            s.cancel("stop");
            try {
                Weft.checkpoint();
            } catch (Cancelled swallowed) {
                // on purpose: Weft has set the interrupt again
            }
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            assertThatThrownBy(() -> new CountDownLatch(1).await(10, SECONDS)) // the next interruptible JDK call
                    .isInstanceOf(InterruptedException.class);
            assertThatThrownBy(Weft::checkpoint).as("still cancelled after the JDK consumed the interrupt")
                    .isInstanceOf(Cancelled.class);
            return null;
        });
    }

    @Test
    void s3_cancellationEndsAtTheScopeExitAndLeavesNoInterrupt() throws Exception {
        String result = Scope.run(outer -> {
            Cancelled c = catchThrowableOfType(Cancelled.class, () -> Scope.run(inner -> {
                inner.cancel("inner only");
                return sleepForever();
            }));
            assertThat(c.reason().message()).contains("inner only");
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt after the inner scope").isFalse();
            Weft.checkpoint();
            return "outer went on";
        });
        assertThat(result).isEqualTo("outer went on");

        assertThatThrownBy(() -> Scope.run(s -> {
            s.cancel("top level");
            return sleepForever();
        })).isInstanceOf(Cancelled.class);
        int swallowed = Scope.run(s -> {
            s.cancel("stop");
            try {
                Weft.checkpoint();
            } catch (Cancelled ignored) {
                // the body returns anyway: its value is the scope's
            }
            return 42;
        });
        assertThat(swallowed).isEqualTo(42);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void s3_aCancelRacingTheScopeExitLeavesNoStrayInterrupt() throws Exception {
        // Another thread cancels the scope just as its body returns. Whatever the order, the code
        // after Scope.run runs in a live scope and must not find its thread interrupted. The 200
        // enclosing scopes lengthen the exit's walk up the tree, widening any window in which a
        // late cancel could still interrupt the thread; both sides spin so that they meet there.
        int stray = nested(200, () -> {
            AtomicReference<Scope> racing = new AtomicReference<>();
            AtomicInteger bodyReturns = new AtomicInteger(-1);
            AtomicInteger cancelled = new AtomicInteger(-1);
            AtomicBoolean stop = new AtomicBoolean();
            Thread canceller = Thread.ofPlatform().start(() -> {
                for (int round = 0; !stop.get(); ) {
                    if (bodyReturns.get() != round) {
                        Thread.onSpinWait();
                        continue;
                    }
                    for (int spin = ThreadLocalRandom.current().nextInt(64); spin > 0; spin--) Thread.onSpinWait();
                    racing.get().cancel("racing the exit");
                    cancelled.set(round++);
                }
            });
            int interrupted = 0;
            long until = System.nanoTime() + MILLISECONDS.toNanos(1500);
            try {
                for (int round = 0; round < 5000 && System.nanoTime() < until; round++) {
                    int r = round;
                    Scope.run(s -> {
                        racing.set(s);
                        bodyReturns.set(r);
                        return null;
                    });
                    if (Thread.interrupted()) interrupted++;
                    while (cancelled.get() != round) Thread.onSpinWait();
                }
            } finally {
                stop.set(true);
                canceller.join();
            }
            return interrupted;
        });
        assertThat(stray).as("rounds that left the thread interrupted after Scope.run").isZero();
    }

    private static int nested(int depth, Callable<Integer> innermost) throws Exception {
        return depth == 0 ? innermost.call() : Scope.run(s -> nested(depth - 1, innermost));
    }

    // ------------------------------------------------------------------ waking blocked tasks

    static Stream<Named<Callable<?>>> interruptibleWaits() {
        return Stream.of(
                Named.of("Weft.sleep", CancellationTest::sleepForever),
                Named.of("Thread.sleep", () -> { // the JDK call under test (S3), not a way to order steps
                    Thread.sleep(FOREVER);
                    return null;
                }),
                Named.of("LinkedBlockingQueue.take", () -> new LinkedBlockingQueue<String>().take()),
                Named.of("SynchronousQueue.take", () -> new SynchronousQueue<String>().take()),
                Named.of("CountDownLatch.await", () -> {
                    new CountDownLatch(1).await();
                    return null;
                }),
                Named.of("InterruptedException wrapped in a RuntimeException", () -> {
                    try {
                        new CountDownLatch(1).await();
                        return null;
                    } catch (InterruptedException e) {
                        throw new RuntimeException("wrapped", e); // still a cancellation, not a failure
                    }
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("interruptibleWaits")
    void s3_cancelWakesATaskBlockedIn(Callable<?> blockedWait) {
        assertCancelWakes(blockedWait);
    }

    @Test
    void s3_cancelWakesLockInterruptibly() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            lock.lock();
            held.countDown();
            awaitUninterruptibly(release);
            lock.unlock();
        });
        try {
            held.await();
            assertCancelWakes(() -> {
                lock.lockInterruptibly();
                lock.unlock();
                return "acquired";
            });
        } finally {
            release.countDown();
            holder.join();
        }
    }

    @Test
    void s3_cancelWakesJoinOnANeverEndingSibling() {
        CountDownLatch release = new CountDownLatch(1);
        Scope.run(s -> {
            Task<Object> neverEnds = forkBlocked(s, () -> {
                awaitUninterruptibly(release); // outlives the joiner, whatever the cancel does
                return null;
            });
            Task<Object> joiner = forkBlocked(s, neverEnds::join);
            s.cancel("stop");
            awaitDone(joiner);
            assertThat(joiner.state()).isEqualTo(TaskState.CANCELLED);
            assertThat(neverEnds.isDone()).isFalse();
            release.countDown();
            return null;
        });
    }

    @Test
    @SuppressWarnings("try") // the accepted peer is only held open, never read
    void s3_cancelWakesSocketReadOnAVirtualThread() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Task<?> task = Scope.run(s -> {
                CountDownLatch connected = new CountDownLatch(1);
                Watched<Integer> reader = forkWatched(s, () -> {
                    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                        connected.countDown();
                        return socket.getInputStream().read(); // the peer never writes
                    }
                });
                try (Socket peer = server.accept()) {
                    connected.await();
                    reader.awaitBlocked();
                    s.cancel("stop reading");
                    awaitDone(reader.task());
                }
                return reader.task();
            });
            assertThat(task.state()).isEqualTo(TaskState.CANCELLED);
        }
    }

    @Test
    void s3_cancelWakesServerSocketAcceptOnAVirtualThread() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertCancelWakes(server::accept);
        }
    }

    // ------------------------------------------------------------------ what cannot be interrupted

    @Test
    void s3_synchronizedMonitorEntryIsNotInterruptedAndTheScopeWaitsForIt() throws Throwable {
        Object monitor = new Object();
        AtomicBoolean entered = new AtomicBoolean();
        assertScopeWaitsForUninterruptibleWait(entered, holding -> {
            synchronized (monitor) {
                holding.run();
            }
        }, () -> {
            synchronized (monitor) {
                entered.set(true);
            }
        });
    }

    @Test
    void s3_lockLockIsNotInterruptedAndTheScopeWaitsForIt() throws Throwable {
        ReentrantLock lock = new ReentrantLock();
        AtomicBoolean entered = new AtomicBoolean();
        assertScopeWaitsForUninterruptibleWait(entered, holding -> {
            lock.lock();
            holding.run();
            lock.unlock();
        }, () -> {
            lock.lock();
            entered.set(true);
            lock.unlock();
        });
    }

    /**
     * A hand-made thread holds a resource (in {@code hold}) until released; a task blocks on it in
     * {@code blockedWait}, which sets {@code entered} once through. Cancelling cannot wake the task,
     * so the scope waits (S1) until the resource is released; the task's next checkpoint then ends it.
     */
    private static void assertScopeWaitsForUninterruptibleWait(AtomicBoolean entered, Consumer<Runnable> hold,
                                                               Runnable blockedWait) throws Throwable {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> hold.accept(() -> {
            holding.countDown();
            awaitUninterruptibly(release);
        }));
        try {
            holding.await();
            FutureTask<Task<?>> scope = inThread(() -> Scope.run(s -> {
                Task<String> t = forkBlocked(s, () -> {
                    blockedWait.run();
                    Weft.checkpoint(); // the first cancellation point after the wait
                    return "ran to the end";
                });
                s.cancel("cannot wake it");
                cancelled.countDown();
                return t;
            }));
            cancelled.await();
            // A check, not ordering: an interruptible wait would have let the scope end at once.
            assertThatThrownBy(() -> scope.get(100, MILLISECONDS)).as("the scope still waits for the stuck task")
                    .isInstanceOf(TimeoutException.class);
            assertThat(entered).as("still blocked after the cancel").isFalse();
            release.countDown();
            Task<?> task = outcome(scope);
            assertThat(entered).as("got through once the holder let go").isTrue();
            assertThat(task.state()).isEqualTo(TaskState.CANCELLED);
        } finally {
            release.countDown();
            holder.join();
        }
    }

    // ------------------------------------------------------------------ cancellation vs failure

    @Test
    void s2_aRealFailureWhileTheScopeIsCancelledIsReported() {
        IllegalStateException cleanupFailed = new IllegalStateException("cleanup failed");
        ExceptionGroup group = catchThrowableOfType(ExceptionGroup.class, () -> Scope.run(s -> {
            Task<Object> t = forkBlocked(s, () -> {
                try {
                    return sleepForever();
                } catch (Cancelled c) {
                    throw cleanupFailed;
                }
            });
            s.cancel("stop");
            awaitDone(t);
            assertThat(t.state()).isEqualTo(TaskState.FAILED);
            return null;
        }));
        assertThat(group.single()).isSameAs(cleanupFailed);
    }

    @Test
    void s2_bodyJoiningATaskEndedByTheSameCancellationEndsCancelledNotFailed() {
        Cancelled c = catchThrowableOfType(Cancelled.class, () -> Scope.run(s -> {
            Task<Object> t = forkBlocked(s, CancellationTest::sleepForever);
            s.cancel("stop");
            awaitDone(t); // the task ends before the body joins it: a common race, made certain
            return t.join();
        }));
        assertThat(c).as("the TaskCancelledException that the scope's own cancel caused is no failure").isNotNull();
        assertThat(c.reason().message()).contains("stop");
    }

    @Test
    void s2_taskJoiningASiblingEndedByTheSameCancellationEndsCancelledNotFailed() {
        CountDownLatch joinNow = new CountDownLatch(1);
        Task<?> joiner = Scope.run(s -> {
            Task<Object> sibling = forkBlocked(s, CancellationTest::sleepForever);
            Task<Object> j = forkBlocked(s, () -> {
                awaitUninterruptibly(joinNow);
                return sibling.join();
            });
            s.cancel("stop");
            awaitDone(sibling);
            joinNow.countDown();
            awaitDone(j);
            return j;
        });
        assertThat(joiner.state()).isEqualTo(TaskState.CANCELLED);
    }

    // ------------------------------------------------------------------ S4: reasons

    @Test
    void s4_cancelReasonReachesTasksAndNestedScopes() {
        AtomicReference<CancelReason> inTask = new AtomicReference<>();
        Cancelled fromNested = catchThrowableOfType(Cancelled.class, () -> Scope.builder().name("orders").run(s -> {
            forkBlocked(s, () -> recordReason(inTask));
            return Scope.run(nested -> {
                s.cancel("user pressed stop");
                s.cancel("a second reason is ignored");
                return sleepForever();
            });
        }));
        CancelReason r = fromNested.reason();
        assertThat(r.kind()).isEqualTo(CancelReason.Kind.REQUESTED);
        assertThat(r.message()).contains("user pressed stop").doesNotContain("second reason");
        assertThat(r.source()).isEqualTo("scope 'orders'");
        assertThat(r.cause()).isEmpty();
        assertThat(fromNested.getMessage()).contains("user pressed stop");
        assertThat(inTask.get()).isSameAs(r);
    }

    @Test
    void s4_taskCancelNamesTheTaskAndLeavesTheScopeAlone() {
        Scope.run(s -> {
            Task<Object> t = forkBlocked(s, CancellationTest::sleepForever);
            t.cancel("not needed");
            TaskCancelledException e = catchThrowableOfType(TaskCancelledException.class, t::join);
            assertThat(e.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
            assertThat(e.reason().source()).isEqualTo("task '" + t.name() + "'");
            assertThat(e.reason().message()).contains("not needed");
            assertThat(s.isCancelled()).isFalse();
            Weft.checkpoint();
            return null;
        });
    }

    // ------------------------------------------------------------------ S5: shields

    @Test
    void s5_shieldedScopeIgnoresOuterCancellationThenTheOuterIsCancelledAgain() throws Throwable {
        FakeClock clock = new FakeClock();
        AtomicReference<String> inShield = new AtomicReference<>();
        AtomicBoolean interruptedAfterShield = new AtomicBoolean();
        FutureTask<Object> owner = inThread(() -> Scope.builder().clock(clock).run(outer -> {
            outer.cancel("outer stops");
            Scope.shielded(shield -> {
                String seen = "cancelled=" + (Weft.isCancelled() || shield.isCancelled())
                        + " interrupted=" + Thread.currentThread().isInterrupted();
                Weft.checkpoint();
                Weft.sleep(Duration.ofSeconds(5));
                inShield.set(seen + " slept");
                return null;
            });
            interruptedAfterShield.set(Thread.currentThread().isInterrupted());
            return sleepForever();
        }));
        clock.awaitTimers(1);
        clock.advance(Duration.ofSeconds(5));
        assertThatThrownBy(() -> outcome(owner)).isInstanceOf(Cancelled.class).hasMessageContaining("outer stops");
        assertThat(inShield.get()).isEqualTo("cancelled=false interrupted=false slept");
        assertThat(interruptedAfterShield).as("outer cancellation visible again after the shield").isTrue();
    }

    @Test
    void s5_builderShieldWorksLikeShieldedForItsTasksToo() {
        String r = Scope.run(outer -> {
            outer.cancel("outer stops");
            return Scope.builder().shield().run(shield -> shield.fork(() -> {
                Weft.checkpoint();
                return "task ran";
            }).join());
        });
        assertThat(r).isEqualTo("task ran");
    }

    @Test
    void s5_shieldInsideAShieldIgnoresBothOuterCancellations() {
        FakeClock clock = new FakeClock();
        String r = Scope.builder().clock(clock).run(outer -> {
            outer.cancel("outer stops");
            return Scope.shielded(s1 -> {
                s1.cancel("first shield stops");
                String inner = Scope.shielded(s2 -> {
                    assertThat(Weft.isCancelled()).isFalse();
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                    Task<String> sleeper = s2.fork(() -> {
                        Weft.sleep(Duration.ofSeconds(1));
                        return "slept";
                    });
                    clock.awaitTimers(1);
                    clock.advance(Duration.ofSeconds(1));
                    return sleeper.join();
                });
                assertThat(Weft.cancelReason()).hasValueSatisfying(
                        reason -> assertThat(reason.message()).contains("first shield stops"));
                return inner;
            });
        });
        assertThat(r).isEqualTo("slept");
    }

    // ------------------------------------------------------------------ interrupts from outside Weft

    @Test
    void s3_ownerInterruptedFromOutsideWhileTheBodyIsBlockedEndsTheScopeAsInterrupted() throws Exception {
        Interrupted r = interruptOwner(true);
        assertThat(r.thrown()).isInstanceOf(Cancelled.class);
        assertThat(((Cancelled) r.thrown()).reason().kind()).isEqualTo(CancelReason.Kind.INTERRUPTED);
        assertThat(r.taskSaw()).as("the task was cancelled, for the same reason").isNotNull();
        assertThat(r.taskSaw().kind()).isEqualTo(CancelReason.Kind.INTERRUPTED);
        assertThat(r.interruptedAfter()).as("the interrupt is given back to the owner").isTrue();
    }

    @Test
    void s3_ownerInterruptedFromOutsideWhileWaitingForTasksCancelsThemAndKeepsTheInterrupt() throws Exception {
        Interrupted r = interruptOwner(false);
        assertThat(r.thrown()).isNull();
        assertThat(r.taskSaw().kind()).isEqualTo(CancelReason.Kind.INTERRUPTED);
        assertThat(r.interruptedAfter()).isTrue();
    }

    private record Interrupted(Throwable thrown, CancelReason taskSaw, boolean interruptedAfter) {}

    /** Runs a scope on a platform thread with one blocked task, and interrupts that thread from outside Weft. */
    private static Interrupted interruptOwner(boolean bodyBlocks) throws Exception {
        AtomicReference<CancelReason> taskSaw = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        CountDownLatch taskBlocked = new CountDownLatch(1);
        CountDownLatch bodyAtRest = new CountDownLatch(1);
        Thread owner = Thread.ofPlatform().start(() -> {
            try {
                Scope.run(s -> {
                    s.fork("worker", () -> {
                        taskBlocked.countDown();
                        return recordReason(taskSaw);
                    });
                    bodyAtRest.countDown();
                    return bodyBlocks ? sleepForever() : "body done"; // else the scope waits for its task
                });
            } catch (Throwable t) {
                thrown.set(t);
            }
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        });
        taskBlocked.await();
        bodyAtRest.await();
        spinUntil(() -> owner.getState() == Thread.State.WAITING || owner.getState() == Thread.State.TIMED_WAITING,
                "the owner to block");
        owner.interrupt();
        owner.join();
        return new Interrupted(thrown.get(), taskSaw.get(), interruptedAfter.get());
    }

    // ------------------------------------------------------------------ helpers

    private static Object sleepForever() {
        Weft.sleep(FOREVER);
        throw new AssertionError("woke from a year's sleep");
    }

    /** Sleeps until cancelled, records the reason, and lets the Cancelled propagate. */
    private static Object recordReason(AtomicReference<CancelReason> into) {
        try {
            return sleepForever();
        } catch (Cancelled c) {
            into.set(c.reason());
            throw c;
        }
    }

    /** Forks {@code blocker}, cancels the scope once the task is blocked, and checks it ended CANCELLED and no failure was reported. */
    private static void assertCancelWakes(Callable<?> blocker) {
        Task<?> task = Scope.run(s -> {
            Task<?> t = forkBlocked(s, blocker);
            s.cancel("test cancels a blocked task");
            awaitDone(t);
            return t; // Scope.run returning at all means no failure was reported
        });
        assertThat(task.state()).isEqualTo(TaskState.CANCELLED);
    }

    /** A forked task and its thread, to see when it blocks. */
    private record Watched<T>(Task<T> task, AtomicReference<Thread> thread) {
        void awaitBlocked() {
            EnumSet<Thread.State> blocked = EnumSet.of(Thread.State.WAITING, Thread.State.TIMED_WAITING, Thread.State.BLOCKED);
            spinUntil(() -> task.isDone() || blocked.contains(thread.get().getState()), task + " to block");
        }
    }

    /** Forks {@code work} and returns once it has started running. */
    private static <T> Watched<T> forkWatched(Scope s, Callable<T> work) throws InterruptedException {
        AtomicReference<Thread> thread = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Task<T> t = s.fork("blocked", () -> {
            thread.set(Thread.currentThread());
            started.countDown();
            return work.call();
        });
        started.await();
        return new Watched<>(t, thread);
    }

    /** Forks {@code blocker} and returns once its thread is parked or blocked in it. */
    private static <T> Task<T> forkBlocked(Scope s, Callable<T> blocker) throws InterruptedException {
        Watched<T> w = forkWatched(s, blocker);
        w.awaitBlocked();
        return w.task();
    }

    /** Spins until the task is done: usable in a cancelled body, where every interruptible wait throws. */
    private static void awaitDone(Task<?> t) {
        spinUntil(t::isDone, t + " to end after the cancel");
    }

    /** Spins (never sleeps) until {@code condition} holds, failing after 10 s. */
    private static void spinUntil(BooleanSupplier condition, String what) {
        long give = System.nanoTime() + SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > give) throw new AssertionError("gave up waiting for " + what);
            Thread.onSpinWait();
        }
    }

    /** Waits for the latch ignoring interrupts (like code that cannot be cancelled), then restores the status. */
    static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

}
