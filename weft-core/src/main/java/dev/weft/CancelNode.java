package dev.weft;

import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketException;
import java.nio.channels.ClosedByInterruptException;

/**
 * A node of the cancellation tree: every {@link Scope} and every task is one.
 *
 * <h2>Implementer's note</h2>
 * Trio separates cancel scopes from nurseries; Weft gives each scope and each task its own
 * node, so that a task can be cancelled alone and a scope cancels everything below it.
 *
 * <ul>
 *   <li><b>Level-triggered (S3).</b> A node is <em>effectively cancelled</em> when it, or an
 *   ancestor reached without crossing a shield, has a reason. The state never resets; every
 *   cancellation point asks {@link #effectiveReason()} afresh.</li>
 *   <li><b>Waking blocked threads.</b> At any moment a thread is <em>attached</em> to exactly
 *   one node: its innermost one. {@link #cancel} sets the reason, then walks the subtree
 *   (stopping at shields and at nodes already cancelled, which did their own walk) and
 *   interrupts each attached thread. A thread that attaches reads the reason after it is
 *   attached; a canceller reads the attached thread after it set the reason; both are volatile
 *   or under this node's monitor, so one of the two always sees the other and no wake-up is lost.</li>
 *   <li><b>No stray interrupts.</b> Interrupting and detaching both happen under the node's
 *   monitor, so once a thread has detached, no canceller of that node can interrupt it any more.
 *   That is what lets a pool thread or a scope's owner clear the interrupt status when it
 *   leaves a cancelled node without a late interrupt landing afterwards.</li>
 *   <li><b>Children</b> form an intrusive, lock-free singly linked list: a child is pushed with
 *   one compare-and-set on the head and removed by marking it; marked nodes are unlinked in an
 *   amortized sweep (one sweeper at a time, each after as many pushes as there were live
 *   children at the last sweep). A removed node keeps its {@code next} link, so a concurrent
 *   walker standing on it still reaches every later node. Forking thus takes no lock and
 *   allocates no list entry; the first design used the parent's monitor and spent a third of
 *   a 1,000-task fan-out unblocking virtual threads that contended for it.</li>
 * </ul>
 */
abstract class CancelNode {

    private static final VarHandle HEAD;
    private static final VarHandle SWEEPING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(CancelNode.class, "head", CancelNode.class);
            SWEEPING = l.findVarHandle(CancelNode.class, "sweeping", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CancelNode parent;
    final boolean shielded;
    final WeftClock clock;

    private volatile CancelReason ownReason;
    /** The thread whose innermost node this is; guarded by {@code this}. */
    private Thread attached;

    // Children: a lock-free stack with lazy removal (see the class comment).
    @SuppressWarnings("unused") // through HEAD
    private volatile CancelNode head;
    @SuppressWarnings("unused") // through SWEEPING
    private volatile int sweeping;
    private int pushesSinceSweep; // racy on purpose: it only paces sweeps
    private int liveAtSweep;
    /** The next older sibling; written before the push publishes it, later only by the sweeper. */
    private CancelNode next;
    private volatile boolean removed;

    // [batching, ADR 0013] Set by the attached thread while it is parked in a Weft wait at this
    // node (its innermost one), cleared when it leaves the wait; read by quiescence checks.
    private volatile Quiescence.Parked parked;

    CancelNode(CancelNode parent, boolean shielded, WeftClock clock) {
        this.parent = parent;
        this.shielded = shielded;
        this.clock = clock;
    }

    /** A short description for messages, e.g. {@code scope 'fetch'}. */
    abstract String describe();

    /** The effective deadline: the node's own, or the nearest ancestor's up to a shield. */
    long deadlineNanos() {
        return parent == null || shielded ? Deadlines.NONE : parent.deadlineNanos();
    }

    /** The reason this node itself was cancelled, or null (ancestors not consulted). */
    final CancelReason ownReason() {
        return ownReason;
    }

    /** The reason this node is effectively cancelled, or null if it is not. */
    final CancelReason effectiveReason() {
        for (CancelNode n = this; n != null; n = n.parent) {
            CancelReason r = n.ownReason;
            if (r != null) return r;
            if (n.shielded) return null;
        }
        return null;
    }

    /** Cancels this node and everything below it that is not shielded; the first reason is kept. */
    final void cancel(CancelReason reason) {
        synchronized (this) {
            if (ownReason != null) return;
            ownReason = reason;
        }
        onOwnCancel(reason);
        propagate();
    }

    /** Hook: this node itself was just cancelled with {@code reason} (scopes tell JFR and observers). */
    void onOwnCancel(CancelReason reason) {}

    /** This node became effectively cancelled: wake its thread and its children's. */
    private void propagate() {
        interruptAttached();
        onEffectivelyCancelled();
        for (CancelNode c = (CancelNode) HEAD.getVolatile(this); c != null; c = c.next) {
            // A shield stops outer cancellation (S5); a child with its own reason already walked.
            if (!c.removed && !c.shielded && c.ownReason == null) c.propagate();
        }
    }

    /**
     * Hook: whether a removed child must stay on its parent's list for now. A finished task
     * stays while its thread may be alive, so the scope can wait for that thread (S1).
     */
    boolean keepAfterRemoval() {
        return false;
    }

    /** Hook: a task that has not started yet may finish at once instead of waiting to run. */
    void onEffectivelyCancelled() {}

    private synchronized void interruptAttached() {
        if (attached != null) attached.interrupt();
    }

    /**
     * Makes {@code t} the thread whose innermost node this is, interrupting it if the node is
     * already cancelled.
     *
     * @return the reason the node is cancelled, or null
     */
    final CancelReason attach(Thread t) {
        synchronized (this) {
            attached = t;
        }
        CancelReason r = effectiveReason();
        if (r != null) t.interrupt();
        return r;
    }

    /** Undoes {@link #attach}; afterwards no cancellation of this node interrupts the thread. */
    final synchronized void detach() {
        attached = null;
    }

    /** Adds a child. Lock-free; the caller then checks {@link #effectiveReason()} (see the class comment). */
    final void linkChild(CancelNode child) {
        CancelNode h;
        do {
            h = (CancelNode) HEAD.getVolatile(this);
            child.next = h;
        } while (!HEAD.compareAndSet(this, h, child));
        if (++pushesSinceSweep > Math.max(32, liveAtSweep)) sweep();
    }

    /** Removes a child: marks it, so walkers skip it; a later sweep unlinks it. */
    final void unlinkChild(CancelNode child) {
        child.removed = true;
    }

    /** Unlinks removed children after the head; one sweeper at a time, others skip. */
    private void sweep() {
        if (!SWEEPING.compareAndSet(this, 0, 1)) return;
        try {
            CancelNode prev = (CancelNode) HEAD.getVolatile(this);
            if (prev == null) return;
            int live = prev.removed ? 0 : 1;
            for (CancelNode c = prev.next; c != null; c = c.next) {
                if (c.removed && !c.keepAfterRemoval()) {
                    prev.next = c.next; // c keeps its own next, for walkers standing on it
                } else {
                    prev = c;
                    live++;
                }
            }
            liveAtSweep = live;
            pushesSinceSweep = 0;
        } finally {
            SWEEPING.setVolatile(this, 0);
        }
    }

    /** How many children are linked, removed ones not yet swept included (for tests of the sweep). */
    final int linkedLength() {
        int n = 0;
        for (CancelNode c = (CancelNode) HEAD.getVolatile(this); c != null; c = c.next) n++;
        return n;
    }

    /** The live children, newest first, at some moment during the call. */
    final void forEachChild(java.util.function.Consumer<CancelNode> action) {
        for (CancelNode c = (CancelNode) HEAD.getVolatile(this); c != null; c = c.next) {
            if (!c.removed) action.accept(c);
        }
    }

    // ---------------------------------------------------------------- [batching, ADR 0013]

    /** Marks the attached thread as parked in a Weft wait here (null: it left the wait). */
    final void setParked(Quiescence.Parked p) {
        parked = p;
    }

    final Quiescence.Parked parked() {
        return parked;
    }

    /** The newest linked child (removed ones included: check {@link #isRemoved()}), for walks that may stop early. */
    final CancelNode firstChild() {
        return (CancelNode) HEAD.getVolatile(this);
    }

    /** The next older sibling, for walks started at {@link #firstChild()}. */
    final CancelNode nextSibling() {
        return next;
    }

    final boolean isRemoved() {
        return removed;
    }

    /** The nearest enclosing scope, this node included. */
    final Scope nearestScope() {
        for (CancelNode n = this; n != null; n = n.parent) {
            if (n instanceof Scope s) return s;
        }
        return null;
    }

    /**
     * Whether {@code t}, thrown by code whose node is effectively cancelled, is a consequence of
     * that cancellation rather than a failure of its own (S2: "never the cancellations it
     * caused"). True for what a cancellation point throws: {@link Cancelled}, or one of the JDK's
     * interrupt exceptions, directly or as a cause (code often wraps
     * {@code InterruptedException} in a {@code RuntimeException}). True also for
     * {@link TaskFailedException} and {@link TaskCancelledException}: a cancelled joiner that
     * passes on a sibling's end adds nothing, since the failed task's own scope reports the
     * failure itself (except the {@code TaskFailedException} of {@code start}, whose failure
     * the scope left to its caller). Only consulted when the node is effectively cancelled, so a real failure
     * in a live scope is never mistaken for one.
     */
    static boolean isCancellation(Throwable t) {
        // A failure start() handed to its caller was never reported by the scope: not passing-on.
        if (t instanceof TaskFailedException f) return f.reportedByScope();
        if (t instanceof TaskCancelledException) return true;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof Cancelled || isInterrupt(t)) return true;
        }
        return false;
    }

    /**
     * Whether {@code t} itself is how the JDK reports an interrupted call. On a virtual thread an
     * interrupt during {@code Socket} or {@code ServerSocket} I/O closes the socket and throws a
     * plain {@link SocketException} "Closed by interrupt" (JDK 21+), not an
     * {@code InterruptedIOException}; that message is the only mark the JDK gives it.
     */
    static boolean isInterrupt(Throwable t) {
        return t instanceof InterruptedException
                || t instanceof ClosedByInterruptException
                || t instanceof InterruptedIOException
                || (t instanceof SocketException && "Closed by interrupt".equals(t.getMessage()));
    }

    /**
     * Whether {@code t} (or a cause) says the thread was interrupted by code outside Weft: a JDK
     * interrupt exception, or a {@link Cancelled} of kind {@link CancelReason.Kind#INTERRUPTED}.
     */
    static boolean isForeignInterrupt(Throwable t) {
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof Cancelled c) return c.reason().kind() == CancelReason.Kind.INTERRUPTED;
            if (isInterrupt(t)) return true;
        }
        return false;
    }
}
