package dev.weft;

import dev.weft.internal.Tree;
import dev.weft.internal.TreeWatcher;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;

/**
 * One scope tree's watchers (ADR 0013, 0028): hangs off the tree's outermost scope, created when
 * the first watcher (a loader's batching, an autojumping FakeClock) registers, and goes away with
 * the tree. Until then the fork, park and completion paths pay one null check.
 *
 * <p>It also keeps what the validated quiescence walk needs ({@link #isQuiescent()}): the count of
 * tasks forked into the tree and the node found busy by the last walk.
 */
final class TreeDomain implements Tree {

    private static final AtomicReferenceFieldUpdater<Scope, TreeDomain> DOMAIN =
            AtomicReferenceFieldUpdater.newUpdater(Scope.class, TreeDomain.class, "tree");
    private static final TreeWatcher[] NONE = new TreeWatcher[0];

    final Scope root;
    /** Copy-on-write: watchers are added rarely (once per kind per tree) and read on every chance. */
    private volatile TreeWatcher[] watchers = NONE;
    /**
     * Tasks forked into the tree since this domain exists, counted after each is linked: a walk
     * that sees this change missed a task (see {@link Quiescence}, "no premature dispatch").
     */
    private final AtomicLong forks = new AtomicLong();
    /** The node found busy by the last walk: usually still busy, so the next walk starts there. */
    private volatile CancelNode busyHint;

    private TreeDomain(Scope root) {
        this.root = root;
    }

    /** The domain of the tree {@code node} is in, created on first use. */
    static TreeDomain of(CancelNode node) {
        Scope root = node.nearestScope().batchRoot;
        TreeDomain d = root.tree;
        if (d != null) return d;
        DOMAIN.compareAndSet(root, null, new TreeDomain(root));
        return root.tree;
    }

    /** The watcher of this kind, made by {@code factory} if the tree has none yet. */
    <W extends TreeWatcher> W watcher(Class<W> kind, Function<? super Tree, ? extends W> factory) {
        W w = find(kind);
        if (w != null) return w;
        synchronized (this) {
            w = find(kind);
            if (w != null) return w;
            w = kind.cast(factory.apply(this));
            TreeWatcher[] next = Arrays.copyOf(watchers, watchers.length + 1);
            next[next.length - 1] = w;
            watchers = next;
            return w;
        }
    }

    <W extends TreeWatcher> W find(Class<W> kind) {
        for (TreeWatcher w : watchers) {
            if (kind.isInstance(w)) return kind.cast(w);
        }
        return null;
    }

    /** The outermost scope is closing, its tasks all ended (S1): the watchers end what they started. */
    void closed() {
        for (TreeWatcher w : watchers) w.treeClosed();
    }

    @Override
    public Object root() {
        return root;
    }

    /** A task was forked into the tree and linked to its scope. */
    void forked() {
        forks.incrementAndGet();
    }

    /** Something that may leave every thread of the tree blocked just happened: tell the watchers. */
    void chance() {
        for (TreeWatcher w : watchers) w.onQuiescenceChance();
    }

    @Override
    public boolean knownBusy() {
        return Quiescence.stillBusy(busyHint);
    }

    @Override
    public boolean isQuiescent() {
        long forksBefore = forks.get();
        Quiescence.Seen seen = new Quiescence.Seen();
        CancelNode busy = Quiescence.findBusy(root, busyHint, seen);
        if (busy != null) {
            if (busy != busyHint) busyHint = busy;
            return false;
        }
        // The walk saw every thread blocked, one at a time: only if nothing woke and nothing was
        // forked meanwhile were they all blocked at once (B1; see Quiescence, "no premature dispatch").
        return seen.stillBlocked() && forks.get() == forksBefore;
    }
}
