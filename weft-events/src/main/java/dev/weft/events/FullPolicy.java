package dev.weft.events;

/**
 * What {@link EventBus#emit} does when the bus's {@linkplain EventBus.Builder#capacity capacity}
 * of events in flight is used up (rule E7). Nothing is ever dropped silently: the caller waits, or
 * is told.
 */
public enum FullPolicy {
    /** Wait until there is room; a cancellation point (throws {@link dev.weft.Cancelled} if the scope is cancelled). */
    BLOCK,
    /** Throw {@link EventRejectedException} with reason {@link EventRejectedException.Reason#QUEUE_FULL}. */
    FAIL
}
