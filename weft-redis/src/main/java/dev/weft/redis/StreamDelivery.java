package dev.weft.redis;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportMessage;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** One stream entry handed to a consumer; settled once, by XACK or by a reject. */
final class StreamDelivery implements Delivery {
    private final RedisStreamsTransport transport;
    private final String group;
    private final String consumer;
    private final String entryId;
    private final Map<String, byte[]> fields;
    private final TransportMessage message;
    private final int count;
    private final AtomicBoolean settled = new AtomicBoolean();

    StreamDelivery(RedisStreamsTransport transport, String group, String consumer, String entryId, Map<String, byte[]> fields, TransportMessage message, int count) {
        this.transport = transport;
        this.group = group;
        this.consumer = consumer;
        this.entryId = entryId;
        this.fields = fields;
        this.message = message;
        this.count = count;
    }

    @Override
    public TransportMessage message() {
        return message;
    }

    @Override
    public int deliveryCount() {
        return count;
    }

    /** The key of the stream the entry is in (a partition's, for a partitioned transport). */
    String stream() {
        return transport.stream();
    }

    /** The stream entry's id (not the event's). */
    String entryId() {
        return entryId;
    }

    @Override
    public void ack() {
        if (settled.compareAndSet(false, true)) transport.ack(group, entryId, count > 1);
    }

    @Override
    public void reject(String reason) {
        if (settled.compareAndSet(false, true)) transport.reject(group, consumer, entryId, fields, count, reason == null ? "rejected" : reason);
    }

    /** Settles it by moving it to the dead-letter stream now, whatever its count: it can never be handled. */
    @Override
    public void deadLetter(String reason) {
        if (settled.compareAndSet(false, true)) transport.deadLetter(group, consumer, entryId, fields, count, reason);
    }

    @Override
    public String toString() {
        return "Delivery[" + message + ", entry " + entryId + ", #" + count + "]";
    }
}
