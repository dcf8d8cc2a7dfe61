package dev.weft;

import java.util.concurrent.Callable;

/**
 * Watches scopes and their tasks, for metrics, traces and logs (a Micrometer meter registry, an
 * OpenTelemetry tracer, a logging MDC): every scope opened and closed, every task forked and
 * ended, every cancellation; and it may wrap each task's work, to carry a context (a trace span,
 * an MDC map) onto the task's thread.
 *
 * <pre>{@code
 * ScopeObserver.register(new ScopeObserver() {          // once, at start-up
 *     public void scopeClosed(Scope scope, Object state, ScopeSummary s) {
 *         log.debug("{} closed after {}: {} tasks, {}", scope.name(), s.elapsed(), s.tasksForked(), s.outcome());
 *     }
 * });
 * }</pre>
 *
 * <h2>Which scopes an observer sees</h2>
 * An observer {@linkplain #register registered} for the process sees every scope tree opened
 * after that; one given to {@link Scope.Builder#observer} sees that scope and every scope nested in
 * it. A tree keeps the observers it opened with: registering later does not reach trees already
 * open, and unregistering does not leave them.
 *
 * <h2>What the methods may do</h2>
 * Each runs on the thread where its event happens (see each method), synchronously, so it must be
 * quick and must not block: record, then return. It must not throw: an exception from an observer
 * never changes what the scope does; it goes to the thread's uncaught-exception handler. With no
 * observer, nothing of this costs more than a null check per scope and per fork.
 */
public interface ScopeObserver {

    /**
     * A scope opened, on its owner's thread, inside the scope ({@link Scope#current()} is it),
     * before the body runs.
     *
     * @return anything this observer wants back in {@link #scopeClosed} (a timer sample, a span),
     *         or null
     */
    default Object scopeOpened(Scope scope) {
        return null;
    }

    /** A task is forked into {@code scope}, on the forking thread, before the task can start. */
    default void taskForked(Scope scope, Task<?> task) {}

    /**
     * Wraps the work a task will run, on the forking thread, right after {@link #taskForked}: the
     * returned callable runs on the task's thread instead of {@code work}, and must call
     * {@code work}. To carry a thread-bound context into the task, capture it here and restore it
     * around {@code work.call()}. The default returns {@code work}.
     */
    default <T> Callable<T> wrap(Scope scope, Task<?> task, Callable<T> work) {
        return work;
    }

    /**
     * A task ended ({@link Task#state()} says how), on the task's thread after its work, or on the
     * cancelling thread for a task cancelled before it ran.
     */
    default void taskEnded(Scope scope, Task<?> task) {}

    /**
     * {@code scope} itself was cancelled (not merely an enclosing scope): by its deadline, a
     * failure in it, a request or an interrupt, with this reason. On the cancelling thread.
     */
    default void scopeCancelled(Scope scope, CancelReason reason) {}

    /**
     * {@code scope} closed: every task ended and the outcome is decided. On the owner's thread,
     * after it left the scope, just before {@code run} returns or throws.
     *
     * @param state what {@link #scopeOpened} returned for this scope
     */
    default void scopeClosed(Scope scope, Object state, ScopeSummary summary) {}

    /**
     * Registers {@code observer} for every scope tree opened from now on, until the returned
     * registration is closed.
     */
    static Registration register(ScopeObserver observer) {
        return Observers.register(observer);
    }

    /** A process-wide registration: {@link #close()} removes it (idempotent). */
    interface Registration extends AutoCloseable {
        /** Stops the observer from seeing trees opened from now on. */
        @Override
        void close();
    }
}
