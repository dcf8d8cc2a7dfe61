package dev.weft.events.transport;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The SPI between an {@link dev.weft.events.EventBus EventBus} and a message broker, shaped for at-least-once brokers
 * (Redis Streams with consumer groups, AMQP, Kafka). The bus sends events to its transports after
 * their scope succeeded (E4), encoded by its {@link EventCodec} (JSON, E8), through an outbox
 * per transport with retries and dead letters (E5); {@link dev.weft.events.EventBus#consume EventBus.consume} reads them back.
 *
 * <h2>Contract</h2> (reusable suites in weft-test check every rule: {@code TransportContract} the
 * rules every transport has, {@code AtLeastOnceTransportContract} adds redelivery and dead letters;
 * ADR 0022)
 * <ul>
 *   <li>{@link #publish} returns only once the broker confirmed the message (durably, as far as
 *   the broker is durable); if it throws, the message may or may not have been stored, and the
 *   bus publishes it again (so consumers must de-duplicate by id).</li>
 *   <li>Each consumer group receives every message published after the group was first used
 *   (in-memory: every message since the transport was created); within a group each message is
 *   handed to one consumer at a time, in publish order for a single publisher.</li>
 *   <li>At-least-once transports (in-memory, Redis Streams): a message is handed out again if it
 *   is rejected, or not acknowledged within the transport's redelivery timeout; after the
 *   transport's maximum deliveries it is moved to the group's dead letters ({@link #deadLetters}).
 *   An at-most-once transport (Redis pub/sub broadcast) says so: its {@code ack} and
 *   {@code reject} do nothing, {@code deliveryCount()} is always 1 and {@link #deadLetters} is empty.</li>
 *   <li>{@link #receive} blocks up to {@code wait} for messages; it is a cancellation point.</li>
 *   <li>After {@link #close()}, publish and receive throw {@link TransportException}.</li>
 *   <li>Thread-safe.</li>
 * </ul>
 */
public interface Transport extends AutoCloseable {

    /** A short name for messages and for the bus's outbox handler ({@code transport:<name>}). */
    String name();

    /**
     * Stores {@code message} in the broker and returns once the broker confirmed it.
     *
     * @throws TransportException if it was not confirmed
     */
    void publish(TransportMessage message);

    /**
     * Stores every message, in order, and returns once the broker confirmed all of them. The
     * bus's outbox sends what has queued up for a transport through this call, so a transport
     * that can pipeline (send every message before awaiting the first confirmation) should
     * override it; the default publishes one at a time.
     *
     * <p>If it throws, any of the messages may have been stored, and the bus publishes all of them
     * again. A {@link TransportException} says the broker did not confirm (unreachable, refused,
     * closed): the bus retries the whole list. Anything else (a message the transport will never
     * take, say one over its size limit) makes the bus publish the messages one at a time, so one
     * bad message cannot hold back the others.
     *
     * @throws TransportException if not every message was confirmed
     */
    default void publishAll(List<TransportMessage> messages) {
        for (TransportMessage m : messages) publish(m);
    }

    /**
     * Hands out up to {@code max} messages to {@code consumer} of {@code group}: first messages
     * due for redelivery, then new ones. Waits up to {@code wait} when there are none.
     *
     * @return the deliveries, possibly none
     * @throws TransportException if the transport is closed or the broker fails
     */
    List<Delivery> receive(String group, String consumer, int max, Duration wait);

    /**
     * As {@link #receive(String, String, int, Duration)}, telling {@code deadLettered} (once per
     * message, on the calling thread) about each message the transport moved to its dead letters
     * by itself while receiving (malformed, past its maximum deliveries), so that a consumer can
     * count what it never got to see. The default receives and reports nothing: a transport that
     * dead-letters on its own while receiving overrides it.
     *
     * @throws TransportException if the transport is closed or the broker fails
     */
    default List<Delivery> receive(String group, String consumer, int max, Duration wait, Runnable deadLettered) {
        return receive(group, consumer, max, wait);
    }

    /** The messages of {@code group} that reached the maximum number of deliveries, oldest first. */
    List<TransportMessage> deadLetters(String group);

    /**
     * Whether this transport can tell a group's {@link #lag}: false by default. A metrics binder
     * registers lag gauges only for transports that say true.
     */
    default boolean reportsLag() {
        return false;
    }

    /**
     * How far {@code group} is behind: messages not yet handed to it, and messages handed out and
     * not acknowledged. This asks the broker (a round trip for a remote one): call it every few
     * seconds, not per message. The default is empty: the transport cannot tell
     * ({@link #reportsLag()} is false).
     *
     * @return the lag, or empty if the transport cannot tell, the group does not exist yet, or the
     *         broker cannot tell now (Redis before 7, or after entries were deleted)
     * @throws TransportException if the transport is closed or the broker fails
     */
    default Optional<GroupLag> lag(String group) {
        return Optional.empty();
    }

    /** Closes the transport; idempotent. */
    @Override
    void close();
}
