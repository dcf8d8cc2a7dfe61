package dev.weft;

import dev.weft.internal.Kernel;
import dev.weft.internal.Tree;
import dev.weft.internal.TreeWatcher;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/** The {@link Kernel} of weft-core: the scope package's machinery as the other packages need it (ADR 0028). */
final class KernelImpl extends Kernel {

    static {
        Kernel.install(new KernelImpl());
    }

    private KernelImpl() {}

    @Override
    public void await(BooleanSupplier done, long untilNanos, Object blocker) {
        Waits.await(done, untilNanos, blocker);
    }

    @Override
    public void awaitUninterruptibly(BooleanSupplier done, Object blocker) {
        Waits.awaitUninterruptibly(done, blocker);
    }

    @Override
    public <W extends TreeWatcher> W watcher(Class<W> kind, Function<? super Tree, ? extends W> factory) {
        CancelNode node = Current.node();
        return node == null ? null : TreeDomain.of(node).watcher(kind, factory);
    }

    @Override
    public <W extends TreeWatcher> W existingWatcher(Class<W> kind) {
        CancelNode node = Current.node();
        if (node == null) return null;
        TreeDomain d = node.nearestScope().batchRoot.tree;
        return d == null ? null : d.find(kind);
    }

    @Override
    public Object parkingOn() {
        CancelNode node = Current.node();
        Quiescence.Parked p = node == null ? null : node.parked();
        return p != null && p.thread() == Thread.currentThread() ? p.blocker() : null;
    }

    @Override
    public boolean runDetached(Runnable body, Runnable onCallerCancelled) {
        CancelNode node = Current.node();
        if (node == null) {
            body.run();
            return true;
        }
        Thread me = Thread.currentThread();
        // The watch first, then the detach: a cancellation before the detach interrupts us and is
        // seen by the check below; one after it finds the watch. Either way nothing is missed.
        CancelWatch watch = new CancelWatch(node, onCallerCancelled);
        node.linkChild(watch);
        node.detach();
        if (node.effectiveReason() != null || me.isInterrupted()) {
            node.unlinkChild(watch);
            node.attach(me);
            return false;
        }
        Current.set(null);
        try {
            body.run();
        } finally {
            Current.set(node);
            node.unlinkChild(watch);
            node.attach(me); // interrupts again if the caller's scope was cancelled meanwhile
        }
        return true;
    }

    @Override
    public Thread newThread(Runnable work) {
        return Scope.taskThreads.newThread(work);
    }
}
