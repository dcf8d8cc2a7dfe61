package dev.weft;

import java.time.Duration;

/**
 * How a scope went, for {@link ScopeObserver#scopeClosed}.
 *
 * @param elapsed     from opening to closing, on the scope's clock
 * @param tasksForked tasks forked into the scope, background and {@code start} ones included
 * @param failures    failures reported in the scope's {@link ExceptionGroup}, if it threw one (0 otherwise)
 * @param outcome     what {@code run} did
 */
public record ScopeSummary(Duration elapsed, int tasksForked, int failures, Outcome outcome) {

    /** What a scope's {@code run} (or {@code moveOn}) did. */
    public enum Outcome {
        /** Returned the body's value. */
        VALUE,
        /** A {@code moveOn} scope returned without a value: its own deadline or cancel cut the body short. */
        CUT_SHORT,
        /** Threw an {@link ExceptionGroup}. */
        FAILED,
        /** Threw {@link DeadlineExceeded}. */
        DEADLINE_EXCEEDED,
        /** Threw {@link Cancelled}. */
        CANCELLED
    }
}
