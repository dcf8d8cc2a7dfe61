package dev.weft;

import java.util.NoSuchElementException;

/**
 * What {@link Scope#moveOnAfter} returns: the body's value, and whether the deadline passed
 * (Trio's {@code cancelled_caught}). If the body returned a value although the deadline passed
 * (it caught the cancellation and finished anyway), both are reported: nothing is lost.
 *
 * @param <T> the body's value
 */
public final class MoveOnResult<T> {
    private static final Object NONE = new Object();

    private final Object value;
    private final boolean timedOut;

    private MoveOnResult(Object value, boolean timedOut) {
        this.value = value;
        this.timedOut = timedOut;
    }

    static <T> MoveOnResult<T> completed(T value) {
        return new MoveOnResult<>(value, false);
    }

    static <T> MoveOnResult<T> cutShort() {
        return new MoveOnResult<>(NONE, true);
    }

    static <T> MoveOnResult<T> timedOut(T value) {
        return new MoveOnResult<>(value, true);
    }

    /** True if the deadline passed before the scope finished. */
    public boolean timedOut() {
        return timedOut;
    }

    /** True if the body returned a value (always, unless it was cut short by the deadline). */
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
            throw new NoSuchElementException("no value: the deadline passed before the body returned; check hasValue() or use orElse(..)");
        }
        return (T) value;
    }

    /** The body's value, or {@code fallback} if the deadline cut it short. */
    @SuppressWarnings("unchecked")
    public T orElse(T fallback) {
        return value == NONE ? fallback : (T) value;
    }

    @Override
    public String toString() {
        return "MoveOnResult[" + (timedOut ? "timed out" : "completed") + (hasValue() ? ", value=" + value : "") + "]";
    }
}
