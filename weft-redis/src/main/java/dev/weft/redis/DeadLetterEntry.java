package dev.weft.redis;

import dev.weft.events.transport.TransportMessage;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a dead-letter stream ({@code <stream>:dead}): the event (null when the original
 * entry was not a Weft event; its fields are then in {@code raw}), the consumer group and consumer
 * that gave up on it, how often it was delivered, the error, and the original entry's id.
 *
 * @param deadLetterId the dead-letter entry's own id
 * @param message      the event, or null for a malformed entry
 * @param raw          the original entry's fields when it was malformed (text), else empty
 * @param group        the consumer group
 * @param consumer     the consumer
 * @param entryId      the original entry's id in the stream
 * @param deliveries   how often it was delivered
 * @param error        why it was dead-lettered
 */
public record DeadLetterEntry(String deadLetterId, TransportMessage message, Map<String, String> raw, String group, String consumer,
                              String entryId, long deliveries, String error) {

    static DeadLetterEntry of(String deadId, Map<String, byte[]> f) {
        TransportMessage m = null;
        Map<String, String> raw = new LinkedHashMap<>();
        try {
            m = StreamEntries.message(f, Integer.MAX_VALUE);
        } catch (StreamEntries.Malformed notWeft) {
            f.forEach((k, v) -> {
                if (k.startsWith(StreamEntries.RAW)) raw.put(k.substring(StreamEntries.RAW.length()), StreamEntries.text(v));
            });
        }
        long deliveries;
        try {
            deliveries = Long.parseLong(String.valueOf(StreamEntries.text(f.get(StreamEntries.DELIVERIES))));
        } catch (NumberFormatException e) {
            deliveries = 0;
        }
        return new DeadLetterEntry(deadId, m, Map.copyOf(raw), StreamEntries.text(f.get(StreamEntries.GROUP)), StreamEntries.text(f.get(StreamEntries.CONSUMER)),
                StreamEntries.text(f.get(StreamEntries.ENTRY)), deliveries, StreamEntries.text(f.get(StreamEntries.ERROR)));
    }
}
