package dev.weft.events;

/** Where a bus handler runs (rule E5). Either way a handler never runs concurrently with itself. */
public enum HandlerMode {
    /**
     * On the thread that dispatches: the emitting thread for an event emitted outside a scope,
     * the bus's hand-off thread for events held by a scope. If the handler is still busy with
     * earlier events (or waits for a retry), the event waits its turn in the handler's queue.
     */
    SYNC,
    /** On a virtual thread of the handler's own, one event at a time, in order. */
    ASYNC
}
