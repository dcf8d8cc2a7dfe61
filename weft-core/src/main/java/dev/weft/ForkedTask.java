package dev.weft;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * The one task implementation behind every {@link ExecutionKind}; it is its own cancellation
 * node and its own {@link Runnable}, so a fork allocates this object, the thread and little else.
 *
 * <p>State goes {@code PENDING -> RUNNING -> done} by compare-and-set. Whoever wins
 * {@code PENDING -> RUNNING} owns the completion: normally the thread that runs the task, but a
 * CPU task cancelled while still queued is claimed by the canceller and completed at once, so a
 * cancelled scope does not wait for a busy pool to reach it.
 */
final class ForkedTask<T> extends CancelNode implements Task<T>, Runnable {

    private static final VarHandle STATE;
    private static final VarHandle JOINERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(ForkedTask.class, "state", int.class);
            JOINERS = l.findVarHandle(ForkedTask.class, "joiners", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What {@link #joiners} becomes when the task ends: no joiner can be added any more. */
    private static final Object ENDED = new Object();

    /** A thread waiting in {@link #join()}: a lock-free stack, swapped for {@link #ENDED} at the end. */
    private record Joiner(Thread thread, Object next) {}

    private static final int PENDING = 0, RUNNING = 1, SUCCEEDED = 2, FAILED = 3, CANCELLED = 4;

    // Kept small on purpose: this object is most of what a fork allocates besides the thread.
    private String name;        // null until asked for, when the task was not given one
    private final int seq;      // its number in the scope, for the default name
    final ExecutionKind kind;
    final boolean background;
    private final Callable<T> work;
    /** {@code work} as the scope's observers wrapped it (ADR 0031), or null; set before the task starts. */
    Callable<T> wrapped;
    /** Non-null for tasks launched by {@link Scope#start}. */
    final StartSignal<?> startSignal;

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    /**
     * The value, or the Throwable it ended with. Written once, before the volatile write of the
     * final state, and read only after reading a final state: so it needs no lock.
     */
    private Object result;
    /**
     * Null, a {@link Joiner} stack, or {@link #ENDED}. A joiner that gave up (cancelled) stays on
     * the stack and gets one spurious unpark at the end, which every Weft wait tolerates: cheaper
     * than a lock on every join and every completion.
     */
    @SuppressWarnings("unused") // through JOINERS
    private volatile Object joiners;
    /**
     * The thread the scope started for this task (virtual and process tasks), set before it
     * starts; null for CPU tasks, which run on the pool's threads. Read by the scope's owner to
     * wait for the thread's end (S1) and by the child-list sweep.
     */
    Thread thread;

    ForkedTask(Scope scope, String name, int seq, Callable<T> work, ExecutionKind kind, boolean background,
               StartSignal<?> startSignal) {
        super(scope, false, scope.clock);
        this.name = name;
        this.seq = seq;
        this.work = work;
        this.kind = kind;
        this.background = background;
        this.startSignal = startSignal;
    }

    private Scope scope() {
        return (Scope) parent;
    }

    /**
     * The name its thread carries. A named task's thread has its name; an unnamed task's thread
     * has the scope's name (one shared string, no allocation per fork), so a thread dump still
     * shows which scope every thread belongs to.
     */
    String threadName() {
        return name != null ? name : scope().name();
    }

    @Override
    String describe() {
        return "task '" + name() + "'";
    }

    @Override
    public void run() {
        if (!STATE.compareAndSet(this, PENDING, RUNNING)) return; // claimed by a canceller
        Thread me = Thread.currentThread();
        String poolThreadName = null;
        if (kind == ExecutionKind.CPU) {
            poolThreadName = me.getName();
            me.setName(threadName());
        }
        Current.set(this);
        CancelReason r = attach(me);
        T v = null;
        Throwable thrown = null;
        try {
            if (r != null) {
                thrown = new Cancelled(r); // cancelled before it began: its code never runs
            } else {
                Callable<T> w = wrapped;
                v = (w != null ? w : work).call();
            }
        } catch (Throwable t) {
            thrown = t;
        } finally {
            detach();
            if (poolThreadName != null) {
                Current.set(null); // a virtual thread ends here anyway; a pool thread is reused
                Thread.interrupted(); // no cancellation of this task can reach the pool thread now
                me.setName(poolThreadName);
            }
        }
        complete(v, thrown);
    }

    @Override
    void onEffectivelyCancelled() {
        if (kind == ExecutionKind.CPU && STATE.compareAndSet(this, PENDING, RUNNING)) {
            scope().cpuPool().remove(this);
            complete(null, new Cancelled(effectiveReason()));
        }
    }

    private void complete(T v, Throwable thrown) {
        int end;
        if (thrown == null) {
            end = SUCCEEDED;
        } else if (effectiveReason() != null && isCancellation(thrown)) {
            end = CANCELLED;
        } else {
            end = FAILED;
        }
        result = thrown != null ? thrown : v;
        // The order below is what S2 and S7 rest on; each step must be visible before the next.
        // 1. Decide who owns a failure: the caller of start() if the task never signalled (S7).
        boolean toStarter = startSignal != null && startSignal.claimEnd(this, thrown);
        // 2. The scope records the failure and is cancelled BEFORE anyone can see this task
        //    failed: a joiner woken by the final state finds its scope cancelled, so what it
        //    rethrows counts as a consequence of this failure, not as a second one (S2).
        if (end == FAILED && !toStarter) scope().recordFailure(this, thrown);
        // 3. Publish the outcome and wake whoever waits on it.
        STATE.setVolatile(this, end); // publishes result
        for (Object w = JOINERS.getAndSet(this, ENDED); w instanceof Joiner j; w = j.next()) {
            LockSupport.unpark(j.thread());
        }
        if (toStarter) startSignal.settle();
        if (work instanceof ProcessRunner process) process.taskEnded(); // wakes pid() waiters of a task that never ran
        Observers observers = scope().observers;
        if (observers != null) observers.taskEnded(scope(), this);
        // 4. Only now may the scope's owner see the task gone.
        scope().taskFinished(this);
    }

    @Override
    boolean keepAfterRemoval() {
        return threadMayBeAlive();
    }

    /**
     * Whether this task's own thread (a virtual thread it was forked on) may still be alive: the
     * scope joins such threads before it returns (S1), and keeps the node linked until then.
     */
    boolean threadMayBeAlive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** Waits, ignoring interrupts, until the thread this task was forked on has terminated (S1). */
    boolean joinThread() {
        Thread t = thread;
        boolean interrupted = false;
        while (t != null && t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    @Override
    public String name() {
        String n = name;
        if (n == null) {
            n = scope().name() + "-" + seq;
            name = n; // racy but idempotent: every thread computes the same string
        }
        return n;
    }

    @Override
    public ExecutionKind kind() {
        return kind;
    }

    @Override
    public TaskState state() {
        return switch ((int) STATE.getVolatile(this)) {
            case PENDING -> TaskState.PENDING;
            case RUNNING -> TaskState.RUNNING;
            case SUCCEEDED -> TaskState.SUCCEEDED;
            case FAILED -> TaskState.FAILED;
            default -> TaskState.CANCELLED;
        };
    }

    @Override
    public T join() {
        if (!isDone() && addJoiner(Thread.currentThread())) {
            Waits.await(this::isDone, Deadlines.NONE, this);
        }
        if (state() == TaskState.CANCELLED) {
            // A cancelled caller ends by its own cancellation (S3), not by this task's: else a
            // sibling cancelled by the same failure would report TaskCancelledException (S2).
            Waits.checkCancelled(Current.node());
        }
        return outcome();
    }

    /**
     * Puts {@code t} on the joiner stack; false if the task has ended (its final state is then
     * visible: it is published before the stack is swapped for {@link #ENDED}).
     */
    private boolean addJoiner(Thread t) {
        while (true) {
            Object w = JOINERS.getVolatile(this);
            if (w == ENDED) return false;
            if (JOINERS.compareAndSet(this, w, new Joiner(t, w))) return true;
        }
    }

    @SuppressWarnings("unchecked")
    private T outcome() {
        return switch (state()) { // a volatile read: after it, result is visible
            case SUCCEEDED -> (T) result;
            case FAILED -> throw new TaskFailedException(name(), (Throwable) result);
            case CANCELLED -> throw new TaskCancelledException(name(), cancelReasonOf((Throwable) result));
            default -> throw new IllegalStateException("task '" + name() + "' has not finished");
        };
    }

    private CancelReason cancelReasonOf(Throwable t) {
        if (t instanceof Cancelled c) return c.reason();
        CancelReason r = effectiveReason();
        return r != null ? r : CancelReason.interrupted(describe());
    }

    @Override
    public T result() {
        TaskState s = state();
        if (s != TaskState.SUCCEEDED) {
            throw new IllegalStateException("task '" + name() + "' has no result: it is " + s
                    + (s.isDone() ? "" : "; use join() to wait for it"));
        }
        @SuppressWarnings("unchecked") T v = (T) result; // published by the state read above
        return v;
    }

    @Override
    public Throwable exception() {
        TaskState s = state();
        if (s != TaskState.FAILED) {
            throw new IllegalStateException("task '" + name() + "' has no exception: it is " + s);
        }
        return (Throwable) result; // published by the state read above
    }

    @Override
    public void cancel(String reason) {
        cancel(CancelReason.requested(describe(), reason));
    }

    @Override
    public String toString() {
        return "Task[" + name() + ", " + kind + ", " + state() + "]";
    }
}
