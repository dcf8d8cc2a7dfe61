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
     * Waits until {@code done} is true ({@code true} returned) or {@code clock} reaches
     * {@code until} ({@code false} returned). Whoever makes {@code done} true must unpark the
     * waiting thread.
     *
     * @throws Cancelled if the current node is cancelled, or the thread is interrupted by code
     *                   outside Weft (then the interrupt status is kept)
     */
    static boolean await(BooleanSupplier done, long until, Object blocker) {
        CancelNode node = Current.node();
        WeftClock clock = node == null ? SystemClock.INSTANCE : node.clock;
        Thread me = Thread.currentThread();
        WeftClock.Scheduled wake = null;
        try {
            while (true) {
                if (done != null && done.getAsBoolean()) return true;
                checkCancelled(node);
                long now = clock.nanoTime();
                if (now >= until) return false;
                if (Thread.interrupted()) {
                    me.interrupt();
                    // A canceller sets the reason before it interrupts: if it came in since the
                    // check above, report that reason, not an interrupt from outside Weft (S4).
                    CancelReason r = node == null ? null : node.effectiveReason();
                    throw new Cancelled(r != null ? r
                            : CancelReason.interrupted(node == null ? "a Weft wait" : node.describe()));
                }
                if (until == Deadlines.NONE) {
                    LockSupport.park(blocker);
                } else if (clock instanceof SystemClock) {
                    LockSupport.parkNanos(blocker, until - now);
                } else {
                    if (wake == null) wake = clock.schedule(until, () -> LockSupport.unpark(me));
                    LockSupport.park(blocker);
                }
            }
        } finally {
            if (wake != null) wake.cancel();
        }
    }

    /**
     * Waits until {@code done} is true, ignoring cancellation and interrupts (used where
     * leaving early would break S1, e.g. a scope waiting for its tasks).
     *
     * @return true if the thread was interrupted while waiting (the status is cleared)
     */
    static boolean awaitUninterruptibly(BooleanSupplier done, Object blocker) {
        boolean interrupted = false;
        while (!done.getAsBoolean()) {
            LockSupport.park(blocker);
            if (Thread.interrupted()) interrupted = true;
        }
        return interrupted;
    }
}
