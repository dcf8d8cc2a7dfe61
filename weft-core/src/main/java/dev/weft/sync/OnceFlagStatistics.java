package dev.weft.sync;

/**
 * An immutable snapshot of a {@link OnceFlag}, taken by {@link OnceFlag#statistics()}.
 *
 * @param set          whether the flag was set
 * @param tasksWaiting how many threads were waiting for it
 */
public record OnceFlagStatistics(boolean set, int tasksWaiting) {

    /** Checks the fields. */
    public OnceFlagStatistics {
        if (tasksWaiting < 0) throw new IllegalArgumentException("tasksWaiting must be >= 0, got " + tasksWaiting);
    }
}
