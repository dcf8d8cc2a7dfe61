package dev.weft.sync;

import java.util.List;

/**
 * An immutable snapshot of a {@link CapacityLimiter}, taken by {@link CapacityLimiter#statistics()}.
 *
 * @param borrowedTokens how many tokens were borrowed (may exceed {@code totalTokens} right after
 *                       the total was lowered)
 * @param totalTokens    the total number of tokens
 * @param borrowers      who held them, in the order they borrowed: a {@link Thread} for the
 *                       default borrower, else the object given to {@code acquireOnBehalfOf}
 * @param tasksWaiting   how many were waiting for a token
 */
public record CapacityLimiterStatistics(int borrowedTokens, int totalTokens, List<Object> borrowers, int tasksWaiting) {

    /** Copies {@code borrowers}, so the snapshot cannot change. */
    public CapacityLimiterStatistics {
        borrowers = List.copyOf(borrowers);
        if (borrowedTokens != borrowers.size()) {
            throw new IllegalArgumentException("borrowedTokens " + borrowedTokens + " but " + borrowers.size() + " borrowers");
        }
        if (totalTokens < 1 || tasksWaiting < 0) {
            throw new IllegalArgumentException("totalTokens must be >= 1 and tasksWaiting >= 0");
        }
    }
}
