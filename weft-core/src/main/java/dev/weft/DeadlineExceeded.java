package dev.weft;

import java.time.Duration;
import java.util.Optional;

/**
 * Thrown by {@link Scope#failAfter} and {@link Scope#failAt} (and a builder scope with a
 * deadline) when the deadline passed before the scope finished (rule S6). Like Trio's
 * {@code TooSlowError}; unchecked.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public final class DeadlineExceeded extends RuntimeException {

    private final String scopeName;
    private final transient Duration timeout;

    DeadlineExceeded(String scopeName, Duration timeout, CancelReason reason) {
        super(reason.message());
        this.scopeName = scopeName;
        this.timeout = timeout;
    }

    /** The name of the scope whose deadline passed. */
    public String scopeName() {
        return scopeName;
    }

    /** The time limit the scope was given, when it was given as a duration. */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }
}
