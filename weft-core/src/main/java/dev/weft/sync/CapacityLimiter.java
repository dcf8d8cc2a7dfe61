package dev.weft.sync;

import dev.weft.Weft;
import dev.weft.internal.Kernel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * Limits how many tasks do something at once (Trio's and AnyIO's {@code CapacityLimiter}): a
 * pool of tokens that each <em>borrower</em> takes at most one of. Unlike a {@link Semaphore}, it
 * knows who holds each token, so a borrower that takes a second token, or a release by someone
 * who holds none, fails at once; and its size can change while it is in use.
 *
 * <pre>{@code
 * CapacityLimiter downloads = new CapacityLimiter(10);
 * Scope.run(scope -> {
 *     for (URI uri : uris) {
 *         scope.fork(() -> downloads.run(() -> fetch(uri)));  // at most 10 fetches at a time
 *     }
 *     return null;
 * });
 * downloads.setTotalTokens(20);                              // at run time, e.g. from config
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Borrowers.</b> The borrower is the calling thread unless given with
 *   {@link #acquireOnBehalfOf(Object)} (any object, compared with {@code equals}: a job, a
 *   request id). A borrower holds at most one token; acquiring again while it holds or waits for
 *   one fails at once, and so does a release on behalf of a borrower that holds none.</li>
 *   <li><b>Changeable size.</b> {@link #setTotalTokens(int)} raises or lowers the total at any
 *   time. Raising it hands the new tokens to waiters at once. Lowering it below what is borrowed
 *   takes nothing back: new borrowers just wait until enough tokens were returned.</li>
 *   <li><b>FIFO, no barging</b> (see {@code docs/adr/0012-primitives-hand-off-fifo.md}), and
 *   <b>cancellation- and deadline-aware (C6)</b> exactly as {@link Mutex#acquire()}: acquiring
 *   is a cancellation point even when a token is free; a cancellation and a hand-off at the same
 *   moment end in exactly one of "acquired, scope still cancelled" and "{@link dev.weft.Cancelled Cancelled}
 *   thrown, token passed on". No token is lost or handed out twice.</li>
 * </ul>
 * Thread-safe.
 */
public final class CapacityLimiter {

    // Implementer's note: `borrowers` (insertion-ordered, equals-based like Trio's set) and
    // `totalTokens` are guarded by the lot's lock. Invariant: borrowers.size() < totalTokens
    // implies nobody waits; release and setTotalTokens restore it by granting to waiters in
    // order (dispatch), and a grant adds the waiter's borrower before its thread even wakes.
    // The lot indexes waiting borrowers, so the "already waiting" check is O(1).

    final ParkingLot lot = new ParkingLot();
    private final LinkedHashSet<Object> borrowers = new LinkedHashSet<>();
    private int totalTokens;

    /**
     * A limiter with {@code totalTokens} tokens.
     *
     * @throws IllegalArgumentException if {@code totalTokens} is below 1
     */
    public CapacityLimiter(int totalTokens) {
        this.totalTokens = checkTotal(totalTokens);
    }

    private static int checkTotal(int totalTokens) {
        if (totalTokens < 1) {
            throw new IllegalArgumentException("totalTokens must be >= 1, got " + totalTokens);
        }
        return totalTokens;
    }

    // ---------------------------------------------------------------- acquiring

    /**
     * Borrows a token for the calling thread, waiting as long as it takes; a cancellation point.
     *
     * @throws dev.weft.Cancelled    if the current scope is cancelled before a token is borrowed
     * @throws IllegalStateException if the calling thread already holds or waits for a token
     */
    public void acquire() {
        acquireOnBehalfOf(Thread.currentThread());
    }

    /**
     * Borrows a token for {@code borrower}, waiting as long as it takes; a cancellation point.
     *
     * @throws dev.weft.Cancelled    if the current scope is cancelled before a token is borrowed
     * @throws IllegalStateException if {@code borrower} already holds or waits for a token
     */
    public void acquireOnBehalfOf(Object borrower) {
        Objects.requireNonNull(borrower, "borrower");
        Weft.checkpoint();
        acquireUntil(borrower, Kernel.NO_DEADLINE);
    }

    /** As {@link #tryAcquireOnBehalfOf(Object)} for the calling thread. */
    public boolean tryAcquire() {
        return tryAcquireOnBehalfOf(Thread.currentThread());
    }

    /**
     * Borrows a token for {@code borrower} if one is free, without blocking; not a cancellation point.
     *
     * @return true if borrowed
     * @throws IllegalStateException if {@code borrower} already holds or waits for a token
     */
    public boolean tryAcquireOnBehalfOf(Object borrower) {
        Objects.requireNonNull(borrower, "borrower");
        lot.lock.lock();
        try {
            checkNotBorrowing(borrower);
            if (borrowers.size() >= totalTokens) return false;
            borrowers.add(borrower);
            return true;
        } finally {
            lot.lock.unlock();
        }
    }

    /** As {@link #tryAcquireOnBehalfOf(Object, Duration)} for the calling thread. */
    public boolean tryAcquire(Duration timeout) {
        return tryAcquireOnBehalfOf(Thread.currentThread(), timeout);
    }

    /**
     * Borrows a token for {@code borrower}, waiting at most {@code timeout} on the current
     * scope's clock (a {@link dev.weft.FakeClock FakeClock} in tests); a cancellation point. A zero or negative
     * timeout does not wait.
     *
     * @return true if borrowed, false if the time ran out first
     * @throws dev.weft.Cancelled    if the current scope is cancelled before a token is borrowed
     * @throws IllegalStateException if {@code borrower} already holds or waits for a token
     */
    public boolean tryAcquireOnBehalfOf(Object borrower, Duration timeout) {
        Objects.requireNonNull(borrower, "borrower");
        Objects.requireNonNull(timeout, "timeout");
        Weft.checkpoint();
        return acquireUntil(borrower, Weft.clock().after(timeout));
    }

    private boolean acquireUntil(Object borrower, long until) {
        ParkingLot.Waiter w;
        lot.lock.lock();
        try {
            checkNotBorrowing(borrower);
            if (borrowers.size() < totalTokens) {
                borrowers.add(borrower);
                return true;
            }
            w = lot.enqueue(borrower);
        } finally {
            lot.lock.unlock();
        }
        return lot.park(w, until, this, () -> releaseOnBehalfOf(borrower));
    }

    private void checkNotBorrowing(Object borrower) {
        if (borrowers.contains(borrower)) {
            throw new IllegalStateException(describe(borrower) + " already holds a token of this CapacityLimiter: a borrower"
                    + " holds at most one; release it first, or borrow on behalf of a distinct object");
        }
        if (lot.hasWaiterFor(borrower)) {
            throw new IllegalStateException(describe(borrower) + " is already waiting for a token of this CapacityLimiter:"
                    + " a borrower holds at most one; borrow on behalf of a distinct object");
        }
    }

    /**
     * Borrows a token for the calling thread (as {@link #acquire()}) and returns a {@link Permit}
     * whose {@code close()} gives it back, for try-with-resources.
     */
    public Permit borrow() {
        acquire();
        Thread me = Thread.currentThread();
        return new Permit(() -> releaseOnBehalfOf(me));
    }

    /** As {@link #borrow()}, on behalf of {@code borrower}. */
    public Permit borrowOnBehalfOf(Object borrower) {
        acquireOnBehalfOf(borrower);
        return new Permit(() -> releaseOnBehalfOf(borrower));
    }

    /**
     * Borrows a token for the calling thread, runs {@code work}, and gives the token back however
     * {@code work} ends: the common "acquire, do, release".
     *
     * @return what {@code work} returned
     * @throws dev.weft.Cancelled if the current scope is cancelled before a token is borrowed ({@code work} did not run)
     * @throws Exception what {@code work} threw
     */
    @SuppressWarnings("try") // the permit is only closed, never read
    public <T> T run(Callable<T> work) throws Exception {
        Objects.requireNonNull(work, "work");
        try (Permit ignored = borrow()) {
            return work.call();
        }
    }

    // ---------------------------------------------------------------- releasing

    /**
     * Gives back the calling thread's token. Never blocks; not a cancellation point.
     *
     * @throws IllegalStateException if the calling thread holds no token
     */
    public void release() {
        releaseOnBehalfOf(Thread.currentThread());
    }

    /**
     * Gives back {@code borrower}'s token; it goes to the longest waiter if the total allows.
     * Never blocks; not a cancellation point.
     *
     * @throws IllegalStateException if {@code borrower} holds no token
     */
    public void releaseOnBehalfOf(Object borrower) {
        Objects.requireNonNull(borrower, "borrower");
        List<ParkingLot.Waiter> granted;
        lot.lock.lock();
        try {
            if (!borrowers.remove(borrower)) {
                throw new IllegalStateException(describe(borrower) + " does not hold a token of this CapacityLimiter:"
                        + " a release without an acquire, or on behalf of another borrower than the one that acquired");
            }
            granted = dispatch();
        } finally {
            lot.lock.unlock();
        }
        granted.forEach(ParkingLot::unpark);
    }

    /** Grants tokens to waiters, in order, while the total allows; under the lock. */
    private List<ParkingLot.Waiter> dispatch() {
        List<ParkingLot.Waiter> granted = List.of();
        while (borrowers.size() < totalTokens) {
            ParkingLot.Waiter w = lot.grantFirst();
            if (w == null) break;
            borrowers.add(w.borrower);
            if (granted.isEmpty()) granted = new ArrayList<>(2);
            granted.add(w);
        }
        return granted;
    }

    // ---------------------------------------------------------------- size and inspection

    /** The total number of tokens. */
    public int totalTokens() {
        lot.lock.lock();
        try {
            return totalTokens;
        } finally {
            lot.lock.unlock();
        }
    }

    /**
     * Changes the total number of tokens. Raising it hands the new tokens to waiters at once;
     * lowering it below what is borrowed takes nothing back, it only makes new borrowers wait
     * until enough tokens were returned. Never blocks.
     *
     * @throws IllegalArgumentException if {@code totalTokens} is below 1
     */
    public void setTotalTokens(int totalTokens) {
        checkTotal(totalTokens);
        List<ParkingLot.Waiter> granted;
        lot.lock.lock();
        try {
            this.totalTokens = totalTokens;
            granted = dispatch();
        } finally {
            lot.lock.unlock();
        }
        granted.forEach(ParkingLot::unpark);
    }

    /** How many tokens are borrowed now. */
    public int borrowedTokens() {
        lot.lock.lock();
        try {
            return borrowers.size();
        } finally {
            lot.lock.unlock();
        }
    }

    /** How many tokens are free now: zero while the total is at or below what is borrowed. */
    public int availableTokens() {
        lot.lock.lock();
        try {
            return Math.max(0, totalTokens - borrowers.size());
        } finally {
            lot.lock.unlock();
        }
    }

    /** An immutable snapshot: borrowed and total tokens, the borrowers in borrowing order, how many wait. */
    public CapacityLimiterStatistics statistics() {
        lot.lock.lock();
        try {
            return new CapacityLimiterStatistics(borrowers.size(), totalTokens, List.copyOf(borrowers), lot.size());
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
            if (lot.indexedBorrowers() != waiters.size()) throw new IllegalStateException("borrower index out of step");
            if (borrowers.size() < totalTokens && !waiters.isEmpty()) {
                throw new IllegalStateException("tokens free but " + waiters.size() + " waiting");
            }
            for (var w : waiters) {
                if (w.state != ParkingLot.WAITING) throw new IllegalStateException("a queued waiter in state " + w.state);
                if (borrowers.contains(w.borrower)) throw new IllegalStateException("a borrower both holds and waits");
            }
        } finally {
            lot.lock.unlock();
        }
    }

    private static String describe(Object borrower) {
        return borrower instanceof Thread t ? "thread '" + t.getName() + "'" : "borrower " + borrower;
    }

    @Override
    public String toString() {
        CapacityLimiterStatistics s = statistics();
        return "CapacityLimiter[" + s.borrowedTokens() + "/" + s.totalTokens() + " borrowed, " + s.tasksWaiting() + " waiting]";
    }
}
