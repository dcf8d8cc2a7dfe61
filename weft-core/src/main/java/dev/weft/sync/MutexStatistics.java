package dev.weft.sync;

import java.util.Objects;
import java.util.Optional;

/**
 * An immutable snapshot of a {@link Mutex}, taken by {@link Mutex#statistics()}.
 *
 * @param locked       whether a thread held it
 * @param owner        the name of the thread that held it, if one did
 * @param tasksWaiting how many threads were waiting to acquire it (signalled {@link Condition}
 *                     waiters waiting to get it back included)
 */
public record MutexStatistics(boolean locked, Optional<String> owner, int tasksWaiting) {

    /** Checks the fields agree. */
    public MutexStatistics {
        Objects.requireNonNull(owner, "owner");
        if (locked != owner.isPresent()) throw new IllegalArgumentException("owner must be present exactly when locked");
        if (tasksWaiting < 0) throw new IllegalArgumentException("tasksWaiting must be >= 0, got " + tasksWaiting);
    }
}
