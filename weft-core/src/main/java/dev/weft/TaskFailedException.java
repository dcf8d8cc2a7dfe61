package dev.weft;

import dev.weft.internal.Format;

/**
 * Thrown by {@link Task#join()} when the task failed, with the failure as its cause, and by
 * {@link Scope#start} when a task failed with a checked exception before it said
 * {@code started}. The scope reports the same failure in its {@link ExceptionGroup} (S2).
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public final class TaskFailedException extends RuntimeException {
    private final String taskName;

    TaskFailedException(String taskName, Throwable cause) {
        super("task '" + taskName + "' failed: " + Format.summary(cause), cause);
        this.taskName = taskName;
    }

    /** The name of the task that failed. */
    public String taskName() {
        return taskName;
    }
}
