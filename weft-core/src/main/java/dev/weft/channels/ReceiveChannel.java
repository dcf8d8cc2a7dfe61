package dev.weft.channels;

import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The receiving end of a {@link Channel}, or one clone of it. Iterating it (for-each or
 * {@link #stream()}) receives until the send side is closed and the buffer drained (C2).
 * Closing the last open receive handle closes the receive side: senders fail from then on, and
 * elements still buffered are discarded (counted in {@link ChannelStatistics#discarded()}).
 * Thread-safe; several tasks may receive through one handle, each element going to one of them.
 *
 * @param <T> the element type
 */
public final class ReceiveChannel<T> implements Iterable<T>, AutoCloseable {

    final ChannelCore core;
    /** Written under the channel's lock; read without it only for {@link #isClosed()}. */
    volatile boolean closed;

    ReceiveChannel(ChannelCore core) {
        this.core = core;
    }

    /**
     * Receives the next element, waiting until one is sent. A cancellation point even when it
     * does not wait. If it throws {@link dev.weft.Cancelled Cancelled}, no element was taken (C4).
     *
     * @throws dev.weft.Cancelled     if the current scope is cancelled before an element arrives
     * @throws ChannelClosedException if the send side is closed and the buffer drained, or this
     *                                handle was closed (in a cancelled scope {@code Cancelled} is thrown instead)
     */
    public T receive() {
        Object e = core.receive(this);
        if (e == ChannelCore.CLOSED) throw core.drained();
        return cast(e);
    }

    /**
     * Receives the next element, waiting at most {@code timeout} on the scope's clock (as
     * {@code BlockingQueue.poll(timeout)}). A cancellation point.
     *
     * <pre>{@code
     * Optional<Order> next = orders.receive(Duration.ofMillis(200)); // empty: none came in time
     * }</pre>
     *
     * @return the element, or empty if none came before the time ran out (then none was taken, C4)
     * @throws NullPointerException     if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws dev.weft.Cancelled       as {@link #receive()}
     * @throws ChannelClosedException   as {@link #receive()}: the send side is closed and drained,
     *                                  or this handle was closed
     */
    public Optional<T> receive(Duration timeout) {
        Object e = core.receive(this, Channel.until(timeout));
        if (e == ChannelCore.EMPTY) return Optional.empty();
        if (e == ChannelCore.CLOSED) throw core.drained();
        return Optional.of(cast(e));
    }

    /**
     * Receives an element only if one is available without waiting.
     *
     * @return the element, or why there is none ({@link ReceiveResult.Status#EMPTY},
     *         {@link ReceiveResult.Status#CLOSED})
     * @throws ChannelClosedException if this handle was closed
     */
    public ReceiveResult<T> tryReceive() {
        return ReceiveResult.of(core.tryReceive(this));
    }

    /**
     * An iterator that receives: {@code hasNext()} waits for the next element and returns false
     * once the send side is closed and the buffer drained. It throws {@link dev.weft.Cancelled Cancelled} like
     * {@link #receive()}. Each element goes to one iterator only, so several tasks may iterate
     * clones (or the same handle) to share the work.
     */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private Object next; // null: not fetched yet; CLOSED: the end

            @Override
            public boolean hasNext() {
                if (next == null) next = core.receive(ReceiveChannel.this);
                return next != ChannelCore.CLOSED;
            }

            @Override
            public T next() {
                if (!hasNext()) throw new NoSuchElementException("channel '" + core.name + "' is closed and drained");
                T e = cast(next);
                next = null;
                return e;
            }
        };
    }

    /** A sequential, ordered stream of the elements received, ending like {@link #iterator()}. */
    public Stream<T> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /**
     * A {@link Select} clause that receives an element, which the select returns. If the send
     * side is closed and drained, the select throws {@link ChannelClosedException}.
     */
    public SelectClause<T> onReceive() {
        return onReceive(Function.identity());
    }

    /**
     * A {@link Select} clause that receives an element and returns {@code then.apply(element)}.
     * If the send side is closed and drained, the select throws {@link ChannelClosedException}.
     */
    public <R> SelectClause<R> onReceive(Function<? super T, ? extends R> then) {
        Objects.requireNonNull(then, "then");
        return new SelectClause<>(core, this, false, null, cast(then), null, null);
    }

    /**
     * A {@link Select} clause that receives an element and returns {@code then.apply(element)},
     * or, once the send side is closed and drained, returns {@code onClosed.get()}.
     */
    public <R> SelectClause<R> onReceiveOrClosed(Function<? super T, ? extends R> then, Supplier<? extends R> onClosed) {
        Objects.requireNonNull(then, "then");
        Objects.requireNonNull(onClosed, "onClosed");
        return new SelectClause<>(core, this, false, null, cast(then), null, onClosed);
    }

    /**
     * A new handle on the same channel, counted separately: the receive side stays open until
     * this handle and every other one are closed (C3).
     *
     * @throws ChannelClosedException if this handle is closed
     */
    @Override
    public ReceiveChannel<T> clone() {
        ReceiveChannel<T> c = new ReceiveChannel<>(core);
        core.addReceiver(this);
        return c;
    }

    /**
     * Closes this handle (idempotent). Receives blocked on this handle fail with
     * {@link ChannelClosedException}. When it was the last open receive handle, buffered
     * elements are discarded and senders fail from then on.
     */
    @Override
    public void close() {
        core.closeReceiver(this);
    }

    /** Whether this handle was closed (other clones may still be open). */
    public boolean isClosed() {
        return closed;
    }

    /** An immutable snapshot of the channel's state. */
    public ChannelStatistics statistics() {
        return core.statistics();
    }

    @SuppressWarnings("unchecked")
    private static <X> X cast(Object o) {
        return (X) o;
    }

    @Override
    public String toString() {
        return "ReceiveChannel[" + core.name + (closed ? ", closed]" : "]");
    }
}
