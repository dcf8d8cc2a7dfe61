package dev.weft.channels;

import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * What {@link ReceiveChannel#tryReceive} got: an element, or why there was none.
 *
 * @param <T> the element type
 */
public final class ReceiveResult<T> {

    /** Whether an element was received, and if not, why. */
    public enum Status {
        /** An element was received: {@link #value()} returns it. */
        RECEIVED,
        /** Nothing buffered and no sender waiting; more may come. */
        EMPTY,
        /** The send side is closed and the buffer drained: nothing will ever come. */
        CLOSED
    }

    private static final ReceiveResult<?> EMPTY = new ReceiveResult<>(Status.EMPTY, null);
    private static final ReceiveResult<?> CLOSED = new ReceiveResult<>(Status.CLOSED, null);

    private final Status status;
    private final T value;

    private ReceiveResult(Status status, T value) {
        this.status = status;
        this.value = value;
    }

    @SuppressWarnings("unchecked")
    static <T> ReceiveResult<T> of(Object polled) {
        if (polled == ChannelCore.EMPTY) return (ReceiveResult<T>) EMPTY;
        if (polled == ChannelCore.CLOSED) return (ReceiveResult<T>) CLOSED;
        return new ReceiveResult<>(Status.RECEIVED, (T) polled);
    }

    /** Whether an element was received, and if not, why. */
    public Status status() {
        return status;
    }

    /** Whether {@link #value()} holds an element. */
    public boolean isReceived() {
        return status == Status.RECEIVED;
    }

    /**
     * The element received.
     *
     * @throws NoSuchElementException if nothing was received (check {@link #status()} first)
     */
    public T value() {
        if (status != Status.RECEIVED) {
            throw new NoSuchElementException("tryReceive got no element (" + status + "): check status() or isReceived() first");
        }
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReceiveResult<?> r && r.status == status && Objects.equals(r.value, value);
    }

    @Override
    public int hashCode() {
        return status.hashCode() * 31 + Objects.hashCode(value);
    }

    @Override
    public String toString() {
        return status == Status.RECEIVED ? "RECEIVED(" + value + ")" : status.name();
    }
}
