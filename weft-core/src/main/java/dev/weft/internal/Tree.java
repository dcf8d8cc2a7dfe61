package dev.weft.internal;

/** A scope tree (an outermost scope and everything in it), as a {@link TreeWatcher} sees it. */
public interface Tree {

    /** The outermost scope of the tree: a {@code dev.weft.Scope}. */
    Object root();

    /**
     * Whether every thread of the tree was blocked in a Weft wait at one instant, now or during
     * this call (a walk, validated: see {@code dev.weft.Quiescence}). Costs O(threads of the tree)
     * at worst; call it only when something waits on the answer.
     */
    boolean isQuiescent();

    /**
     * A cheap "no": true if the thread a walk last found busy is certainly still busy, so the
     * tree is not quiescent. False means "walk to know" ({@link #isQuiescent()}).
     */
    boolean knownBusy();
}
