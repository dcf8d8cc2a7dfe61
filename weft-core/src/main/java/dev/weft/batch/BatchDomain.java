package dev.weft.batch;

import dev.weft.Scope;
import dev.weft.internal.Tree;
import dev.weft.internal.TreeWatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The batching state of one scope tree (ADR 0013): for each {@link Loader} used in the tree, its
 * per-scope cache and the keys waiting to be sent; and the trigger that sends them once every
 * thread of the tree is blocked (B1). The tree's watcher of this kind, created by the first load in
 * the tree (through {@code Kernel.watcher}), and gone with the tree.
 */
final class BatchDomain implements TreeWatcher {

    private final Tree tree;
    private final Scope root;
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
     * The batches started for this tree, kept until their thread has terminated (not merely
     * finished its work: S1 is about threads), pruned as new ones start. Guarded by this.
     */
    private final List<BatchRun<?, ?>> running = new ArrayList<>(2);
    /** Set once the tree's outermost scope closes: no batch starts after that. Guarded by this. */
    private boolean closed;

    BatchDomain(Tree tree) {
        this.tree = tree;
        this.root = (Scope) tree.root();
    }

    @SuppressWarnings("unchecked")
    <K, V> LoaderState<K, V> state(Loader<K, V> loader) {
        LoaderState<?, ?> s = states.get(loader);
        if (s == null) s = states.computeIfAbsent(loader, l -> new LoaderState<>(loader, this, root.clock()));
        return (LoaderState<K, V>) s;
    }

    <K, V> LoaderState<K, V> existingState(Loader<K, V> loader) {
        @SuppressWarnings("unchecked") LoaderState<K, V> s = (LoaderState<K, V>) states.get(loader);
        return s;
    }

    void pendingAdded() {
        pending.incrementAndGet();
    }

    void pendingTaken() {
        pending.decrementAndGet();
    }

    void completionStarted() {
        completing.incrementAndGet();
    }

    void completionEnded() {
        completing.decrementAndGet();
        onQuiescenceChance(); // the waiters it woke may all have parked again already
    }

    /**
     * Something that may leave every thread of the tree blocked just happened (a thread parked
     * in a Weft wait, a task ended): if keys are waiting and it did, send them all.
     */
    @Override
    public void onQuiescenceChance() {
        if (pending.get() == 0 || completing.get() > 0) return;
        // The common answer first, without allocating: the thread found busy last time still is.
        if (tree.knownBusy()) {
            armDelays();
            return;
        }
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
        if (!tree.isQuiescent()) {
            armDelays();
            return;
        }
        // A lone batch of the thread about to park runs right here, after the others have started
        // on threads of their own (ADR 0015); at most one, so batches still run in parallel.
        BatchRun<?, ?> here = null;
        for (int i = 0; i < waiting.size(); i++) {
            BatchRun<?, ?> run = waiting.get(i).takeIf(ids.get(i), DispatchReason.QUIESCENCE);
            if (run == null) continue;
            if (here == null && run.loneHere()) here = run;
            else run.start();
        }
        if (here != null) here.startHere();
    }

    /**
     * Starts {@code run}'s thread unless the tree has closed (then returns false, and the caller
     * fails the keys: nobody in the tree waits for them any more). Under the lock that
     * {@link #treeClosed} takes, so a batch is either refused or seen, started, by the close.
     */
    synchronized boolean launch(BatchRun<?, ?> run, Thread thread) {
        if (closed) return false;
        if (running.size() >= 8) running.removeIf(BatchRun::ended); // a long-lived tree sends many
        running.add(run);
        thread.start();
        return true;
    }

    /**
     * S1 for batch threads: the tree's outermost scope is closing and every task of the tree has
     * ended, so no key of a batch still running or waiting has a caller left. Batches not sent are
     * dropped (their timers cancelled); batches running are cancelled (their function sees a
     * cancellation point, as any Weft code does) and waited for, so that no thread started for
     * the tree is alive once its {@code run} returns. Waits uninterruptibly, as the scope waits
     * for its tasks' threads, and gives an interrupt back.
     */
    @Override
    public void treeClosed() {
        List<BatchRun<?, ?>> runs;
        synchronized (this) {
            closed = true;
            runs = new ArrayList<>(running);
        }
        for (LoaderState<?, ?> s : states.values()) s.dropPending();
        for (BatchRun<?, ?> r : runs) r.abandon();
        boolean interrupted = false;
        for (BatchRun<?, ?> r : runs) interrupted |= r.join();
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** The tree is busy with keys waiting: only the delay can send them now (see LoaderState.add). */
    private void armDelays() {
        for (LoaderState<?, ?> s : states.values()) s.armDelayIfPending();
    }
}
