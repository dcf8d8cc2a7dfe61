package dev.weft.sync;

import dev.weft.Cancelled;
import dev.weft.internal.Kernel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The FIFO wait queue under every synchronization primitive ({@link Mutex}, {@link Semaphore},
 * {@link CapacityLimiter}, {@link OnceFlag}, {@link Condition}), after Trio's {@code ParkingLot}.
 *
 * <h2>Implementer's note</h2>
 * <ul>
 *   <li><b>Hand-off, no barging.</b> A primitive that frees a permit while someone waits does not
 *   put it back in its pool: it {@linkplain #grantFirst() grants} it to the first waiter, who
 *   owns it from that moment, before its thread even wakes. A newcomer therefore never overtakes
 *   a waiter (see {@code docs/adr/0012-primitives-hand-off-fifo.md}). Each primitive keeps the
 *   invariant "a permit is free only if nobody waits", so its fast path need not look at the queue.</li>
 *   <li><b>Exactly one outcome when a grant meets a cancellation (C6, like C4 for channels).</b> A
 *   waiter node has a state. A granter moves it {@code WAITING -> GRANTED}; the waiting thread,
 *   woken by cancellation or its time limit, moves it {@code WAITING -> WITHDRAWN}. Both happen
 *   under {@link #lock}, so whichever comes first decides and the other sees it: a granted waiter
 *   returns normally (its scope stays cancelled, so its next cancellation point throws), a
 *   withdrawn one throws {@link Cancelled} (or returns false on timeout) and was never given
 *   anything. No permit is lost and none is handed out twice. Trio makes the same decision by
 *   running both on one thread; Weft's waiters and granters run in parallel, so a lock decides.
 *   A compare-and-set on the state would decide as well; the lock is used because both sides
 *   need it anyway (to unlink the node, to update the primitive's own counts), and then no
 *   moment exists in which a node is withdrawn but still linked.</li>
 *   <li><b>{@code SIGNALLED}</b> is a waiting state that cannot be withdrawn: a {@link Condition}
 *   waiter that was signalled has consumed the signal, and now only waits to get its mutex back
 *   (as {@code AbstractQueuedSynchronizer}'s condition queues do). A cancellation then no longer
 *   takes the signal away from it, so a signal is never lost to a waiter that gives up.</li>
 *   <li>The waiting itself is {@link Waits#await}: the state is volatile, the condition is
 *   "granted", and a granter unparks the thread after it releases the lock.</li>
 *   <li>The queue is an intrusive doubly linked list, so a withdrawing waiter unlinks itself in
 *   O(1). All of it is guarded by {@link #lock}, which a {@link Condition} shares with its mutex.</li>
 * </ul>
 */
final class ParkingLot {

    static final int WAITING = 0;
    static final int SIGNALLED = 1;
    static final int GRANTED = 2;
    static final int WITHDRAWN = 3;

    /** One waiting thread. */
    static final class Waiter {
        final Thread thread;
        /** What the waiter asks for on behalf of: a {@link CapacityLimiter} borrower; else null. */
        final Object borrower;
        volatile int state = WAITING;
        // Links, guarded by the lot's lock; lot is the queue the node is in, null once out.
        ParkingLot lot;
        Waiter prev;
        Waiter next;

        Waiter(Thread thread, Object borrower) {
            this.thread = thread;
            this.borrower = borrower;
        }

        boolean isGranted() {
            return state == GRANTED;
        }
    }

    final ReentrantLock lock;
    private Waiter head;
    private Waiter tail;
    private int size;
    /** Queued waiters that have a borrower, by borrower (allocated on first use). */
    private HashMap<Object, Waiter> byBorrower;

    /** A lot with its own lock. */
    ParkingLot() {
        this(new ReentrantLock());
    }

    /** A lot guarded by {@code lock}, shared with another lot (a condition's with its mutex's). */
    ParkingLot(ReentrantLock lock) {
        this.lock = lock;
    }

    /** Appends a new waiter for the current thread; under the lock. */
    Waiter enqueue(Object borrower) {
        Waiter w = new Waiter(Thread.currentThread(), borrower);
        append(w);
        return w;
    }

    /** Appends {@code w}, which is in no queue; under the lock. */
    void append(Waiter w) {
        assert lock.isHeldByCurrentThread() && w.lot == null;
        w.lot = this;
        w.prev = tail;
        w.next = null;
        if (tail == null) head = w;
        else tail.next = w;
        tail = w;
        size++;
        if (w.borrower != null) {
            if (byBorrower == null) byBorrower = new HashMap<>();
            byBorrower.put(w.borrower, w);
        }
    }

    /** Unlinks {@code w} from this queue; under the lock. */
    void remove(Waiter w) {
        assert lock.isHeldByCurrentThread() && w.lot == this;
        if (w.prev == null) head = w.next;
        else w.prev.next = w.next;
        if (w.next == null) tail = w.prev;
        else w.next.prev = w.prev;
        w.prev = null;
        w.next = null;
        w.lot = null;
        size--;
        if (w.borrower != null) byBorrower.remove(w.borrower);
    }

    /** Unlinks and returns the first waiter, or null; under the lock. */
    Waiter pollFirst() {
        Waiter w = head;
        if (w != null) remove(w);
        return w;
    }

    /**
     * Unlinks the first waiter and marks it granted, or returns null; under the lock. The caller
     * {@link #unpark}s it after unlocking. Use it only when what the waiter was granted is
     * recorded in state read under the lock; otherwise see {@link #grant}.
     */
    Waiter grantFirst() {
        Waiter w = pollFirst();
        if (w != null) grant(w);
        return w;
    }

    /**
     * Marks an unlinked waiter granted; under the lock. The waiter may see this before anyone
     * unparks it (a timed park that ends at that moment, or its re-check before parking) and
     * return at once, so whatever it was granted that is read without the lock (a mutex's
     * owner) must be written before this call.
     */
    static void grant(Waiter w) {
        w.state = GRANTED;
    }

    /** Wakes a granted waiter; call it after unlocking, so the waiter does not wake into a held lock. */
    static void unpark(Waiter w) {
        if (w != null) LockSupport.unpark(w.thread);
    }

    boolean isEmpty() {
        return head == null;
    }

    int size() {
        return size;
    }

    /** Whether a waiter for {@code borrower} (by {@code equals}) is queued; under the lock. */
    boolean hasWaiterFor(Object borrower) {
        return byBorrower != null && byBorrower.containsKey(borrower);
    }

    /** How many borrowers the index holds; equals the number of queued waiters with a borrower. */
    int indexedBorrowers() {
        return byBorrower == null ? 0 : byBorrower.size();
    }

    /** The queued waiters, first first; under the lock (for invariant checks). */
    List<Waiter> waiters() {
        List<Waiter> out = new ArrayList<>(size);
        for (Waiter w = head; w != null; w = w.next) out.add(w);
        return out;
    }

    /**
     * Waits, after the caller enqueued {@code w} and unlocked, until {@code w} is granted, the
     * time {@code until} passes on the current scope's clock, or the current scope is cancelled;
     * the lock decides a tie (see the class comment).
     *
     * @param giveBack gives back a permit that was granted while the wait failed with something
     *                 other than {@link Cancelled} (an {@link Error}, a user clock throwing), so
     *                 that failure can propagate without leaking the permit
     * @return true if granted (also when a cancellation came at the same moment: the caller owns
     *         the permit and its scope stays cancelled), false if the time ran out first
     * @throws Cancelled if the scope was cancelled before the grant; {@code w} is withdrawn
     */
    boolean park(Waiter w, long until, Object blocker, Runnable giveBack) {
        Throwable failure = null;
        try {
            Kernel.get().await(w::isGranted, until, blocker);
        } catch (Throwable t) {
            failure = t;
        }
        if (!w.isGranted()) {
            lock.lock();
            try {
                if (w.state == WAITING) {
                    remove(w);
                    w.state = WITHDRAWN;
                }
            } finally {
                lock.unlock();
            }
        }
        if (w.state == WITHDRAWN) {
            if (failure != null) throw unchecked(failure);
            return false;
        }
        // Granted (a WAITING node is either granted or withdrawn by now).
        if (failure != null && !(failure instanceof Cancelled)) {
            giveBack.run();
            throw unchecked(failure);
        }
        return true;
    }

    /** What {@link Waits#await} can throw is unchecked; passes it on as such. */
    private static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t); // unreachable: no checked exception gets here
    }
}
