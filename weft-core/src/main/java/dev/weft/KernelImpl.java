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
    public Thread newThread(Runnable work) {
        return Scope.taskThreads.newThread(work);
    }
}
