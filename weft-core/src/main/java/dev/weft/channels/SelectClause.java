package dev.weft.channels;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One channel operation offered to {@link Select}: made by {@link ReceiveChannel#onReceive()},
 * {@link ReceiveChannel#onReceiveOrClosed}, or {@link SendChannel#onSend}. A clause does nothing
 * by itself; only the select that completes it performs its operation. It can be reused.
 *
 * @param <R> what the select returns when this clause completes
 */
public final class SelectClause<R> {
    final ChannelCore core;
    final Object handle;
    final boolean isSend;
    final Object item;
    private final Function<Object, ? extends R> onValue;
    private final Supplier<? extends R> onSent;
    private final Supplier<? extends R> onClosed;

    SelectClause(ChannelCore core, Object handle, boolean isSend, Object item, Function<Object, ? extends R> onValue,
                 Supplier<? extends R> onSent, Supplier<? extends R> onClosed) {
        this.core = core;
        this.handle = handle;
        this.isSend = isSend;
        this.item = item;
        this.onValue = onValue;
        this.onSent = onSent;
        this.onClosed = onClosed;
    }

    boolean isHandleClosed() {
        return handle instanceof SendChannel<?> s ? s.closed : ((ReceiveChannel<?>) handle).closed;
    }

    /** Runs the clause's continuation for an operation that completed with {@code outcome}. */
    R finish(int outcome, Object value) {
        if (outcome == ChannelWaiter.HANDLE_CLOSED) throw core.handleClosed(isSend);
        if (isSend) {
            if (outcome == ChannelWaiter.CLOSED) throw core.noReceivers();
            return onSent.get();
        }
        if (outcome == ChannelWaiter.CLOSED) {
            if (onClosed == null) throw core.drained();
            return onClosed.get();
        }
        return onValue.apply(value);
    }

    @Override
    public String toString() {
        return (isSend ? "onSend(" : "onReceive(") + core.name + ")";
    }
}
