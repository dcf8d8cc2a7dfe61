package dev.weft;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The one blocking loop every Weft wait uses: it checks the condition, then cancellation, then
 * the time limit, then parks. Cancellation wakes it by interrupting the thread (see
 * {@link CancelNode}); a {@link FakeClock} wakes timed waits through a scheduled action.
 */
final class Waits {
    private Waits() {}

    /**
     * Throws {@link Cancelled} if {@code node} is effectively cancelled, after setting the
     * interrupt status so that the next interruptible JDK call fails too (level-triggered, S3).
     */
    static void checkCancelled(CancelNode node) {
        if (node == null) return;
        CancelReason r = node.effectiveReason();
        if (r != null) {
            Thread.currentThread().interrupt();
            throw new Cancelled(r);
        }
    }

    /**
     * Waits until {@code done} is true or the current node's clock reaches {@code until}
     * (callers that care which one check {@code done} again). Whoever makes {@code done} true
     * must unpark the waiting thread. {@code done} may also be evaluated by other threads (a
     * loader checking whether every thread of the tree is blocked, ADR 0013), so it must be
     * thread-safe and must not block: read volatile state, or take a lock only briefly.
     *
     * @throws Cancelled if the current node is cancelled, or the thread is interrupted by code
     *                   outside Weft (then the interrupt status is kept)
     */
    static void await(BooleanSupplier done, long until, Object blocker) {
        CancelNode node = Current.node();
        WeftClock clock = node == null ? SystemClock.INSTANCE : node.clock;
        Thread me = Thread.currentThread();
        boolean timed = until != Deadlines.NONE;
        boolean parkTimed = timed && clock instanceof SystemClock; // other clocks wake us by a scheduled unpark
        WeftClock.Scheduled wake = null;
        boolean marked = false;
        try {
            while (true) {
                if (done != null && done.getAsBoolean()) return;
                checkCancelled(node);
                long now = timed ? clock.nanoTime() : 0;
                if (timed && now >= until) return;
                if (Thread.interrupted()) {
                    me.interrupt();
                    // A canceller sets the reason before it interrupts: if it came in since the
                    // check above, report that reason, not an interrupt from outside Weft (S4).
                    CancelReason r = node == null ? null : node.effectiveReason();
                    throw new Cancelled(r != null ? r
                            : CancelReason.interrupted(node == null ? "a Weft wait" : node.describe()));
                }
                if (timed && !parkTimed && wake == null) {
                    wake = clock.schedule(until, () -> LockSupport.unpark(me));
                }
                if (node != null && !marked) {
                    // [batching, ADR 0013] This thread now counts as blocked in a Weft wait; if a
                    // loader of its tree has keys waiting, see whether every thread is blocked.
                    marked = true;
                    Quiescence.enter(node, new Quiescence.Parked(done, until, clock, me, blocker));
                }
                // Check once more right before parking. The steps above may take locks (a user
                // clock, the fake clock's scheduler), and a contended lock parks too: that park
                // can use up the unpark that whoever made `done` true sent us. Whatever set
                // `done` before this check is seen here; whatever sets it after will unpark a
                // thread that is (about to be) parked below, so no wake-up is lost.
                if (done != null && done.getAsBoolean()) return;
                if (wake != null && clock.nanoTime() >= until) return;
                if (parkTimed) {
                    LockSupport.parkNanos(blocker, until - now);
                } else {
                    LockSupport.park(blocker);
                }
            }
        } finally {
            if (wake != null) wake.cancel();
            if (marked) node.setParked(null);
        }
    }

    /**
     * Waits until {@code done} is true, ignoring cancellation and interrupts (used where
     * leaving early would break S1 or S7); an interrupt that came meanwhile is set again before
     * it returns, so nothing is swallowed.
     */
    static void awaitUninterruptibly(BooleanSupplier done, Object blocker) {
        boolean interrupted = false;
        while (!done.getAsBoolean()) {
            LockSupport.park(blocker);
            if (Thread.interrupted()) interrupted = true;
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
