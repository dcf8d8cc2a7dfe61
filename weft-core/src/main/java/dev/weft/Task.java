package dev.weft;

/**
 * A handle on a forked task. The same type for every {@link ExecutionKind}: a virtual thread, a
 * CPU pool thread or a child process.
 *
 * <p>A task never outlives its {@link Scope} (S1). Its failure is reported by the scope in an
 * {@link ExceptionGroup} (S2), whether or not anybody joins it; {@link #join()} is only how a
 * sibling or the body reads its value.
 *
 * @param <T> what the task returns
 */
public interface Task<T> {

    /**
     * The task's name: the one given at fork, or {@code <scope>-<n>}. A named task's thread
     * carries the name while it runs, so it shows in thread dumps; an unnamed task's thread
     * carries its scope's name (see {@code docs/adr/0007-thread-names.md}).
     */
    String name();

    /** Where it runs. */
    ExecutionKind kind();

    /** Its state now; may be stale as soon as it is returned, unless {@link TaskState#isDone()}. */
    TaskState state();

    /** Whether it has finished (succeeded, failed, or cancelled). */
    default boolean isDone() {
        return state().isDone();
    }

    /**
     * Waits for the task to finish and returns its value. While it waits, this is a
     * cancellation point: if the caller's scope is cancelled, it throws {@link Cancelled} (the
     * task is not touched). A task that already succeeded gives its value at once, without
     * checking the caller's cancellation, like {@code Future.get()} on a completed future. If the
     * caller is cancelled and the task ended cancelled, the caller's {@link Cancelled} wins.
     *
     * @throws TaskFailedException    if the task failed (the cause is its failure)
     * @throws TaskCancelledException if the task was cancelled
     */
    T join();

    /**
     * The value of a task that succeeded, without waiting.
     *
     * @throws IllegalStateException if it has not succeeded (yet), naming its state
     */
    T result();

    /**
     * The failure of a task that failed, without waiting.
     *
     * @throws IllegalStateException if it is not in state {@link TaskState#FAILED}
     */
    Throwable exception();

    /**
     * Cancels this task alone (its scope and siblings go on); it ends {@link TaskState#CANCELLED}
     * at its next cancellation point, and its {@link Cancelled} is not reported as a failure.
     * Idempotent: the first reason is kept.
     */
    void cancel(String reason);
}
