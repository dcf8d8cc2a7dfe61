package dev.weft.events;

/**
 * A handler's registration with an {@link Event} or an {@link EventBus}: close it to unsubscribe.
 *
 * <pre>{@code
 * try (Subscription s = clicked.subscribe(e -> log(e))) {
 *     ...                      // handled while open
 * }                            // unsubscribed here
 * }</pre>
 *
 * <p>Closing is idempotent and thread-safe. Closing during a firing affects the next firing:
 * a firing already under way still calls the handler (E1).
 */
public interface Subscription extends AutoCloseable {

    /** Unsubscribes; idempotent. Never throws. */
    @Override
    void close();

    /** Whether the handler is still subscribed. */
    boolean isActive();

    /** The subscription's name: the one given when subscribing, else a readable default; failures are reported under it. */
    String name();
}
