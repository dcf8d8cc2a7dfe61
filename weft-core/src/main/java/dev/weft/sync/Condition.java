package dev.weft.sync;

import dev.weft.Cancelled;
import dev.weft.Weft;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.Objects;

/**
 * A condition variable bound to a {@link Mutex} (Trio's {@code Condition}): threads holding the
 * mutex wait on it until another thread, also holding the mutex, signals. Get one from
 * {@link Mutex#newCondition()}.
 *
 * <pre>{@code
 * Mutex mutex = new Mutex();
 * Condition notEmpty = mutex.newCondition();
 * // consumer
 * try (Permit held = mutex.lock()) {
 *     while (queue.isEmpty()) notEmpty.await();   // a cancellation point
 *     item = queue.remove();
 * }
 * // producer
 * try (Permit held = mutex.lock()) {
 *     queue.add(item);
 *     notEmpty.signal();
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link #await()} releases the mutex, waits for a signal, and holds the mutex again before
 *   it returns, <b>also when it throws</b> {@link Cancelled}: the caller's {@code finally} (or
 *   try-with-resources) that releases the mutex stays correct on every path.</li>
 *   <li><b>Cancellation- and deadline-aware (C6).</b> {@code await} is a cancellation point: in a
 *   cancelled scope it throws at once (without letting go of the mutex); while waiting it is woken
 *   by cancellation of its scope or its deadline, and not by a cancellation a shield keeps out.</li>
 *   <li><b>A signal is never lost to a waiter that gives up.</b> A waiter is either signalled or
 *   withdrawn, never both: one cancelled or timed out before the signal reached it withdraws and
 *   does not consume it (the signal goes to the next waiter); one signalled first returns normally
 *   once it has the mutex back (if its scope was cancelled meanwhile, the next cancellation point
 *   throws). As with every condition variable, re-check the predicate in a loop: another thread
 *   may change the state between the signal and the return.</li>
 *   <li>Waiters are signalled in FIFO order; a signalled waiter queues for the mutex behind the
 *   threads already waiting for it (Trio's "repark").</li>
 *   <li>{@link #await()}, {@link #signal()} and {@link #signalAll()} require the calling thread to
 *   hold the mutex and fail at once with {@link IllegalStateException} otherwise.</li>
 * </ul>
 * Thread-safe.
 */
public final class Condition {

    // Implementer's note: the condition's queue shares the mutex's lock. signal() moves the first
    // waiter, in state SIGNALLED, to the back of the mutex's queue (the signaller holds the mutex,
    // so the waiter is granted it on a later release). A waiter woken by cancellation or time
    // decides under the lock: still WAITING -> it withdraws from the condition queue and queues for
    // the mutex itself (also SIGNALLED, so it cannot withdraw again); SIGNALLED or GRANTED -> it
    // keeps the signal. Either way it then waits, ignoring cancellation, until it owns the mutex.
    // Trio re-acquires under a shield after any exception; this is the same, plus the rule that
    // a signalled waiter cannot un-consume its signal (as in AbstractQueuedSynchronizer).

    private final Mutex mutex;
    private final ParkingLot lot;

    Condition(Mutex mutex) {
        this.mutex = mutex;
        this.lot = new ParkingLot(mutex.lot.lock);
    }

    /** The mutex this condition is bound to. */
    public Mutex mutex() {
        return mutex;
    }

    /**
     * Releases the mutex, waits for {@link #signal()} or {@link #signalAll()}, and re-acquires
     * the mutex before it returns or throws; a cancellation point.
     *
     * @throws Cancelled             if the current scope was cancelled before a signal came
     *                               (the mutex is held again when it is thrown)
     * @throws IllegalStateException if the calling thread does not hold the mutex
     */
    public void await() {
        awaitUntil(Kernel.NO_DEADLINE);
    }

    /**
     * As {@link #await()}, giving up after {@code timeout} on the current scope's clock (a
     * {@link dev.weft.FakeClock FakeClock} in tests). The mutex is held again in every case.
     *
     * @return true if signalled, false if the time ran out first
     * @throws Cancelled             if the current scope was cancelled before a signal came
     * @throws IllegalStateException if the calling thread does not hold the mutex
     */
    public boolean await(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return awaitUntil(Weft.clock().after(timeout));
    }

    private boolean awaitUntil(long until) {
        ParkingLot.Waiter w;
        ParkingLot.Waiter handedTo;
        lot.lock.lock();
        try {
            mutex.checkOwner("await()");
            Weft.checkpoint(); // cancelled already: keep the mutex and throw
            w = lot.enqueue(null);
            handedTo = mutex.handOff();
        } finally {
            lot.lock.unlock();
        }
        ParkingLot.unpark(handedTo);

        Throwable failure = null;
        try {
            Kernel.get().await(w::isGranted, until, this);
        } catch (Throwable t) {
            failure = t;
        }
        boolean withdrawn = false;
        if (!w.isGranted()) {
            lot.lock.lock();
            try {
                if (w.state == ParkingLot.WAITING) { // no signal reached it: withdraw, queue for the mutex
                    lot.remove(w);
                    mutex.reacquireFor(w);
                    withdrawn = true;
                }
            } finally {
                lot.lock.unlock();
            }
        }
        Kernel.get().awaitUninterruptibly(w::isGranted, this);
        if (failure instanceof RuntimeException r && (withdrawn || !(r instanceof Cancelled))) throw r;
        if (failure instanceof Error e) throw e;
        return !withdrawn;
    }

    /**
     * Wakes the longest-waiting thread, if any: it gets the mutex after the caller (and the
     * threads already queued for the mutex) released it. Never blocks; not a cancellation point.
     *
     * @throws IllegalStateException if the calling thread does not hold the mutex
     */
    public void signal() {
        lot.lock.lock();
        try {
            mutex.checkOwner("signal()");
            moveFirst();
        } finally {
            lot.lock.unlock();
        }
    }

    /**
     * Wakes every waiting thread; they get the mutex one by one, in the order they waited.
     *
     * @throws IllegalStateException if the calling thread does not hold the mutex
     */
    public void signalAll() {
        lot.lock.lock();
        try {
            mutex.checkOwner("signalAll()");
            while (moveFirst()) {
                // moved one
            }
        } finally {
            lot.lock.unlock();
        }
    }

    private boolean moveFirst() {
        ParkingLot.Waiter w = lot.pollFirst();
        if (w == null) return false;
        w.state = ParkingLot.SIGNALLED;
        mutex.lot.append(w);
        return true;
    }

    /** An immutable snapshot: how many threads wait for a signal, and the mutex's state. */
    public ConditionStatistics statistics() {
        lot.lock.lock();
        try {
            return new ConditionStatistics(lot.size(), mutex.statistics());
        } finally {
            lot.lock.unlock();
        }
    }

    /** Throws if an internal invariant does not hold (for tests). */
    void checkInvariants() {
        lot.lock.lock();
        try {
            for (var w : lot.waiters()) {
                if (w.state != ParkingLot.WAITING) throw new IllegalStateException("a condition waiter in state " + w.state);
            }
            if (lot.waiters().size() != lot.size()) throw new IllegalStateException("size mismatch");
        } finally {
            lot.lock.unlock();
        }
        mutex.checkInvariants();
    }

    @Override
    public String toString() {
        return "Condition[" + statistics().tasksWaiting() + " waiting, " + mutex + "]";
    }
}
