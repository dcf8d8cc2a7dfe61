package dev.weft;

import java.util.Objects;

/**
 * Thrown by a cancellation point (a Weft wait, {@link Weft#sleep}, {@link Weft#checkpoint()})
 * when the current scope is cancelled.
 *
 * <p>Cancellation is level-triggered (rule S3): catching {@code Cancelled} does not un-cancel
 * the scope, and every later cancellation point inside it throws again until the scope exits.
 * Let it propagate; the scope that was cancelled knows it caused it and does not report it as a
 * failure (S2). When Weft throws it, it also sets the thread's interrupt status, so the next
 * interruptible JDK call (sleep, a blocking queue, socket I/O on a virtual thread) fails too.
 *
 * <p>It is unchecked so it passes through lambdas; see {@code docs/adr/0003-cancelled-is-unchecked.md}.
 */
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public class Cancelled extends RuntimeException {

    private final transient CancelReason reason;

    /** A cancellation with the given reason. */
    public Cancelled(CancelReason reason) {
        super("cancelled: " + Objects.requireNonNull(reason, "reason").message());
        this.reason = reason;
    }

    Cancelled(CancelReason reason, Throwable cause) {
        super("cancelled: " + reason.message(), cause);
        this.reason = reason;
    }

    /** Why the scope was cancelled (rule S4). */
    public CancelReason reason() {
        return reason;
    }
}
