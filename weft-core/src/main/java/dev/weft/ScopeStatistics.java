package dev.weft;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An immutable snapshot of a scope, taken by {@link Scope#statistics()} (Trio, AnyIO): never
 * live state.
 *
 * @param scopeName           the scope's name
 * @param liveTasks           tasks forked and not yet finished, background ones included
 * @param liveBackgroundTasks how many of those are background tasks
 * @param tasks               one entry per live task, newest first
 * @param cancelReason        why the scope is cancelled, if it is
 * @param deadline            its effective deadline, if any
 */
public record ScopeStatistics(String scopeName, int liveTasks, int liveBackgroundTasks, List<TaskSnapshot> tasks,
                              Optional<CancelReason> cancelReason, Optional<Instant> deadline) {

    /** Copies {@code tasks}, so the snapshot cannot change. */
    public ScopeStatistics {
        tasks = List.copyOf(tasks);
    }

    /**
     * One live task at the moment of the snapshot.
     *
     * @param name       its name
     * @param kind       where it runs
     * @param state      its state then
     * @param background whether it is a background task
     */
    public record TaskSnapshot(String name, ExecutionKind kind, TaskState state, boolean background) {}
}
