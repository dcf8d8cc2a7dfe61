package dev.weft;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * The batching state of one scope tree (ADR 0013): for each {@link Loader} used in the tree, its
 * per-scope cache and the keys waiting to be sent; and the trigger that sends them once every
 * thread of the tree is blocked (B1). Hangs off the tree's outermost scope, created by the first
 * load in the tree, and goes away with it.
 */
final class BatchDomain {

    private static final AtomicReferenceFieldUpdater<Scope, BatchDomain> BATCHING =
            AtomicReferenceFieldUpdater.newUpdater(Scope.class, BatchDomain.class, "batching");

    final Scope root;
    private final ConcurrentHashMap<Loader<?, ?>, LoaderState<?, ?>> states = new ConcurrentHashMap<>(4);
    /** How many loader states of this tree hold keys not yet sent. */
    private final AtomicInteger pending = new AtomicInteger();
    /**
     * How many batches of this tree are handing out outcomes. Their waiters are about to run
     * (some already do, the rest are still parked on keys that are a moment from done): the tree
     * is not quiescent until the last outcome is out, or a waiter that ran first would find its
     * siblings "blocked" and send the next level's first key alone.
     */
    private final AtomicInteger completing = new AtomicInteger();
    /**
     * Tasks forked into the tree since this domain exists, counted after each is linked: a walk
     * that sees this change missed a task (see {@code Quiescence}, "no premature dispatch").
     */
    private final AtomicLong forks = new AtomicLong();
    /** The node found busy by the last walk: usually still busy, so the next walk starts there. */
    private volatile CancelNode busyHint;

    private BatchDomain(Scope root) {
        this.root = root;
    }

    /** The domain of the tree {@code node} is in, created on first use. */
    static BatchDomain of(CancelNode node) {
        Scope root = node.nearestScope().batchRoot;
        BatchDomain d = root.batching;
        if (d != null) return d;
        BATCHING.compareAndSet(root, null, new BatchDomain(root));
        return root.batching;
    }

    @SuppressWarnings("unchecked")
    <K, V> LoaderState<K, V> state(Loader<K, V> loader) {
        LoaderState<?, ?> s = states.get(loader);
        if (s == null) s = states.computeIfAbsent(loader, l -> new LoaderState<>(loader, this, root.clock));
        return (LoaderState<K, V>) s;
    }

    <K, V> LoaderState<K, V> existingState(Loader<K, V> loader) {
        @SuppressWarnings("unchecked") LoaderState<K, V> s = (LoaderState<K, V>) states.get(loader);
        return s;
    }

    /** A task was forked into the tree and linked to its scope. */
    void forked() {
        forks.incrementAndGet();
    }

    void pendingAdded() {
        pending.incrementAndGet();
    }

    void pendingTaken() {
        pending.decrementAndGet();
    }

    /**
     * Something that may leave every thread of the tree blocked just happened (a thread parked
     * in a Weft wait, a task ended): if keys are waiting and it did, send them all.
     */
    void completionStarted() {
        completing.incrementAndGet();
    }

    void completionEnded() {
        completing.decrementAndGet();
        onQuiescenceChance(); // the waiters it woke may all have parked again already
    }

    void onQuiescenceChance() {
        if (pending.get() == 0 || completing.get() > 0) return;
        // Which batches wait now, before the walk: a walk's verdict may be stale by the time it
        // is acted on (another checker sent the batch, its waiters ran and filled the next one).
        List<LoaderState<?, ?>> waiting = new ArrayList<>(2);
        List<Long> ids = new ArrayList<>(2);
        for (LoaderState<?, ?> s : states.values()) {
            long id = s.pendingBatchId();
            if (id >= 0) {
                waiting.add(s);
                ids.add(id);
            }
        }
        if (waiting.isEmpty()) return;
        long forksBefore = forks.get();
        Quiescence.Seen seen = new Quiescence.Seen();
        CancelNode busy = Quiescence.findBusy(root, busyHint, seen);
        if (busy != null) {
            if (busy != busyHint) busyHint = busy;
            return;
        }
        // The walk saw every thread blocked, one at a time: only if nothing woke and nothing was
        // forked meanwhile were they all blocked at once (B1; see Quiescence, "no premature dispatch").
        if (!seen.stillBlocked() || forks.get() != forksBefore) return;
        for (int i = 0; i < waiting.size(); i++) waiting.get(i).dispatchIf(ids.get(i), DispatchReason.QUIESCENCE);
    }
}
