package dev.weft.internal;

/**
 * Something that acts when a scope tree may have become quiescent (every thread blocked in a
 * Weft wait): the batching of loaders, a FakeClock that jumps ahead. Registered with
 * {@link Kernel#watcher}; one of each kind per tree.
 */
public interface TreeWatcher {

    /**
     * Called after every event that may leave the tree quiescent: a thread parking in a Weft wait,
     * a task ending, a scope's owner starting to wait for its tasks, and whenever the watcher asks
     * for it. Must return quickly when it has nothing to do (it runs on those threads), and must not
     * block; it may call {@link Tree#isQuiescent()}.
     */
    void onQuiescenceChance();

    /**
     * The tree's outermost scope is closing: every task of the tree has ended and its thread has
     * terminated. A watcher that started threads for the tree ends them here and waits for them
     * (S1: nothing started for a scope outlives its {@code run}); it may block, and is called once,
     * on the thread of the outermost scope, before that scope's {@code run} returns.
     */
    default void treeClosed() {}
}
