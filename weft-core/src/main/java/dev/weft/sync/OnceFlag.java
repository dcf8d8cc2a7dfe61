package dev.weft.sync;

import dev.weft.Weft;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A one-shot flag (Trio's and AnyIO's {@code Event}, named so it is not confused with domain
 * events): it starts unset, {@link #set()} sets it once and for all, and {@link #await()} blocks
 * until it is set.
 *
 * <pre>{@code
 * OnceFlag ready = new OnceFlag();
 * Scope.run(scope -> {
 *     scope.fork(() -> { ready.await(); return serve(); });  // waits; a cancellation point
 *     loadConfiguration();
 *     ready.set();                                           // wakes every waiter
 *     return null;
 * });
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Once set, it stays set: every later {@code await()} returns without waiting (unless its
 *   scope is cancelled). There is no reset; make a new flag instead (as Trio advises).</li>
 *   <li><b>Cancellation- and deadline-aware (C6).</b> {@code await()} is a cancellation point,
 *   also when the flag is already set (so a cancelled scope cannot loop on it, S3); it is woken
 *   by cancellation of its scope or its deadline, and not by a cancellation a shield keeps out.
 *   A cancellation that comes at the same moment as {@code set()} ends in exactly one of "returned
 *   normally, scope still cancelled" and "{@link dev.weft.Cancelled Cancelled} thrown".</li>
 *   <li>{@link #set()} and {@link #isSet()} never block and are not cancellation points.</li>
 * </ul>
 * Thread-safe.
 */
public final class OnceFlag {

    // Implementer's note: `set` is volatile so isSet() and await()'s fast path need no lock;
    // it is written under the lot's lock, and set() grants every queued waiter in the same
    // critical section, so no waiter can queue after the flag was set and stay queued.

    final ParkingLot lot = new ParkingLot();
    private volatile boolean set;

    /** An unset flag. */
    public OnceFlag() {}

    /** Sets the flag and wakes every waiter; setting it again does nothing. */
    public void set() {
        List<ParkingLot.Waiter> woken = new ArrayList<>();
        lot.lock.lock();
        try {
            if (set) return;
            set = true;
            for (ParkingLot.Waiter w; (w = lot.grantFirst()) != null; ) woken.add(w);
        } finally {
            lot.lock.unlock();
        }
        woken.forEach(ParkingLot::unpark);
    }

    /** Whether the flag is set. */
    public boolean isSet() {
        return set;
    }

    /**
     * Waits until the flag is set; a cancellation point.
     *
     * @throws dev.weft.Cancelled if the current scope is cancelled (before the flag was set, or already
     *                   when called)
     */
    public void await() {
        Weft.checkpoint();
        awaitUntil(Kernel.NO_DEADLINE);
    }

    /**
     * Waits until the flag is set, at most {@code timeout} on the current scope's clock (a
     * {@link dev.weft.FakeClock FakeClock} in tests); a cancellation point.
     *
     * @return true if the flag is set, false if the time ran out first
     * @throws dev.weft.Cancelled if the current scope is cancelled
     */
    public boolean await(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        Weft.checkpoint();
        return awaitUntil(Weft.clock().after(timeout));
    }

    private boolean awaitUntil(long until) {
        if (set) return true;
        ParkingLot.Waiter w;
        lot.lock.lock();
        try {
            if (set) return true;
            w = lot.enqueue(null);
        } finally {
            lot.lock.unlock();
        }
        return lot.park(w, until, this, () -> {});
    }

    /** An immutable snapshot: whether set, how many threads wait. */
    public OnceFlagStatistics statistics() {
        lot.lock.lock();
        try {
            return new OnceFlagStatistics(set, lot.size());
        } finally {
            lot.lock.unlock();
        }
    }

    /** Throws if an internal invariant does not hold (for tests). */
    void checkInvariants() {
        lot.lock.lock();
        try {
            if (set && !lot.isEmpty()) throw new IllegalStateException("set but " + lot.size() + " waiting");
            if (lot.waiters().size() != lot.size()) throw new IllegalStateException("size mismatch");
        } finally {
            lot.lock.unlock();
        }
    }

    @Override
    public String toString() {
        return set ? "OnceFlag[set]" : "OnceFlag[unset, " + statistics().tasksWaiting() + " waiting]";
    }
}
