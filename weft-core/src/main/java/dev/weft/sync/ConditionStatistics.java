package dev.weft.sync;

import java.util.Objects;

/**
 * An immutable snapshot of a {@link Condition}, taken by {@link Condition#statistics()}.
 *
 * @param tasksWaiting how many threads were waiting for a signal (not those signalled and now
 *                     waiting for the mutex: they count in the mutex's {@code tasksWaiting})
 * @param mutex        the bound mutex's snapshot, taken at the same moment
 */
public record ConditionStatistics(int tasksWaiting, MutexStatistics mutex) {

    /** Checks the fields. */
    public ConditionStatistics {
        if (tasksWaiting < 0) throw new IllegalArgumentException("tasksWaiting must be >= 0, got " + tasksWaiting);
        Objects.requireNonNull(mutex, "mutex");
    }
}
