package dev.weft.events;

/**
 * Handles one event delivered by an {@link EventBus}. May throw: the bus retries it by its
 * {@link dev.weft.RetryPolicy RetryPolicy}, then parks the event in the dead-letter store (rule E5).
 *
 * @param <T> what it handles: the payload for type handlers, the {@link dev.weft.events.transport.Envelope Envelope} for name patterns
 */
@FunctionalInterface
public interface EventHandler<T> {
    /** Handles {@code event}. */
    void handle(T event) throws Exception;
}
