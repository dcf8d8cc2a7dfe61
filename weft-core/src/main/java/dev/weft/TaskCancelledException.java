package dev.weft;

/**
 * Thrown by {@link Task#join()} (and {@link Scope#start}) when the task was cancelled, so it has
 * no value. It is not a {@link Cancelled}: the caller's own scope is not cancelled by it.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public final class TaskCancelledException extends RuntimeException {
    private final String taskName;
    private final transient CancelReason reason;

    TaskCancelledException(String taskName, CancelReason reason) {
        super("task '" + taskName + "' was cancelled: " + reason.message());
        this.taskName = taskName;
        this.reason = reason;
    }

    /** The name of the cancelled task. */
    public String taskName() {
        return taskName;
    }

    /** Why it was cancelled. */
    public CancelReason reason() {
        return reason;
    }
}
