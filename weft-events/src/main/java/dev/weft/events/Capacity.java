package dev.weft.events;

import dev.weft.Weft;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bound of the dispatch queue (E7): how many events may be in flight at once. An event takes
 * one permit when it is dispatched and some handler it goes to would queue it (an ASYNC handler, a
 * SYNC one busy with an earlier event, a transport's outbox), and gives it back once every handler
 * it went to is done with it (handled or dead-lettered). So it counts once, however many handlers
 * it went to: while it waits in a queue, while a handler runs it, and while it waits for a retry.
 * Events held by open scopes take no permit (emit only checks for room; the hand-off waits for a
 * permit when the scope ends), nor do events that only idle SYNC handlers took inline.
 *
 * <p>The bound is passed only by an event already accepted that must not be lost, taken with
 * {@link #forceAcquire}: one that a SYNC handler failed on the dispatching thread and retries
 * later, or one that found a SYNC handler busy after all (another thread got to it between the
 * dispatcher's look and its delivery).
 */
// Implementer's note. The fast path is a CAS on `used`; the lock and condition are touched only
// when someone waits (BLOCK policy on a full queue) or when there are waiters to wake. A waiter
// registers in `waiters` before its last look at `used`, and a releaser reads `waiters` after it
// decremented, so one of the two always sees the other: no lost wake-up.
final class Capacity {
    private final int capacity;
    private final AtomicInteger used = new AtomicInteger();
    private final AtomicInteger waiters = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    Capacity(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    int used() {
        return used.get();
    }

    /** Takes a permit if one is free. */
    boolean tryAcquire() {
        for (int u = used.get(); u < capacity; u = used.get()) {
            if (used.compareAndSet(u, u + 1)) return true;
        }
        return false;
    }

    /** Takes a permit even past the bound: for an event that must be queued and was already accepted. */
    void forceAcquire() {
        used.incrementAndGet();
    }

    /** Takes a permit, waiting for one if needed; a cancellation point. */
    void acquire() {
        if (tryAcquire()) return;
        awaitUntil(this::tryAcquire);
    }

    /** Takes a permit, waiting for one and ignoring interrupts (kept, and set again at the end). */
    void acquireUninterruptibly() {
        if (tryAcquire()) return;
        boolean interrupted = false;
        waiters.incrementAndGet();
        lock.lock();
        try {
            while (!tryAcquire()) {
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            lock.unlock();
            waiters.decrementAndGet();
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Waits until a permit is free, without taking it; a cancellation point. */
    void awaitRoom() {
        if (used.get() < capacity) return;
        awaitUntil(() -> used.get() < capacity);
    }

    /** Waits until nothing is queued, or {@code nanos} pass; returns whether it is empty. */
    boolean awaitEmpty(long nanos, java.util.function.BooleanSupplier alsoIdle) throws InterruptedException {
        waiters.incrementAndGet();
        lock.lock();
        try {
            while (used.get() != 0 || !alsoIdle.getAsBoolean()) {
                if (nanos <= 0) return false;
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
            waiters.decrementAndGet();
        }
    }

    private void awaitUntil(java.util.function.BooleanSupplier done) {
        waiters.incrementAndGet();
        lock.lock();
        try {
            while (!done.getAsBoolean()) {
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    Weft.checkpoint(); // Cancelled with the scope's reason, if that is why
                    throw new EventRejectedException(EventRejectedException.Reason.QUEUE_FULL, "?",
                            "interrupted while waiting for room: the bus's capacity of " + capacity + " events in flight is used up");
                }
            }
        } finally {
            lock.unlock();
            waiters.decrementAndGet();
        }
    }

    void release() {
        used.decrementAndGet();
        if (waiters.get() > 0) signal();
    }

    void signalIfWaiting() {
        if (waiters.get() > 0) signal();
    }

    /** Wakes every waiter (also used when the bus becomes idle in other ways). */
    void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
