package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * Helpers for the contract tests of scopes and tasks. None of them sleeps: they order steps with
 * latches, or by watching a thread park on a known blocker, and give up (failing the test) only
 * after {@link #GIVE_UP_SECONDS} so that a broken rule fails fast instead of spinning forever.
 */
public final class TestSupport {

    public static final long GIVE_UP_SECONDS = 20;

    private TestSupport() {}

    /** A failure with its own identity, so a test can tell whether this very object was reported. */
    public static final class Marker extends RuntimeException {
        public Marker(String id) {
            super(id);
        }

        @Override
        public String toString() {
            return "Marker[" + getMessage() + "]";
        }
    }

    /** Blocks until cancelled: ends only by {@link InterruptedException} when the task is cancelled. */
    public static <T> T blockForever() throws InterruptedException {
        new CountDownLatch(1).await();
        throw new AssertionError("unreachable: nobody counts this latch down");
    }

    /** Awaits {@code latch}, failing the test if it does not open in time (a lost signal, not a timing assumption). */
    public static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(GIVE_UP_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("latch did not open within " + GIVE_UP_SECONDS + " s (count " + latch.getCount() + ")");
        }
    }

    /**
     * Spins, yielding, until {@code condition} holds. It is deliberately not a cancellation point,
     * so cancelled tasks can use it to hold their scope open while the test watches.
     */
    public static void spinUntil(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(GIVE_UP_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) throw new AssertionError("gave up waiting for: " + what);
            Thread.yield();
        }
    }

    /**
     * Waits until {@code owner}, the thread that opened {@code scope}, is parked waiting for the
     * scope's tasks: the body has ended and the scope is closing (it parks with the scope as blocker).
     */
    public static void awaitClosing(Scope scope, Thread owner) {
        spinUntil("the owner of " + scope + " to wait for its tasks", () -> LockSupport.getBlocker(owner) == scope);
    }

    /** Catches what {@code call} throws and checks it is an {@link ExceptionGroup}. */
    public static ExceptionGroup catchGroup(ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("expected the scope to throw an ExceptionGroup").isInstanceOf(ExceptionGroup.class);
        return (ExceptionGroup) t;
    }

    /** Catches what {@code call} throws and checks it is a {@link Cancelled}. */
    public static Cancelled catchCancelled(ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("expected Cancelled").isInstanceOf(Cancelled.class);
        return (Cancelled) t;
    }

    /** The leaf errors of a group, depth first. */
    public static List<Throwable> leafErrors(ExceptionGroup g) {
        return g.leaves().stream().map(ExceptionGroup.Failure::error).toList();
    }

    /**
     * Counts task bodies that are running, and keeps every handle, so a test can check after the
     * scope ended that no task code is still running and every task is done (S1).
     */
    public static final class Tracker {
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger entered = new AtomicInteger();
        final ConcurrentLinkedQueue<Task<?>> tasks = new ConcurrentLinkedQueue<>();

        <T> Callable<T> track(Callable<T> work) {
            return () -> {
                running.incrementAndGet();
                entered.incrementAndGet();
                try {
                    return work.call();
                } finally {
                    running.decrementAndGet();
                }
            };
        }

        <T> Task<T> fork(Scope scope, String name, Callable<T> work) {
            Task<T> t = name == null ? scope.fork(track(work)) : scope.fork(name, track(work));
            tasks.add(t);
            return t;
        }

        <T> Task<T> fork(Scope scope, Callable<T> work) {
            return fork(scope, null, work);
        }

        <T> Task<T> forkBackground(Scope scope, Callable<T> work) {
            return forkBackground(scope, null, work);
        }

        <T> Task<T> forkBackground(Scope scope, String name, Callable<T> work) {
            Task<T> t = name == null ? scope.forkBackground(track(work)) : scope.forkBackground(name, track(work));
            tasks.add(t);
            return t;
        }

        /** The invariant after a scope ended: no task code runs and every handle is done. */
        void assertAllFinished() {
            assertThat(running).as("task bodies still running after the scope ended").hasValue(0);
            assertThat(tasks).as("every task handle is done after the scope ended").allMatch(Task::isDone);
        }
    }

    /** Runs {@code body} on a new platform thread, so the test thread can watch it or drive a FakeClock. */
    public static <T> FutureTask<T> inThread(Callable<T> body) {
        FutureTask<T> f = new FutureTask<>(body);
        Thread.ofPlatform().name("scope-owner").start(f);
        return f;
    }

    /** What {@code f} returned or threw, waiting at most {@link #GIVE_UP_SECONDS}. */
    public static <T> T outcome(FutureTask<T> f) throws Throwable {
        try {
            return f.get(GIVE_UP_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause();
        }
    }
}
