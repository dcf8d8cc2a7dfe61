package dev.weft.channels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One blocked channel operation: a sender with its element, or a receiver waiting for one.
 * It sits in one channel's {@link Queue} while its thread is parked.
 *
 * <p>Completion is decided by one compare-and-set, so exactly one party wins: the counterpart
 * that hands over the element (or a closing handle), or the waiter itself when it gives up
 * (cancelled, timed out). A plain waiter has its own state; the waiters of one {@code select}
 * share a {@link Selection}, so completing one clause makes every other clause of that select
 * stale (rule C5). Stale waiters are skipped by counterparts and unlinked by their owner.
 */
final class ChannelWaiter {

    /** Outcome codes, written before the winning compare-and-set so the waiter sees them. */
    static final int OK = 0;
    static final int CLOSED = 1;        // the other side of the channel closed
    static final int HANDLE_CLOSED = 2; // the handle this operation came through was closed

    private static final int PENDING = 0;
    private static final int DONE = 1;
    private static final int GAVE_UP = 2;

    final Thread thread;
    /** The handle (a SendChannel or ReceiveChannel) the operation came through. */
    final Object handle;
    /** A sender's element; the element handed to a receiver. Guarded by the channel lock until completion. */
    Object item;
    int outcome;

    /** Non-null when the waiter is one clause of a select. */
    final Selection selection;
    final int clause;

    private volatile int state; // plain waiters only

    // Intrusive links of the channel queue, guarded by the channel's lock.
    ChannelWaiter prev;
    ChannelWaiter next;
    boolean linked;

    ChannelWaiter(Object handle, Object item, Selection selection, int clause) {
        this.thread = Thread.currentThread();
        this.handle = handle;
        this.item = item;
        this.selection = selection;
        this.clause = clause;
    }

    /** Whether nobody has completed or abandoned this waiter yet. */
    boolean isPending() {
        return selection == null ? state == PENDING : selection.state == Selection.PENDING;
    }

    /** Called by a counterpart holding the channel lock; the caller writes item/outcome first. */
    boolean tryComplete() {
        return selection == null ? STATE.compareAndSet(this, PENDING, DONE) : selection.tryWin(clause);
    }

    /** Called by a plain waiter that stops waiting; false means a counterpart got there first. */
    boolean tryGiveUp() {
        return STATE.compareAndSet(this, PENDING, GAVE_UP);
    }

    /** Whether it is no longer pending: the condition its own thread waits for. */
    boolean isDone() {
        return !isPending();
    }

    /** Completes it with an outcome (no element) and wakes its thread; false if it was stale. */
    boolean completeWith(int code) {
        outcome = code;
        if (!tryComplete()) return false;
        LockSupport.unpark(thread);
        return true;
    }

    /** Hands a receiver its element and wakes it; false if it was stale (then it keeps nothing). */
    boolean deliver(Object e) {
        item = e;
        outcome = OK;
        if (tryComplete()) {
            LockSupport.unpark(thread);
            return true;
        }
        item = null;
        return false;
    }

    /** The shared state of one select: which clause won, or that it gave up. */
    static final class Selection {
        static final int PENDING = -1;
        static final int GAVE_UP = -2;

        volatile int state = PENDING;

        boolean tryWin(int clause) {
            return SELECTION_STATE.compareAndSet(this, PENDING, clause);
        }

        boolean tryGiveUp() {
            return SELECTION_STATE.compareAndSet(this, PENDING, GAVE_UP);
        }
    }

    /**
     * A FIFO of waiters with O(1) unlinking, guarded by the owning channel's lock. Stale
     * waiters (a select that completed elsewhere) may stay in it until polled or unlinked.
     */
    static final class Queue {
        private ChannelWaiter head;
        private ChannelWaiter tail;

        void add(ChannelWaiter w) {
            w.prev = tail;
            w.next = null;
            if (tail == null) head = w;
            else tail.next = w;
            tail = w;
            w.linked = true;
        }

        /** Removes and returns the first waiter, pending or not; null if empty. */
        ChannelWaiter poll() {
            ChannelWaiter w = head;
            if (w != null) unlink(w);
            return w;
        }

        void unlink(ChannelWaiter w) {
            if (!w.linked) return;
            if (w.prev == null) head = w.next;
            else w.prev.next = w.next;
            if (w.next == null) tail = w.prev;
            else w.next.prev = w.prev;
            w.prev = null;
            w.next = null;
            w.linked = false;
        }

        ChannelWaiter first() {
            return head;
        }

        /** Every linked waiter, stale ones included (tests check that none is left behind). */
        int linkedCount() {
            int n = 0;
            for (ChannelWaiter w = head; w != null; w = w.next) n++;
            return n;
        }

        /** Waiters still pending (the others are stale select clauses about to be unlinked). */
        int pendingCount() {
            int n = 0;
            for (ChannelWaiter w = head; w != null; w = w.next) {
                if (w.isPending()) n++;
            }
            return n;
        }
    }

    private static final VarHandle STATE;
    private static final VarHandle SELECTION_STATE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(ChannelWaiter.class, "state", int.class);
            SELECTION_STATE = l.findVarHandle(Selection.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
