package dev.weft.sync;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * An immutable snapshot of a {@link Semaphore}, taken by {@link Semaphore#statistics()}.
 *
 * @param value        how many permits were free
 * @param maxValue     the maximum, if the semaphore has one
 * @param tasksWaiting how many threads were waiting for a permit
 */
public record SemaphoreStatistics(int value, OptionalInt maxValue, int tasksWaiting) {

    /** Checks the fields. */
    public SemaphoreStatistics {
        Objects.requireNonNull(maxValue, "maxValue");
        if (value < 0 || tasksWaiting < 0) {
            throw new IllegalArgumentException("value and tasksWaiting must be >= 0, got " + value + " and " + tasksWaiting);
        }
    }
}
