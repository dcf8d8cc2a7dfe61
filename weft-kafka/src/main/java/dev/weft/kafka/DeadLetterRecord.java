package dev.weft.kafka;

import dev.weft.events.transport.TransportMessage;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record of a dead-letter topic ({@code <topic>.dead}): the event (null when the original
 * record was not a Weft event; its headers are then in {@code raw}), the consumer group and
 * consumer that gave up on it, where it was, how often it was delivered, and why.
 *
 * @param partition  the dead letter's partition in the dead-letter topic
 * @param offset     the dead letter's offset there
 * @param message    the event, or null for a record that was not a Weft event
 * @param raw        the original record's headers when it was not a Weft event (text), else empty
 * @param group      the consumer group
 * @param consumer   the consumer
 * @param original   the original record's position: {@code topic-partition@offset}
 * @param deliveries how often it was delivered
 * @param error      why it was dead-lettered
 */
public record DeadLetterRecord(int partition, long offset, TransportMessage message, Map<String, String> raw, String group, String consumer,
                               String original, long deliveries, String error) {

    static DeadLetterRecord of(ConsumerRecord<byte[], byte[]> r) {
        TransportMessage m;
        try {
            m = Records.message(r, Integer.MAX_VALUE);
        } catch (Records.Malformed notWeft) {
            m = null;
        }
        long deliveries;
        try {
            deliveries = Long.parseLong(String.valueOf(Records.header(r.headers(), Records.DELIVERIES)));
        } catch (NumberFormatException e) {
            deliveries = 0;
        }
        String original = Records.header(r.headers(), Records.TOPIC) + "-" + Records.header(r.headers(), Records.PARTITION) + "@"
                + Records.header(r.headers(), Records.OFFSET);
        return new DeadLetterRecord(r.partition(), r.offset(), m, Map.copyOf(Records.raw(r.headers())), Records.header(r.headers(), Records.GROUP),
                Records.header(r.headers(), Records.CONSUMER), original, deliveries, Records.header(r.headers(), Records.ERROR));
    }
}
