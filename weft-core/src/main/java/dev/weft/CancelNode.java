package dev.weft;

import java.io.InterruptedIOException;
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
 *   <li><b>Children</b> form an intrusive doubly linked list guarded by the parent's monitor,
 *   so forking a task allocates no list entry.</li>
 * </ul>
 */
abstract class CancelNode {

    final CancelNode parent;
    final boolean shielded;
    final WeftClock clock;
    /** The effective deadline: this node's own, or the nearest ancestor's up to a shield. */
    final long deadline;

    private volatile CancelReason ownReason;
    /** The thread whose innermost node this is; guarded by {@code this}. */
    private Thread attached;

    // Intrusive sibling list, guarded by the parent's monitor.
    private CancelNode firstChild;
    private CancelNode prevSibling;
    private CancelNode nextSibling;

    CancelNode(CancelNode parent, boolean shielded, WeftClock clock, long ownDeadline) {
        this.parent = parent;
        this.shielded = shielded;
        this.clock = clock;
        long inherited = parent == null || shielded ? Deadlines.NONE : parent.deadline;
        this.deadline = Math.min(ownDeadline, inherited);
    }

    /** A short description for messages, e.g. {@code scope 'fetch'}. */
    abstract String describe();

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

    /**
     * Cancels this node and everything below it that is not shielded.
     *
     * @return false if this node had already been cancelled (the first reason is kept)
     */
    final boolean cancel(CancelReason reason) {
        synchronized (this) {
            if (ownReason != null) return false;
            ownReason = reason;
        }
        propagate();
        return true;
    }

    /** This node became effectively cancelled: wake its thread and its children's. */
    private void propagate() {
        interruptAttached();
        onEffectivelyCancelled();
        CancelNode[] kids;
        synchronized (this) {
            int n = 0;
            for (CancelNode c = firstChild; c != null; c = c.nextSibling) n++;
            if (n == 0) return;
            kids = new CancelNode[n];
            int i = 0;
            for (CancelNode c = firstChild; c != null; c = c.nextSibling) kids[i++] = c;
        }
        for (CancelNode k : kids) {
            // A shield stops outer cancellation (S5); a child with its own reason already walked.
            if (!k.shielded && k.ownReason == null) k.propagate();
        }
    }

    /** Hook: a task that has not started yet may finish at once instead of waiting to run. */
    void onEffectivelyCancelled() {}

    private synchronized void interruptAttached() {
        if (attached != null) attached.interrupt();
    }

    /** Makes {@code t} the thread whose innermost node this is. */
    final void attach(Thread t) {
        synchronized (this) {
            attached = t;
        }
        if (effectiveReason() != null) t.interrupt();
    }

    /** Undoes {@link #attach}; afterwards no cancellation of this node interrupts the thread. */
    final synchronized void detach() {
        attached = null;
    }

    final void linkChild(CancelNode child) {
        synchronized (this) {
            child.nextSibling = firstChild;
            if (firstChild != null) firstChild.prevSibling = child;
            firstChild = child;
        }
    }

    final void unlinkChild(CancelNode child) {
        synchronized (this) {
            if (child.prevSibling != null) child.prevSibling.nextSibling = child.nextSibling;
            else if (firstChild == child) firstChild = child.nextSibling;
            if (child.nextSibling != null) child.nextSibling.prevSibling = child.prevSibling;
            child.prevSibling = null;
            child.nextSibling = null;
        }
    }

    /** The first child; caller holds this node's monitor. */
    final CancelNode firstChildLocked() {
        return firstChild;
    }

    /** The next sibling; caller holds the parent's monitor. */
    final CancelNode nextSiblingLocked() {
        return nextSibling;
    }

    /** The nearest enclosing scope, this node included. */
    final Scope nearestScope() {
        for (CancelNode n = this; n != null; n = n.parent) {
            if (n instanceof Scope s) return s;
        }
        return null;
    }

    /**
     * Whether {@code t} is what a cancellation point throws: {@link Cancelled}, or one of the
     * JDK's interrupt exceptions, directly or as a cause (code often wraps
     * {@code InterruptedException} in a {@code RuntimeException}). Only consulted when the node
     * is effectively cancelled, so a real failure in a live scope is never mistaken for one.
     */
    static boolean isCancellation(Throwable t) {
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof Cancelled
                    || t instanceof InterruptedException
                    || t instanceof ClosedByInterruptException
                    || t instanceof InterruptedIOException) {
                return true;
            }
        }
        return false;
    }
}
