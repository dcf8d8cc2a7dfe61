package dev.weft.channels;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The sending end of a {@link Channel}, or one clone of it. Closing the last open send handle
 * closes the channel's send side: receivers drain what is buffered, then see the end (C2, C3).
 * Thread-safe; several tasks may send through one handle.
 *
 * @param <T> the element type
 */
public final class SendChannel<T> implements AutoCloseable {

    final ChannelCore core;
    /** Written under the channel's lock; read without it only for {@link #isClosed()}. */
    volatile boolean closed;

    SendChannel(ChannelCore core) {
        this.core = core;
    }

    /**
     * Sends {@code element}: hands it to a waiting receiver, or buffers it, or waits until one of
     * the two is possible. A cancellation point even when it does not wait.
     *
     * <p>If it returns, the element was sent exactly once. If it throws, the element was not sent
     * (C4): {@link dev.weft.Cancelled Cancelled} when the scope was cancelled (or its deadline passed) first,
     * {@link ChannelClosedException} when every receiver closed or this handle was closed.
     *
     * @throws NullPointerException   if {@code element} is null
     * @throws dev.weft.Cancelled     if the current scope is cancelled before the element is taken
     * @throws ChannelClosedException if it can never be sent (in a cancelled scope {@code Cancelled} is thrown instead)
     */
    public void send(T element) {
        core.send(this, requireElement(element));
    }

    /**
     * Sends {@code element}, waiting at most {@code timeout} on the scope's clock for a receiver
     * or room in the buffer (as {@code BlockingQueue.offer(e, timeout)}). A cancellation point.
     *
     * <pre>{@code
     * if (!out.send(report, Duration.ofSeconds(1))) log.warn("nobody took the report within 1 s");
     * }</pre>
     *
     * @return true if the element was sent (exactly once); false if the time ran out first, and
     *         then it was not sent (C4)
     * @throws NullPointerException     if {@code element} or {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws dev.weft.Cancelled       as {@link #send(Object)}
     * @throws ChannelClosedException   as {@link #send(Object)}
     */
    public boolean send(T element, Duration timeout) {
        return core.send(this, requireElement(element), Channel.until(timeout));
    }

    /**
     * Sends {@code element} only if that is possible without waiting.
     *
     * @return {@link SendResult#SENT}, or why not: {@link SendResult#FULL}, {@link SendResult#CLOSED}
     * @throws NullPointerException   if {@code element} is null
     * @throws ChannelClosedException if this handle was closed
     */
    public SendResult trySend(T element) {
        return core.trySend(this, requireElement(element));
    }

    /** A {@link Select} clause that sends {@code element}; the select then returns null. */
    public SelectClause<Void> onSend(T element) {
        return new SelectClause<>(core, this, true, requireElement(element), null, () -> null, null);
    }

    /** A {@link Select} clause that sends {@code element}; the select then returns {@code then.get()}. */
    public <R> SelectClause<R> onSend(T element, Supplier<? extends R> then) {
        Objects.requireNonNull(then, "then");
        return new SelectClause<>(core, this, true, requireElement(element), null, then, null);
    }

    /**
     * A new handle on the same channel, counted separately: the send side stays open until this
     * handle and every other one are closed (C3).
     *
     * @throws ChannelClosedException if this handle is closed
     */
    @Override
    public SendChannel<T> clone() {
        SendChannel<T> c = new SendChannel<>(core);
        core.addSender(this);
        return c;
    }

    /**
     * Closes this handle (idempotent). Sends blocked on this handle fail with
     * {@link ChannelClosedException} and did not send. When it was the last open send handle,
     * receivers drain the buffer, then their iteration ends.
     */
    @Override
    public void close() {
        core.closeSender(this);
    }

    /** Whether this handle was closed (other clones may still be open). */
    public boolean isClosed() {
        return closed;
    }

    /** An immutable snapshot of the channel's state. */
    public ChannelStatistics statistics() {
        return core.statistics();
    }

    private static <T> T requireElement(T element) {
        if (element == null) {
            throw new NullPointerException("channels do not carry null elements; send Optional.empty() or a marker value instead");
        }
        return element;
    }

    @Override
    public String toString() {
        return "SendChannel[" + core.name + (closed ? ", closed]" : "]");
    }
}
