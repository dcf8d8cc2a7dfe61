package dev.weft.sync;

import dev.weft.Weft;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A counting semaphore for code running in scopes (Trio's and AnyIO's {@code Semaphore}): a pool
 * of permits that {@link #acquire()} takes one from, waiting while there is none, and
 * {@link #release()} puts one back. Unlike a {@link Mutex}, permits have no owner: any thread may
 * release. For "at most N at a time" with a check that each borrower gives back what it took,
 * prefer {@link CapacityLimiter}.
 *
 * <pre>{@code
 * Semaphore connections = new Semaphore(4, 4);   // 4 permits, never more than 4
 * try (Permit p = connections.permit()) {        // blocks; a cancellation point
 *     talkToTheDatabase();
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>FIFO, no barging</b> (see {@code docs/adr/0012-primitives-hand-off-fifo.md}): a
 *   released permit goes straight to the longest waiter, so a later caller of
 *   {@code acquire()} or {@code tryAcquire()} cannot take it first.</li>
 *   <li><b>Cancellation- and deadline-aware (C6)</b>, exactly as {@link Mutex#acquire()}:
 *   {@code acquire} is a cancellation point even when a permit is free; a cancellation and a
 *   hand-off at the same moment end in exactly one of "acquired, scope still cancelled" and
 *   "{@link dev.weft.Cancelled Cancelled} thrown, permit passed on". No permit is lost or handed out twice.</li>
 *   <li><b>Optional maximum.</b> With a maximum, a {@link #release()} that would raise the
 *   value above it fails at once: that is a release without a matching acquire. Without one,
 *   such a release silently adds a permit (the classic semaphore).</li>
 * </ul>
 * Thread-safe.
 */
public final class Semaphore {

    // Implementer's note: `value` counts free permits and is guarded by the lot's lock.
    // Invariant: value > 0 implies nobody waits (release hands a permit to the first waiter
    // instead of incrementing), so acquire's fast path only looks at `value`.

    final ParkingLot lot = new ParkingLot();
    private final int max; // Integer.MAX_VALUE when unbounded
    private final boolean bounded;
    private int value;

    /**
     * A semaphore with {@code initialValue} permits and no maximum.
     *
     * @throws IllegalArgumentException if {@code initialValue} is negative
     */
    public Semaphore(int initialValue) {
        this(initialValue, Integer.MAX_VALUE, false);
    }

    /**
     * A semaphore with {@code initialValue} permits that never holds more than {@code maxValue}:
     * a release above it fails, which catches releases without an acquire.
     *
     * @throws IllegalArgumentException if {@code initialValue} is negative or above {@code maxValue},
     *                                  or {@code maxValue} is below 1
     */
    public Semaphore(int initialValue, int maxValue) {
        this(initialValue, maxValue, true);
    }

    private Semaphore(int initialValue, int maxValue, boolean bounded) {
        if (initialValue < 0) {
            throw new IllegalArgumentException("initialValue must be >= 0, got " + initialValue);
        }
        if (bounded && maxValue < 1) {
            throw new IllegalArgumentException("maxValue must be >= 1, got " + maxValue);
        }
        if (initialValue > maxValue) {
            throw new IllegalArgumentException("initialValue " + initialValue + " is above maxValue " + maxValue
                    + ": start at most at the maximum");
        }
        this.value = initialValue;
        this.max = maxValue;
        this.bounded = bounded;
    }

    /**
     * Takes a permit, waiting as long as it takes; a cancellation point.
     *
     * @throws dev.weft.Cancelled if the current scope is cancelled before a permit is taken
     */
    public void acquire() {
        Weft.checkpoint();
        acquireUntil(Kernel.NO_DEADLINE);
    }

    /**
     * Takes a permit if one is free, without blocking; not a cancellation point.
     *
     * @return true if a permit was taken
     */
    public boolean tryAcquire() {
        lot.lock.lock();
        try {
            if (value == 0) return false;
            value--;
            return true;
        } finally {
            lot.lock.unlock();
        }
    }

    /**
     * Takes a permit, waiting at most {@code timeout} on the current scope's clock (a
     * {@link dev.weft.FakeClock FakeClock} in tests); a cancellation point. A zero or negative timeout does not wait.
     *
     * @return true if a permit was taken, false if the time ran out first
     * @throws dev.weft.Cancelled if the current scope is cancelled before a permit is taken
     */
    public boolean tryAcquire(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        Weft.checkpoint();
        return acquireUntil(Weft.clock().after(timeout));
    }

    private boolean acquireUntil(long until) {
        ParkingLot.Waiter w;
        lot.lock.lock();
        try {
            if (value > 0) {
                value--;
                return true;
            }
            w = lot.enqueue(null);
        } finally {
            lot.lock.unlock();
        }
        return lot.park(w, until, this, this::release);
    }

    /**
     * Takes a permit (as {@link #acquire()}) and returns a {@link Permit} whose {@code close()}
     * releases it, for try-with-resources.
     *
     * @throws dev.weft.Cancelled if the current scope is cancelled before a permit is taken
     */
    public Permit permit() {
        acquire();
        return new Permit(this::release);
    }

    /**
     * Puts a permit back: hands it to the longest waiter, if any, else adds it to the pool. Never
     * blocks; not a cancellation point.
     *
     * @throws IllegalStateException if the semaphore has a maximum and is at it (a release
     *                               without a matching acquire), or would pass
     *                               {@code Integer.MAX_VALUE}
     */
    public void release() {
        ParkingLot.Waiter next;
        lot.lock.lock();
        try {
            next = lot.grantFirst();
            if (next == null) {
                if (value == max) {
                    throw new IllegalStateException(bounded
                            ? "release() would raise the Semaphore above its maximum of " + max
                                    + ": a release without a matching acquire"
                            : "release() would raise the Semaphore past Integer.MAX_VALUE permits");
                }
                value++;
            }
        } finally {
            lot.lock.unlock();
        }
        ParkingLot.unpark(next);
    }

    /** How many permits are free now (may be stale at once). */
    public int value() {
        lot.lock.lock();
        try {
            return value;
        } finally {
            lot.lock.unlock();
        }
    }

    /** The maximum, if the semaphore has one. */
    public OptionalInt maxValue() {
        return bounded ? OptionalInt.of(max) : OptionalInt.empty();
    }

    /** An immutable snapshot: free permits, the maximum, how many threads wait. */
    public SemaphoreStatistics statistics() {
        lot.lock.lock();
        try {
            return new SemaphoreStatistics(value, maxValue(), lot.size());
        } finally {
            lot.lock.unlock();
        }
    }

    /** Throws if an internal invariant does not hold (for tests). */
    void checkInvariants() {
        lot.lock.lock();
        try {
            var waiters = lot.waiters();
            if (waiters.size() != lot.size()) throw new IllegalStateException("size mismatch");
            if (value < 0 || value > max) throw new IllegalStateException("value " + value + " out of range");
            if (value > 0 && !waiters.isEmpty()) throw new IllegalStateException(value + " free but " + waiters.size() + " waiting");
            for (var w : waiters) {
                if (w.state != ParkingLot.WAITING) throw new IllegalStateException("a queued waiter in state " + w.state);
            }
        } finally {
            lot.lock.unlock();
        }
    }

    @Override
    public String toString() {
        SemaphoreStatistics s = statistics();
        return "Semaphore[" + s.value() + (bounded ? "/" + max : "") + " free, " + s.tasksWaiting() + " waiting]";
    }
}
