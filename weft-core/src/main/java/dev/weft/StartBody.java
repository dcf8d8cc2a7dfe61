package dev.weft;

/**
 * The code of a task started with {@link Scope#start(StartBody)}: it calls
 * {@link TaskStatus#started(Object)} once it is ready (listening, connected, warmed up), and may
 * then go on running in the scope.
 *
 * @param <V> what the task hands back to the caller of {@code start}
 */
@FunctionalInterface
public interface StartBody<V> {
    /** Runs the task; call {@code status.started(value)} exactly once when ready. */
    void run(TaskStatus<V> status) throws Exception;
}
