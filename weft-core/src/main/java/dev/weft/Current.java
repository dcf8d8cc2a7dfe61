package dev.weft;

/**
 * The innermost cancellation node of the current thread. Plain (not inheritable) so a thread
 * started by hand inside a task sees no scope, no deadline and no context (S10); only
 * forked tasks are given their node.
 */
final class Current {
    private static final ThreadLocal<CancelNode> NODE = new ThreadLocal<>();

    private Current() {}

    static CancelNode node() {
        return NODE.get();
    }

    static void set(CancelNode node) {
        if (node == null) NODE.remove();
        else NODE.set(node);
    }
}
