package dev.weft;

import java.util.NoSuchElementException;

/**
 * What {@link Scope#moveOnAfter} (and {@code Scope.builder()...moveOn}) returns: the body's value,
 * and whether the scope was cut short by its own deadline or its own {@code cancel(reason)}
 * (Trio's {@code cancelled_caught}). If the body returned a value although the scope was cancelled
 * (it caught the cancellation and finished anyway), both are reported: nothing is lost.
 *
 * @param <T> the body's value
 */
public final class MoveOnResult<T> {
    private static final Object NONE = new Object();

    private final Object value;
    private final CancelReason reason;

    private MoveOnResult(Object value, CancelReason reason) {
        this.value = value;
        this.reason = reason;
    }

    /** The body returned {@code value}; {@code reason} is the scope's own cancellation, if any. */
    static <T> MoveOnResult<T> completed(T value, CancelReason reason) {
        return new MoveOnResult<>(value, reason);
    }

    /** The body was ended by the scope's own deadline or cancel. */
    static <T> MoveOnResult<T> cutShort(CancelReason reason) {
        return new MoveOnResult<>(NONE, reason);
    }

    /** True if the scope's own deadline passed before it finished. */
    public boolean timedOut() {
        return reason != null && reason.kind() == CancelReason.Kind.DEADLINE;
    }

    /**
     * Why the scope was cancelled by itself, if it was: its deadline ({@code DEADLINE}) or its own
     * {@code cancel(reason)} ({@code REQUESTED}). Empty if it completed without.
     */
    public java.util.Optional<CancelReason> cancelReason() {
        return java.util.Optional.ofNullable(reason);
    }

    /** True if the body returned a value (always, unless the scope's deadline or cancel cut it short). */
    public boolean hasValue() {
        return value != NONE;
    }

    /**
     * The body's value.
     *
     * @throws NoSuchElementException if the deadline cut the body short; check {@link #hasValue()}
     *                                or use {@link #orElse}
     */
    @SuppressWarnings("unchecked")
    public T value() {
        if (value == NONE) {
            throw new NoSuchElementException("no value: the scope was cut short (" + reason + ") before the body returned; check hasValue() or use orElse(..)");
        }
        return (T) value;
    }

    /** The body's value, or {@code fallback} if the scope was cut short. */
    @SuppressWarnings("unchecked")
    public T orElse(T fallback) {
        return value == NONE ? fallback : (T) value;
    }

    @Override
    public String toString() {
        String how = reason == null ? "completed" : timedOut() ? "timed out" : "cancelled: " + reason.message();
        return "MoveOnResult[" + how + (hasValue() ? ", value=" + value : "") + "]";
    }
}
