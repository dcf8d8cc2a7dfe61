package dev.weft;

import dev.weft.internal.Format;

/**
 * Thrown by {@link Task#join()} when the task failed, with the failure as its cause: the scope
 * reports the same failure in its {@link ExceptionGroup} (S2), so a joiner that passes this on
 * in a scope cancelled by that failure is not reported again. Also thrown by {@link Scope#start}
 * when a task failed with a checked exception before it said {@code started}: that failure the
 * scope leaves to the caller of {@code start} (S7), so if the caller lets it out of a scope body,
 * it is reported as a failure of the body, cancelled or not.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public final class TaskFailedException extends RuntimeException {
    private final String taskName;
    /** True when the scope did not report this failure: start() handed it to its caller. */
    private final boolean handedToCaller;

    TaskFailedException(String taskName, Throwable cause) {
        this(taskName, cause, false);
    }

    private TaskFailedException(String taskName, Throwable cause, boolean handedToCaller) {
        super("task '" + taskName + "' failed: " + Format.summary(cause), cause);
        this.taskName = taskName;
        this.handedToCaller = handedToCaller;
    }

    /** What {@code start} throws for a checked failure before {@code started}: the scope does not report it. */
    static TaskFailedException handedToCaller(String taskName, Throwable cause) {
        return new TaskFailedException(taskName, cause, true);
    }

    /** Whether the task's own scope reports this failure (else the caller of {@code start} owns it). */
    boolean reportedByScope() {
        return !handedToCaller;
    }

    /** The name of the task that failed. */
    public String taskName() {
        return taskName;
    }
}
