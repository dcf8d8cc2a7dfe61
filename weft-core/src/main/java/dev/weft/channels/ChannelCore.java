package dev.weft.channels;

import dev.weft.Cancelled;
import dev.weft.Weft;
import dev.weft.internal.Kernel;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shared state of one channel, behind its {@link SendChannel} and {@link ReceiveChannel}
 * handles.
 *
 * <h2>Implementer's note</h2>
 * One {@link ReentrantLock} guards the buffer, the two waiter queues and the open-handle counts;
 * critical sections never block. This is the design of Go's {@code hchan} (one lock per channel,
 * FIFO queues of parked senders and receivers, direct hand-off to a parked receiver) with two
 * changes:
 * <ul>
 *   <li>A parked waiter is completed by a compare-and-set ({@link ChannelWaiter#tryComplete}), and
 *       a waiter that gives up (cancelled, timed out) must win the same compare-and-set. So a
 *       cancelled {@code send} either lost that race, and then its element was delivered and
 *       {@code send} returns normally, or won it, and then nobody took the element and
 *       {@code send} throws {@link Cancelled}. That is rule C4, with no window in between.</li>
 *   <li>Handles are counted (Trio's memory channels): a side closes when its last handle closes
 *       (C3). Closing a handle fails the operations blocked on that very handle.</li>
 * </ul>
 * Jox (the Kotlin channels algorithm, lock-free) was the alternative; we chose a lock because the
 * close, clone and select rules are then plain sequential code, and because with one producer
 * and one consumer the cost is dominated by parking, not by the lock (docs/BENCHMARKS.md).
 * A rendezvous channel and a select spin briefly before parking, as Jox does: every element
 * there is a hand-off to a thread that is about to arrive, and on an idle core a short spin
 * saves a park and an unpark (measured 1.7x faster). A buffered channel never spins: its sides
 * run apart, and spinning measured 2.4x slower. On an oversubscribed machine any spin costs
 * (the spinner holds the core the other side needs), so a rendezvous channel stops spinning for
 * a while after a spin that did not end in a hand-off ({@link #spinAdaptively});
 * {@code -Dweft.channel.spins=N} tunes the spin, 0 turns it off (docs/BENCHMARKS.md).
 *
 * <p>Lock order: a plain operation holds one channel lock; a select takes the locks of all its
 * channels in {@link #id} order (Go's {@code sellock}), so no two threads wait on each other.
 */
final class ChannelCore {
    static final int UNBOUNDED = Integer.MAX_VALUE;

    /** Markers {@link #pollLocked} returns instead of an element. Elements are never null. */
    static final Object EMPTY = new Object();
    static final Object CLOSED = new Object();

    /** How long an operation spins before it parks (iterations of {@link Thread#onSpinWait}); see the note above. */
    private static final int SPINS = Integer.getInteger("weft.channel.spins", 100);

    private static final AtomicLong IDS = new AtomicLong();

    final long id = IDS.incrementAndGet();
    final String name;
    final int capacity;
    final ReentrantLock lock = new ReentrantLock();

    // Guarded by lock.
    private final ArrayDeque<Object> buffer;
    final ChannelWaiter.Queue senders = new ChannelWaiter.Queue();
    final ChannelWaiter.Queue receivers = new ChannelWaiter.Queue();
    private int openSenders = 1;
    private int openReceivers = 1;
    private long discarded;

    ChannelCore(String name, int capacity) {
        this.name = name;
        this.capacity = capacity;
        this.buffer = new ArrayDeque<>(capacity == UNBOUNDED ? 16 : Math.max(1, capacity));
    }

    // ---- the two primitive steps, lock held -----------------------------------------------

    /** Hands {@code e} to a parked receiver, or buffers it. Never blocks. */
    SendResult offerLocked(Object e) {
        if (openReceivers == 0) return SendResult.CLOSED;
        ChannelWaiter r;
        while ((r = receivers.poll()) != null) {
            if (r.deliver(e)) return SendResult.SENT;
        }
        if (buffer.size() < capacity) {
            buffer.addLast(e);
            return SendResult.SENT;
        }
        return SendResult.FULL;
    }

    /** Takes an element (then moves a parked sender's element into the freed slot), or a marker. */
    Object pollLocked() {
        ChannelWaiter s;
        if (!buffer.isEmpty()) {
            Object e = buffer.pollFirst();
            while ((s = senders.poll()) != null) {
                if (s.completeWith(ChannelWaiter.OK)) {
                    buffer.addLast(s.item);
                    break;
                }
            }
            return e;
        }
        while ((s = senders.poll()) != null) {
            if (s.completeWith(ChannelWaiter.OK)) return s.item;
        }
        return openSenders == 0 ? CLOSED : EMPTY;
    }

    // ---- blocking and non-blocking operations ---------------------------------------------

    void send(SendChannel<?> handle, Object e) {
        send(handle, e, Kernel.NO_DEADLINE);
    }

    /**
     * Sends, waiting at most until {@code until} on the current node's clock; false if the time
     * ran out first (then nothing was sent, C4).
     */
    boolean send(SendChannel<?> handle, Object e, long until) {
        Weft.checkpoint();
        ChannelWaiter w;
        lock.lock();
        try {
            if (handle.closed) throw handleClosed(true);
            SendResult r = offerLocked(e);
            if (r == SendResult.SENT) return true;
            if (r == SendResult.CLOSED) throw noReceivers();
            w = new ChannelWaiter(handle, e, null, 0);
            senders.add(w);
        } finally {
            lock.unlock();
        }
        if (!await(w, senders, until)) return false;
        if (w.outcome == ChannelWaiter.CLOSED) throw noReceivers();
        if (w.outcome == ChannelWaiter.HANDLE_CLOSED) throw handleClosed(true);
        return true;
    }

    SendResult trySend(SendChannel<?> handle, Object e) {
        lock.lock();
        try {
            if (handle.closed) throw handleClosed(true);
            return offerLocked(e);
        } finally {
            lock.unlock();
        }
    }

    /** The next element, or {@link #CLOSED} when the send side is closed and drained. */
    Object receive(ReceiveChannel<?> handle) {
        return receive(handle, Kernel.NO_DEADLINE);
    }

    /**
     * The next element, {@link #CLOSED} when the send side is closed and drained, or
     * {@link #EMPTY} if none came before {@code until} on the current node's clock (then none
     * was taken, C4).
     */
    Object receive(ReceiveChannel<?> handle, long until) {
        Weft.checkpoint();
        ChannelWaiter w;
        lock.lock();
        try {
            if (handle.closed) throw handleClosed(false);
            Object e = pollLocked();
            if (e != EMPTY) return e;
            w = new ChannelWaiter(handle, null, null, 0);
            receivers.add(w);
        } finally {
            lock.unlock();
        }
        if (!await(w, receivers, until)) return EMPTY;
        return switch (w.outcome) {
            case ChannelWaiter.OK -> w.item;
            case ChannelWaiter.CLOSED -> CLOSED;
            default -> throw handleClosed(false);
        };
    }

    /** An element, {@link #EMPTY} or {@link #CLOSED}. */
    Object tryReceive(ReceiveChannel<?> handle) {
        lock.lock();
        try {
            if (handle.closed) throw handleClosed(false);
            return pollLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Spins briefly, then parks until a counterpart completes {@code w}. If the wait is
     * cancelled, {@code w} is abandoned unless it was completed meanwhile: then the operation
     * did happen, and returning normally is the only truthful answer (C4). The scope stays
     * cancelled, so the caller's next cancellation point throws. If {@code w} was completed by a
     * close instead (nothing was transferred), a cancelled scope throws {@link Cancelled} here,
     * whichever came first (S3). A wait whose time runs out ({@code until}) gives up the same
     * way and returns false, unless the operation happened meanwhile.
     *
     * @return false only if the time ran out and the operation did not happen
     */
    private boolean await(ChannelWaiter w, ChannelWaiter.Queue queue, long until) {
        if (capacity == 0) spinAdaptively(w);
        if (w.isPending()) {
            try {
                Kernel.get().await(w::isDone, until, this);
            } catch (Cancelled c) {
                if (giveUp(w, queue)) throw c;
            }
            if (w.isPending() && giveUp(w, queue)) return false; // the time ran out first
        }
        if (w.outcome != ChannelWaiter.OK) Weft.checkpoint();
        return true;
    }

    /** Withdraws a parked operation; false if a counterpart completed it first (then it happened). */
    private boolean giveUp(ChannelWaiter w, ChannelWaiter.Queue queue) {
        if (!w.tryGiveUp()) return false;
        lock.lock();
        try {
            queue.unlink(w);
        } finally {
            lock.unlock();
        }
        return true;
    }

    /** Spins briefly while {@code w} is pending (rendezvous and select only, see the note above). */
    static void spin(ChannelWaiter w) {
        for (int i = 0; i < SPINS && w.isPending(); i++) Thread.onSpinWait();
    }

    /**
     * How the last spins of this rendezvous channel went: positive while they end in a hand-off,
     * negative (counting back up to 0) for the operations that skip spinning after one that
     * parked anyway. Read and written without synchronization: it only steers a heuristic.
     */
    private int spinCredit;

    /** After a spin that ended in a park, this many operations park at once (then one tries again). */
    private static final int SPIN_BACKOFF = 16;

    /**
     * {@link #spin}, unless spinning has just failed on this channel: a spin only pays when the
     * other side arrives within it, which needs a free core. When the cores are busy (or the two
     * sides share a carrier) the spinner only delays the thread it waits for, so after a spin that
     * ended in a park the next {@link #SPIN_BACKOFF} operations park at once, then one tries again
     * (a simple form of adaptive spinning, as JVM monitors do).
     */
    private void spinAdaptively(ChannelWaiter w) {
        int credit = spinCredit;
        if (credit < 0) {
            spinCredit = credit + 1;
            return;
        }
        spin(w);
        spinCredit = w.isPending() ? -SPIN_BACKOFF : Math.min(credit + 1, SPIN_BACKOFF);
    }

    // ---- handles ---------------------------------------------------------------------------

    void addSender(SendChannel<?> from) {
        lock.lock();
        try {
            if (from.closed) throw handleClosed(true);
            openSenders++;
        } finally {
            lock.unlock();
        }
    }

    void addReceiver(ReceiveChannel<?> from) {
        lock.lock();
        try {
            if (from.closed) throw handleClosed(false);
            openReceivers++;
        } finally {
            lock.unlock();
        }
    }

    void closeSender(SendChannel<?> handle) {
        lock.lock();
        try {
            if (handle.closed) return;
            handle.closed = true;
            failBlockedOn(handle, senders);
            if (--openSenders == 0) {
                // Receivers wait only while the buffer is empty, so they have nothing left to drain.
                ChannelWaiter r;
                while ((r = receivers.poll()) != null) r.completeWith(ChannelWaiter.CLOSED);
            }
        } finally {
            lock.unlock();
        }
    }

    void closeReceiver(ReceiveChannel<?> handle) {
        lock.lock();
        try {
            if (handle.closed) return;
            handle.closed = true;
            failBlockedOn(handle, receivers);
            if (--openReceivers == 0) {
                discarded += buffer.size();
                buffer.clear();
                ChannelWaiter s;
                while ((s = senders.poll()) != null) s.completeWith(ChannelWaiter.CLOSED);
            }
        } finally {
            lock.unlock();
        }
    }

    private static void failBlockedOn(Object handle, ChannelWaiter.Queue queue) {
        ChannelWaiter w = queue.first();
        while (w != null) {
            ChannelWaiter next = w.next;
            if (w.handle == handle) {
                queue.unlink(w);
                w.completeWith(ChannelWaiter.HANDLE_CLOSED);
            }
            w = next;
        }
    }

    ChannelStatistics statistics() {
        lock.lock();
        try {
            return new ChannelStatistics(name, buffer.size(), capacity, openSenders, openReceivers,
                    senders.pendingCount(), receivers.pendingCount(), discarded);
        } finally {
            lock.unlock();
        }
    }

    // ---- errors ----------------------------------------------------------------------------

    ChannelClosedException noReceivers() {
        return new ChannelClosedException("channel '" + name
                + "' has no open receivers (every ReceiveChannel handle was closed): the element was not sent");
    }

    ChannelClosedException drained() {
        return new ChannelClosedException("channel '" + name
                + "' is closed for sending and drained: there are no more elements"
                + " (iterate the ReceiveChannel, or use tryReceive, to see the end without an exception)");
    }

    ChannelClosedException handleClosed(boolean send) {
        return new ChannelClosedException(send
                ? "this SendChannel of '" + name + "' was closed: the element was not sent"
                        + " (clone() a handle before closing it if other code still sends)"
                : "this ReceiveChannel of '" + name + "' was closed"
                        + " (clone() a handle before closing it if other code still receives)");
    }

    @Override
    public String toString() {
        return name;
    }
}
