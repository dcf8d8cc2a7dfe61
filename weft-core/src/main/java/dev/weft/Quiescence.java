package dev.weft;

import java.util.function.BooleanSupplier;

/**
 * Whether every thread of a scope tree is blocked in a Weft wait: the moment a {@link Loader}
 * sends its batch (rule B1). See ADR 0013 for the rule and the alternatives.
 *
 * <h2>Implementer's note</h2>
 * A thread that parks in a Weft wait ({@link Waits#await}, and a scope's owner waiting for its
 * tasks) first leaves a {@link Parked} mark on its innermost node, then calls {@link #enter},
 * which tells the tree's watchers ({@link TreeDomain}); a loader's batching, if keys wait,
 * checks the whole tree. The mark holds the wait's condition, so a checker on another thread can
 * tell a thread that is still blocked from one whose condition just came true (it is runnable,
 * even if it has not been scheduled yet): counting parks alone would call a tree quiescent in the
 * instant between a batch completing and its waiters running, and send the next level's first
 * key alone.
 *
 * <p>The walk: every thread of the tree is the owner of a scope or the thread of a started task,
 * and is attached to its innermost node. A node with a live nested scope below it has its thread
 * inside that scope, so the walk descends; otherwise the node's own mark must say "blocked".
 * A task not started yet is a thread about to run: not quiescent. A finished task no longer counts.
 *
 * <p>Why no premature dispatch: the walk is not a snapshot. It reads one node after another
 * while the tree goes on changing, so "every thread looked blocked when the walk looked at it"
 * does not mean they were all blocked at once: a thread looked at early may have been woken
 * since (by a task the walk reached only after it finished), and a task forked into a list the
 * walk had already read is missed altogether, while its forker may have parked again by the
 * time the walk reaches it. Both split a level into two batches (issue 10 saw it as 6 keys, then
 * 10). So a walk that finds no busy thread is validated, like a double collect: every mark it
 * found must still be in place and still blocked (see {@link Seen}), and no task may have been
 * forked into the tree meanwhile ({@link TreeDomain#forked}, counted after the task is linked).
 * If both hold, every thread was blocked at the instant the validation began: each thread looked
 * at stayed in one wait from its look to its re-check, and any thread the walk missed was forked
 * after the walk began, which the fork count shows (its forker counts it before it can park).
 * {@code QuiescenceRaceTest} stops a walk halfway to pin both cases.
 *
 * <p>Why no lost dispatch: each event that can make the tree quiescent (a thread parking, a task
 * ending) first publishes its own change (the mark, or the task's final state and count; all
 * volatile or atomic) and then walks. Of two concurrent events, the later walk sees the earlier
 * one's change (the Dekker pattern on sequentially consistent volatiles), so the last event to
 * happen sees the tree as it is and dispatches. A walk that fails validation gives up: what
 * changed meanwhile was a thread waking or a task being forked, and that thread parks or ends
 * later, which walks again.
 *
 * <p>Cost: a park in a Weft wait allocates one mark and writes two volatiles; a task completion
 * reads one field; walks happen only while a loader of the tree has keys waiting, and start with
 * the node that was busy at the last walk (usually still busy), so a fan-out of n loads does
 * O(n) work, not O(n²), in the common order.
 */
final class Quiescence {
    private Quiescence() {}

    /** What a thread parked in a Weft wait waits for, so other threads can tell if it is still blocked. */
    record Parked(BooleanSupplier done, long until, WeftClock clock, Thread thread, boolean cancellable, Object blocker) {

        Parked(BooleanSupplier done, long until, WeftClock clock, Thread thread, Object blocker) {
            this(done, until, clock, thread, true, blocker);
        }

        /** A scope's owner waiting for its tasks: only the tasks ending wake it (S1). */
        static Parked owner(BooleanSupplier done) {
            return new Parked(done, Deadlines.NONE, null, Thread.currentThread(), false, null);
        }

        /** Whether the thread is still blocked: its condition false, its time not up, not cancelled. */
        boolean blocked(CancelNode node) {
            try {
                if (done != null && done.getAsBoolean()) return false;
            } catch (RuntimeException e) {
                return false; // a condition that fails is not one we can wait on
            }
            if (until != Deadlines.NONE && clock.nanoTime() >= until) return false;
            if (cancellable && (thread.isInterrupted() || node.effectiveReason() != null)) return false;
            return true;
        }
    }

    /** Leaves the mark on {@code node}, then lets the tree's loaders look (see the class note). */
    static void enter(CancelNode node, Parked mark) {
        node.setParked(mark);
        Scope s = node.nearestScope();
        TreeDomain t = s.batchRoot.tree;
        if (t != null) t.chance();
    }

    /**
     * A node whose thread is not blocked in a Weft wait, or null if every thread of the tree
     * under {@code root} was, each at the moment the walk looked at it; {@code seen} then holds
     * the marks it found, for {@link Seen#stillBlocked()}. {@code hint} (a node found busy before)
     * is tried first.
     */
    static CancelNode findBusy(Scope root, CancelNode hint, Seen seen) {
        if (hint instanceof ForkedTask<?> t && stillBusy(t)) return t;
        return busyIn(root, seen);
    }

    /**
     * The marks a walk found, to tell afterwards whether each thread stayed blocked throughout.
     * A mark is made fresh by each wait and removed when it ends, and what a mark waits for only
     * ever turns true (a task done, a slot filled, a grant, a claim, time passing, cancellation),
     * so "the same mark, still blocked" at the end means "blocked all along".
     */
    static final class Seen {
        private CancelNode[] nodes = new CancelNode[8];
        private Parked[] marks = new Parked[8];
        private int size;

        void add(CancelNode node, Parked mark) {
            if (size == nodes.length) {
                nodes = java.util.Arrays.copyOf(nodes, size * 2);
                marks = java.util.Arrays.copyOf(marks, size * 2);
            }
            nodes[size] = node;
            marks[size++] = mark;
        }

        /** Whether every thread the walk found blocked still waits in the same wait, still blocked. */
        boolean stillBlocked() {
            for (int i = 0; i < size; i++) {
                if (nodes[i].parked() != marks[i] || !marks[i].blocked(nodes[i])) return false;
            }
            return true;
        }
    }

    /** True only if {@code hint} is a task that certainly has a thread not blocked (or not started). */
    static boolean stillBusy(CancelNode hint) {
        return hint instanceof ForkedTask<?> t && stillBusy(t);
    }

    /** True only if {@code t} certainly has a thread that is not blocked (or not started). */
    private static boolean stillBusy(ForkedTask<?> t) {
        if (t.isRemoved()) return false;
        TaskState s = t.state();
        if (s == TaskState.PENDING) return true;
        if (s != TaskState.RUNNING) return false;
        for (CancelNode c = t.firstChild(); c != null; c = c.nextSibling()) {
            if (!c.isRemoved()) return false; // inside a nested scope: not conclusive
        }
        Parked p = t.parked();
        return p == null || !p.blocked(t);
    }

    /** {@code n} is a scope (its owner) or a running task (its thread). */
    private static CancelNode busyIn(CancelNode n, Seen seen) {
        boolean threadBelow = false;
        for (CancelNode c = n.firstChild(); c != null; c = c.nextSibling()) {
            if (c.isRemoved()) continue;
            if (c instanceof Scope nested) {
                threadBelow = true; // n's thread opened it and runs inside it
                CancelNode busy = busyIn(nested, seen);
                if (busy != null) return busy;
            } else if (c instanceof ForkedTask<?> t) {
                TaskState s = t.state();
                if (s == TaskState.PENDING) return t;
                if (s == TaskState.RUNNING) {
                    CancelNode busy = busyIn(t, seen);
                    if (busy != null) return busy;
                }
                // finished: its code is done, it loads nothing more
            }
        }
        if (threadBelow) return null;
        Parked p = n.parked();
        if (p == null || !p.blocked(n)) return n;
        seen.add(n, p);
        return null;
    }
}
