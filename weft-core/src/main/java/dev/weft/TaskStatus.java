package dev.weft;

/**
 * Handed to a {@link StartBody}: the task says it is ready with {@link #started(Object)}
 * (Trio's {@code task_status.started()}).
 *
 * @param <V> the value handed back to the caller of {@link Scope#start(StartBody)}
 */
public interface TaskStatus<V> {
    /**
     * Signals that the task is ready: {@link Scope#start} returns {@code value}. From now on a
     * failure of the task goes to its scope, no longer to the caller of {@code start}.
     *
     * @throws IllegalStateException if called twice, or after the task finished
     */
    void started(V value);
}
