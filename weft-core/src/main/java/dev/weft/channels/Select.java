package dev.weft.channels;

import dev.weft.Cancelled;
import dev.weft.Weft;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Waits for the first of several channel operations that can complete, completes exactly that
 * one (rule C5), and returns what its clause makes of it (Go's {@code select}, Kotlin's
 * {@code select}).
 *
 * <pre>{@code
 * String next = Select.select(
 *         urgent.onReceive(m -> "urgent: " + m),
 *         normal.onReceive(m -> "normal: " + m),
 *         log.onSend(entry, () -> "logged"));
 * }</pre>
 *
 * <p><b>Exactly one.</b> However many clauses become possible at the same moment, one operation
 * happens: one element is received or one is sent, never two and never none (unless the select
 * throws or times out, and then none). A select that is cancelled while it waits performs none
 * and throws {@link Cancelled}, or, if one completed at the same instant, returns it (C4).
 *
 * <p><b>Fairness.</b> Clauses are tried in the order given; when several are ready at once, the
 * first wins (biased, like Kotlin's {@code select} and Jox). That makes the order a priority and
 * costs no random numbers, but a clause that is always ready starves the ones after it: rotate
 * the clauses yourself if you need fairness between always-busy channels. Among waiting threads,
 * each channel serves its senders and receivers first-come first-served.
 *
 * <p><b>Closed channels</b> count as ready: a receive clause on a channel whose send side is
 * closed and drained makes the select throw {@link ChannelClosedException}, unless it was made
 * with {@link ReceiveChannel#onReceiveOrClosed}; a send clause on a channel without receivers
 * throws (its element was not sent).
 *
 * <p>{@link #select} and {@link #selectWithin} are cancellation points and obey the scope's
 * deadline; {@link #selectOrDefault} never waits.
 */
public final class Select {
    private Select() {}

    /**
     * Waits until one of the clauses can complete, completes it, and returns its result.
     *
     * @throws IllegalArgumentException if there are no clauses
     * @throws Cancelled                if the scope is cancelled first (then no operation happened)
     * @throws ChannelClosedException   if the chosen clause's channel is closed (see above)
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // safe: the array is only read (by private helpers), never stored or returned
    public static <R> R select(SelectClause<? extends R>... clauses) {
        return run(check(clauses), Mode.WAIT, Kernel.NO_DEADLINE, null);
    }

    /** {@link #select(SelectClause[])} over a list of clauses, for a number known only at run time. */
    public static <R> R select(List<? extends SelectClause<? extends R>> clauses) {
        return run(check(clauses.toArray(new SelectClause<?>[0])), Mode.WAIT, Kernel.NO_DEADLINE, null);
    }

    /**
     * Completes the first clause that can complete now, or, if none can, returns
     * {@code otherwise.get()} without waiting (Go's {@code default:}). Not a cancellation point.
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // safe: the array is only read (by private helpers), never stored or returned
    public static <R> R selectOrDefault(Supplier<? extends R> otherwise, SelectClause<? extends R>... clauses) {
        Objects.requireNonNull(otherwise, "otherwise");
        return run(check(clauses), Mode.NO_WAIT, Kernel.NO_DEADLINE, otherwise);
    }

    /**
     * Like {@link #select(SelectClause[])}, but if no clause completes within {@code timeout} (on
     * the scope's clock), performs none and returns {@code onTimeout.get()}.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // safe: the array is only read (by private helpers), never stored or returned
    public static <R> R selectWithin(Duration timeout, Supplier<? extends R> onTimeout,
                                     SelectClause<? extends R>... clauses) {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(onTimeout, "onTimeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("select timeout must not be negative, was " + timeout
                    + " (use selectOrDefault to not wait at all)");
        }
        return run(check(clauses), Mode.WAIT, Weft.clock().after(timeout), onTimeout);
    }

    private enum Mode { WAIT, NO_WAIT }

    private static SelectClause<?>[] check(SelectClause<?>[] clauses) {
        if (clauses == null || clauses.length == 0) {
            throw new IllegalArgumentException("select needs at least one clause (onReceive / onSend)");
        }
        for (int i = 0; i < clauses.length; i++) {
            if (clauses[i] == null) throw new NullPointerException("select clause " + i + " is null");
        }
        return clauses;
    }

    /*
     * Implementer's note. Go's selectgo, on Weft's channel cores:
     *  1. lock every distinct channel, in ChannelCore.id order (no deadlock with other selects);
     *  2. try the clauses in order; the first that can complete now does, under the locks;
     *  3. otherwise enqueue one ChannelWaiter per clause, all sharing one Selection, unlock, park;
     *     a counterpart completes a clause by winning the Selection's compare-and-set, which
     *     makes the other clauses stale at once (C5);
     *  4. after waking, unlink the stale clauses from their queues, one lock at a time.
     * While the select holds all its locks (1-3), no counterpart can see its waiters, so it can
     * never be completed half-registered. Giving up (cancel, timeout) must win the same
     * compare-and-set; if it loses, a clause completed and its result is returned.
     */
    @SuppressWarnings("unchecked")
    private static <R> R run(SelectClause<?>[] clauses, Mode mode, long until, Supplier<? extends R> onTimeout) {
        if (mode == Mode.WAIT) Weft.checkpoint();
        ChannelCore[] cores = lockOrder(clauses);
        int n = clauses.length;
        int ready = -1;
        Object value = null;
        ChannelWaiter[] waiters = null;
        ChannelWaiter.Selection selection = null;
        lockAll(cores);
        try {
            for (int i = 0; i < n && ready < 0; i++) {
                SelectClause<?> c = clauses[i];
                if (c.isHandleClosed()) throw c.core.handleClosed(c.isSend);
                if (c.isSend) {
                    SendResult r = c.core.offerLocked(c.item);
                    if (r == SendResult.SENT) ready = i;
                    else if (r == SendResult.CLOSED) throw c.core.noReceivers();
                } else {
                    Object e = c.core.pollLocked();
                    if (e != ChannelCore.EMPTY) {
                        ready = i;
                        value = e;
                    }
                }
            }
            if (ready < 0 && mode == Mode.WAIT && !expired(until)) {
                selection = new ChannelWaiter.Selection();
                waiters = new ChannelWaiter[n];
                for (int i = 0; i < n; i++) {
                    SelectClause<?> c = clauses[i];
                    ChannelWaiter w = new ChannelWaiter(c.handle, c.item, selection, i);
                    waiters[i] = w;
                    (c.isSend ? c.core.senders : c.core.receivers).add(w);
                }
            }
        } finally {
            unlockAll(cores);
        }
        if (ready >= 0) {
            int outcome = !clauses[ready].isSend && value == ChannelCore.CLOSED ? ChannelWaiter.CLOSED : ChannelWaiter.OK;
            return (R) clauses[ready].finish(outcome, value);
        }
        if (waiters == null) return onTimeout.get();

        ChannelWaiter any = waiters[0];
        ChannelCore.spin(any);
        try {
            if (any.isPending()) Kernel.get().await(any::isDone, until, selection);
        } catch (Cancelled c) {
            if (selection.tryGiveUp()) {
                unlink(clauses, waiters, -1);
                throw c;
            }
        }
        if (selection.state == ChannelWaiter.Selection.PENDING && selection.tryGiveUp()) {
            unlink(clauses, waiters, -1);
            return onTimeout.get();
        }
        int won = selection.state;
        unlink(clauses, waiters, won);
        ChannelWaiter w = waiters[won];
        if (w.outcome != ChannelWaiter.OK) Weft.checkpoint(); // a close, not a transfer: Cancelled wins (S3)
        return (R) clauses[won].finish(w.outcome, w.item);
    }

    private static boolean expired(long until) {
        if (until == Kernel.NO_DEADLINE) return false;
        return Weft.clock().nanoTime() >= until;
    }

    private static void unlink(SelectClause<?>[] clauses, ChannelWaiter[] waiters, int except) {
        for (int i = 0; i < waiters.length; i++) {
            if (i == except) continue;
            ChannelCore core = clauses[i].core;
            core.lock.lock();
            try {
                (clauses[i].isSend ? core.senders : core.receivers).unlink(waiters[i]);
            } finally {
                core.lock.unlock();
            }
        }
    }

    /** The distinct channels of the clauses, sorted by id: the one order every select locks in. */
    private static ChannelCore[] lockOrder(SelectClause<?>[] clauses) {
        if (clauses.length == 1) return new ChannelCore[] {clauses[0].core};
        ChannelCore[] cores = new ChannelCore[clauses.length];
        for (int i = 0; i < clauses.length; i++) cores[i] = clauses[i].core;
        Arrays.sort(cores, (a, b) -> Long.compare(a.id, b.id));
        int distinct = 1;
        for (int i = 1; i < cores.length; i++) {
            if (cores[i] != cores[distinct - 1]) cores[distinct++] = cores[i];
        }
        return distinct == cores.length ? cores : Arrays.copyOf(cores, distinct);
    }

    private static void lockAll(ChannelCore[] cores) {
        for (ChannelCore c : cores) c.lock.lock();
    }

    private static void unlockAll(ChannelCore[] cores) {
        for (int i = cores.length - 1; i >= 0; i--) cores[i].lock.unlock();
    }
}
