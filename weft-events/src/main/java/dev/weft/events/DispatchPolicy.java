package dev.weft.events;

/**
 * When events emitted inside a {@link dev.weft.Scope} are dispatched (rule E4). Outside any scope
 * every policy dispatches at once.
 */
public enum DispatchPolicy {
    /** Held by the scope; dispatched after it completes, only if it succeeded (the default). */
    ON_SUCCESS,
    /** Held by the scope; dispatched after it completes, whether it succeeded or failed. */
    ALWAYS,
    /** Not held: dispatched at the emit call, as outside a scope. */
    IMMEDIATELY
}
