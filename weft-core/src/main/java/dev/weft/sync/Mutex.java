package dev.weft.sync;

import dev.weft.Weft;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A mutual-exclusion lock for code running in scopes (Trio's {@code Lock}, AnyIO's {@code Lock}),
 * named {@code Mutex} so it does not clash with {@link java.util.concurrent.locks.Lock}.
 *
 * <pre>{@code
 * Mutex mutex = new Mutex();
 * Scope.run(scope -> {
 *     for (Payment p : payments) {
 *         scope.fork(() -> {
 *             try (Permit held = mutex.lock()) {   // blocks; a cancellation point
 *                 ledger.book(p);                  // one task at a time
 *             }
 *             return null;
 *         });
 *     }
 *     return null;
 * });
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Owned by a thread.</b> The thread that acquired it owns it; only the owner may release it.</li>
 *   <li><b>Not reentrant</b> (see {@code docs/adr/0011-mutex-is-not-reentrant.md}): acquiring it
 *   again on the owning thread fails at once with {@link IllegalStateException} instead of
 *   deadlocking.</li>
 *   <li><b>FIFO, no barging</b> (see {@code docs/adr/0012-primitives-hand-off-fifo.md}): waiters
 *   get the mutex in the order they started waiting; {@link #release()} hands it straight to the
 *   first waiter, so a thread that comes later cannot take it in between.</li>
 *   <li><b>Cancellation- and deadline-aware (C6).</b> {@link #acquire()} is a cancellation point:
 *   it throws {@link dev.weft.Cancelled Cancelled} if the current scope is cancelled (even when the mutex is free,
 *   so a cancelled scope cannot keep taking it, S3), wakes when the scope is cancelled or its
 *   deadline passes, and is not woken by a cancellation a shield keeps out (S5). If the
 *   cancellation and the hand-off come at the same moment, exactly one wins: either
 *   {@code acquire()} returns normally holding the mutex (the scope stays cancelled, so the next
 *   cancellation point throws) or it throws {@code Cancelled} and the mutex went to the next
 *   waiter. It is never lost, never held twice.</li>
 *   <li>{@link #release()}, {@link #tryAcquire()}, {@link #isLocked()} and {@link #statistics()}
 *   never block and are not cancellation points.</li>
 * </ul>
 *
 * <p>A thread that ends while owning a mutex leaves it locked, as in Trio; use {@link #lock()}
 * with try-with-resources so that cannot happen. Thread-safe.
 */
public final class Mutex {

    // Implementer's note: the state is one field, `owner`, guarded by the parking lot's lock.
    // Invariant: owner == null implies nobody waits (release hands the mutex to the first waiter
    // instead of freeing it), so acquire's fast path only looks at `owner`. A Condition bound to
    // this mutex shares the lock, moves signalled waiters into this lot, and uses handOff().

    final ParkingLot lot = new ParkingLot();
    /** The owning thread; written under lot.lock, volatile for the lock-free reads. */
    private volatile Thread owner;

    /** An unlocked mutex. */
    public Mutex() {}

    /**
     * Acquires the mutex, waiting as long as it takes; a cancellation point.
     *
     * @throws dev.weft.Cancelled    if the current scope is cancelled before it is acquired
     * @throws IllegalStateException if the calling thread already holds it (not reentrant)
     */
    public void acquire() {
        Weft.checkpoint();
        acquireUntil(Kernel.NO_DEADLINE);
    }

    /**
     * Acquires the mutex if it is free and nobody waits for it, without blocking; not a
     * cancellation point.
     *
     * @return true if the caller now holds it
     * @throws IllegalStateException if the calling thread already holds it (not reentrant)
     */
    public boolean tryAcquire() {
        Thread me = Thread.currentThread();
        lot.lock.lock();
        try {
            checkNotOwner(me);
            if (owner != null) return false;
            owner = me;
            return true;
        } finally {
            lot.lock.unlock();
        }
    }

    /**
     * Acquires the mutex, waiting at most {@code timeout} on the current scope's clock (a
     * {@link dev.weft.FakeClock FakeClock} in tests); a cancellation point. A zero or negative timeout does not wait.
     *
     * <pre>{@code
     * if (mutex.tryAcquire(Duration.ofMillis(50))) {
     *     try { ... } finally { mutex.release(); }
     * } else {
     *     // busy: do something else
     * }
     * }</pre>
     *
     * @return true if acquired, false if the time ran out first
     * @throws dev.weft.Cancelled    if the current scope is cancelled before it is acquired
     * @throws IllegalStateException if the calling thread already holds it (not reentrant)
     */
    public boolean tryAcquire(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        Weft.checkpoint();
        return acquireUntil(Weft.clock().after(timeout));
    }

    private boolean acquireUntil(long until) {
        Thread me = Thread.currentThread();
        ParkingLot.Waiter w;
        lot.lock.lock();
        try {
            checkNotOwner(me);
            if (owner == null) {
                owner = me;
                return true;
            }
            w = lot.enqueue(null);
        } finally {
            lot.lock.unlock();
        }
        return lot.park(w, until, this, this::release);
    }

    /**
     * Acquires the mutex (as {@link #acquire()}) and returns a {@link Permit} whose
     * {@code close()} releases it, for try-with-resources.
     *
     * @throws dev.weft.Cancelled    if the current scope is cancelled before it is acquired
     * @throws IllegalStateException if the calling thread already holds it (not reentrant)
     */
    public Permit lock() {
        acquire();
        return new Permit(this::release);
    }

    /**
     * Releases the mutex: hands it to the first waiter, if any, else leaves it free. Never
     * blocks; not a cancellation point, so it works in {@code finally} of a cancelled task.
     *
     * @throws IllegalStateException if the mutex is not locked, or is held by another thread
     */
    public void release() {
        ParkingLot.Waiter next;
        lot.lock.lock();
        try {
            checkOwner("release()");
            next = handOff();
        } finally {
            lot.lock.unlock();
        }
        ParkingLot.unpark(next);
    }

    /** Hands the mutex to the first waiter or frees it; under the lock. Returns the waiter to unpark. */
    ParkingLot.Waiter handOff() {
        ParkingLot.Waiter next = lot.pollFirst();
        owner = next == null ? null : next.thread;
        // The owner first: the waiter may return the instant it sees the grant, and then
        // isHeldByCurrentThread() (a read without the lock) must already say so.
        if (next != null) ParkingLot.grant(next);
        return next;
    }

    /**
     * Takes the free mutex for {@code w}'s thread, or queues {@code w} (in state
     * {@code SIGNALLED}: it will not withdraw) to get it later; under the lock. For {@link Condition}.
     */
    void reacquireFor(ParkingLot.Waiter w) {
        if (owner == null) {
            owner = w.thread;
            ParkingLot.grant(w);
        } else {
            w.state = ParkingLot.SIGNALLED;
            lot.append(w);
        }
    }

    /** Throws unless the calling thread holds the mutex; under the lock. */
    void checkOwner(String what) {
        Thread me = Thread.currentThread();
        Thread o = owner;
        if (o == null) {
            throw new IllegalStateException(what + " on a Mutex that is not locked: call it only while holding the mutex"
                    + " (after acquire(), or inside try (Permit held = mutex.lock()) { ... })");
        }
        if (o != me) {
            throw new IllegalStateException(what + " on a Mutex held by thread '" + o.getName() + "', not by the calling thread '"
                    + me.getName() + "': only the thread that acquired a Mutex may release it or use its conditions");
        }
    }

    private void checkNotOwner(Thread me) {
        if (owner == me) {
            throw new IllegalStateException("thread '" + me.getName() + "' already holds this Mutex: Mutex is not reentrant"
                    + " (acquiring it again would deadlock); release it first, or restructure so the inner code"
                    + " runs without acquiring (see docs/adr/0011-mutex-is-not-reentrant.md)");
        }
    }

    /**
     * A new {@link Condition} bound to this mutex: wait on it while holding the mutex.
     */
    public Condition newCondition() {
        return new Condition(this);
    }

    /** Whether some thread holds the mutex now (may be stale at once). */
    public boolean isLocked() {
        return owner != null;
    }

    /** Whether the calling thread holds the mutex. */
    public boolean isHeldByCurrentThread() {
        return owner == Thread.currentThread();
    }

    /** An immutable snapshot: locked, by whom, how many threads wait. */
    public MutexStatistics statistics() {
        lot.lock.lock();
        try {
            Thread o = owner;
            return new MutexStatistics(o != null, Optional.ofNullable(o == null ? null : o.getName()), lot.size());
        } finally {
            lot.lock.unlock();
        }
    }

    /** Throws if an internal invariant does not hold (for tests). */
    void checkInvariants() {
        lot.lock.lock();
        try {
            var waiters = lot.waiters();
            if (waiters.size() != lot.size()) throw new IllegalStateException("size " + lot.size() + " but " + waiters.size() + " linked");
            if (owner == null && !waiters.isEmpty()) throw new IllegalStateException("free but " + waiters.size() + " waiting");
            for (var w : waiters) {
                if (w.state != ParkingLot.WAITING && w.state != ParkingLot.SIGNALLED) {
                    throw new IllegalStateException("a queued waiter in state " + w.state);
                }
                if (w.thread == owner) throw new IllegalStateException("the owner is also waiting");
            }
        } finally {
            lot.lock.unlock();
        }
    }

    @Override
    public String toString() {
        Thread o = owner;
        return o == null ? "Mutex[unlocked]" : "Mutex[locked by '" + o.getName() + "']";
    }
}
