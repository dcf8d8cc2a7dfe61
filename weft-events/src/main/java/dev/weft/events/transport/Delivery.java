package dev.weft.events.transport;

/**
 * One message handed to a consumer by {@link Transport#receive}: settle it with {@link #ack()}
 * once it has been handled, or {@link #reject(String)} to have it delivered again. A delivery
 * that is never settled (the consumer died) is delivered again once the transport's redelivery
 * timeout passes. On at-least-once transports the same message can arrive more than once, with a
 * higher {@link #deliveryCount()}; de-duplicate by {@code message().id()}. At-most-once transports
 * (Redis pub/sub broadcast) make {@code ack} and {@code reject} no-ops.
 */
public interface Delivery {

    /** The message. */
    TransportMessage message();

    /** How often this message has been handed out in this consumer group, 1 the first time. */
    int deliveryCount();

    /** The message was handled: it is not delivered again to this group. Idempotent. */
    void ack();

    /**
     * The message could not be handled now: deliver it again (to this or another consumer). Once
     * it has been delivered the transport's maximum number of times it goes to the transport's
     * dead letters instead. Idempotent; ignored after {@link #ack()}.
     */
    void reject(String reason);

    /**
     * The message can never be handled (it does not decode, names no declared event, fails
     * validation): move it to the transport's dead letters now, with {@code reason}, instead of
     * delivering it again. Idempotent; ignored after {@link #ack()}.
     *
     * <p>The default rejects it, so a transport without a way to dead-letter at once still gets it
     * there, after its maximum number of deliveries. Transports with dead letters override it.
     */
    default void deadLetter(String reason) {
        reject(reason);
    }
}
