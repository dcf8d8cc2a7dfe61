package dev.weft;

/** The life of a {@link Task}: {@code PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED}. */
public enum TaskState {
    /** Forked but not yet running (a CPU task waiting for a pool thread, or a thread not yet scheduled). */
    PENDING,
    /** Running its code. */
    RUNNING,
    /** Returned a value. */
    SUCCEEDED,
    /** Threw something that was not caused by cancellation; the scope reports it (S2). */
    FAILED,
    /** Ended because it was cancelled (or was cancelled before it began, and never ran). */
    CANCELLED;

    /** True for {@code SUCCEEDED}, {@code FAILED} and {@code CANCELLED}. */
    public boolean isDone() {
        return ordinal() >= SUCCEEDED.ordinal();
    }
}
