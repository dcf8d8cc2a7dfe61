package dev.weft;

import java.util.concurrent.locks.LockSupport;

/**
 * The rendezvous between {@link Scope#start} and a task's {@link TaskStatus#started}. Settled
 * exactly once: by {@code started(value)}, or by the task finishing first.
 *
 * <p>A task that finishes first does it in two steps ({@link #claimEnd}, then {@link #settle}),
 * because the starter reads the task's final state: the claim decides, before anything is
 * published, that the outcome goes to the starter and not to the scope (so the scope neither
 * records nor is cancelled by it); the settle wakes the starter once the final state is out.
 */
final class StartSignal<V> implements TaskStatus<V> {
    private final Thread starter = Thread.currentThread();
    /** Written under the monitor; read without it by the waiting starter. */
    private volatile boolean settled;
    private boolean signalled;
    /** The task ended before signalling; settled follows once its final state is published. */
    private boolean ended;
    /** The caller of start() was cancelled first and gave up waiting: a later started() is ignored. */
    private boolean abandoned;
    private V value;
    private Throwable thrown;
    private ForkedTask<?> task;

    @Override
    public void started(V v) {
        synchronized (this) {
            if (abandoned) {
                // The caller of start() was cancelled and is cancelling this task: the value has
                // nobody to go to, but the caller waits for this moment (it no longer needs to
                // learn whether the task fails before starting). The task's next cancellation
                // point ends it.
                if (settled || ended) return;
                settled = true;
            } else {
                if (settled || ended) {
                    throw new IllegalStateException(signalled
                            ? "started() was already called for this task: call it exactly once"
                            : "started() called after the task finished");
                }
                signalled = true;
                value = v;
                settled = true;
            }
        }
        LockSupport.unpark(starter);
    }

    /**
     * Called when the task ends, before its final state is published; true if it ended before
     * signalling, so the starter takes the outcome. The caller must then publish the task's
     * final state and call {@link #settle()}.
     */
    synchronized boolean claimEnd(ForkedTask<?> t, Throwable th) {
        if (settled) return false;
        task = t;
        thrown = th;
        ended = true;
        return true;
    }

    /** Wakes the starter after {@link #claimEnd} returned true and the task's final state is out. */
    void settle() {
        synchronized (this) {
            settled = true;
        }
        LockSupport.unpark(starter);
    }

    /**
     * The caller of start() was cancelled while waiting: gives up the wait unless started() came
     * first, in one step, so that either the start happened (false: return its value) or it never
     * will (true: a later started() is ignored, and the caller cancels the task).
     */
    synchronized boolean abandon() {
        if (signalled) return false;
        abandoned = true;
        return true;
    }

    /** Whether the task ended with a failure (not a cancellation) before it called started(). */
    synchronized boolean failedBeforeStart() {
        return !signalled && task != null && task.state() == TaskState.FAILED;
    }

    boolean isSettled() {
        return settled;
    }

    /** The started value, or the reason there is none, thrown as the caller of start() should see it. */
    synchronized V outcome(String taskName) {
        if (signalled) return value;
        if (thrown == null) {
            throw new IllegalStateException("task '" + taskName
                    + "' returned without calling status.started(value): call it once the task is ready");
        }
        if (task != null && task.state() == TaskState.CANCELLED) {
            Waits.checkCancelled(Current.node()); // a cancelled caller ends by its own cancellation (S3)
            throw new TaskCancelledException(taskName, thrown instanceof Cancelled c ? c.reason()
                    : CancelReason.interrupted("task '" + taskName + "'"));
        }
        if (thrown instanceof RuntimeException e) throw e;
        if (thrown instanceof Error e) throw e;
        throw TaskFailedException.handedToCaller(taskName, thrown); // the scope did not report it: the caller owns it
    }
}
