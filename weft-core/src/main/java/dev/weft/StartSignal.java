package dev.weft;

import java.util.concurrent.locks.LockSupport;

/**
 * The rendezvous between {@link Scope#start} and a task's {@link TaskStatus#started}. Settled
 * exactly once: by {@code started(value)}, or by the task finishing first.
 */
final class StartSignal<V> implements TaskStatus<V> {
    private final Thread starter = Thread.currentThread();
    /** Written under the monitor; read without it by the waiting starter. */
    private volatile boolean settled;
    private boolean signalled;
    private V value;
    private Throwable thrown;
    private ForkedTask<?> task;

    @Override
    public void started(V v) {
        synchronized (this) {
            if (settled) {
                throw new IllegalStateException(signalled
                        ? "started() was already called for this task: call it exactly once"
                        : "started() called after the task finished");
            }
            signalled = true;
            value = v;
            settled = true;
        }
        LockSupport.unpark(starter);
    }

    /** Called when the task ends; true if it ended before signalling, so the starter takes the outcome. */
    boolean finishedBeforeStart(ForkedTask<?> t, int end, Throwable th) {
        synchronized (this) {
            if (settled) return false;
            task = t;
            thrown = th;
            settled = true;
        }
        LockSupport.unpark(starter);
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
        throw new TaskFailedException(taskName, thrown);
    }
}
