package dev.weft.kafka;

import dev.weft.events.transport.TransportMessage;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The Kafka record layout of a Weft event and of a dead letter (docs/WIRE.md, "Weft events on a
 * Kafka topic"): the envelope's JSON as the value, the event key as the record key, the event's id
 * and name in headers, and in a dead letter the group, consumer, original position, delivery count
 * and error in headers too.
 */
final class Records {
    static final String VERSION = "weft.v";
    static final String ID = "weft.id";
    static final String NAME = "weft.name";
    static final String GROUP = "weft.group";
    static final String CONSUMER = "weft.consumer";
    static final String TOPIC = "weft.topic";
    static final String PARTITION = "weft.partition";
    static final String OFFSET = "weft.offset";
    static final String DELIVERIES = "weft.deliveries";
    static final String ERROR = "weft.error";
    /** Set on a dead letter that was published again by {@code replayDeadLetters}: the offset it replays. */
    static final String REPLAYS = "weft.replays";
    /** Headers of a record that was not a Weft event are kept in its dead letter under this prefix. */
    static final String RAW = "raw.";
    /** The longest error text kept in a dead letter's header, in characters. */
    static final int MAX_ERROR_CHARS = 8_000;

    private Records() {}

    /** Why a record cannot be a Weft event. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String why) {
            super(why, null, false, false);
        }
    }

    static ProducerRecord<byte[], byte[]> event(String topic, byte[] key, TransportMessage m) {
        Headers h = new RecordHeaders();
        h.add(VERSION, bytes("1"));
        h.add(ID, bytes(m.id()));
        h.add(NAME, bytes(m.name()));
        return new ProducerRecord<>(topic, null, key, m.body(), h);
    }

    /** The event a record carries, or why it carries none. */
    static TransportMessage message(ConsumerRecord<byte[], byte[]> r, int maxPayloadBytes) throws Malformed {
        return message(r.headers(), r.value(), maxPayloadBytes);
    }

    static TransportMessage message(Headers h, byte[] value, int maxPayloadBytes) throws Malformed {
        String v = header(h, VERSION);
        if (v != null && !v.equals("1")) throw new Malformed("record layout version " + v + " is not 1 (docs/WIRE.md)");
        String id = header(h, ID), name = header(h, NAME);
        if (id == null || name == null) {
            throw new Malformed("not a Weft event: a record needs the headers " + ID + " and " + NAME + " (docs/WIRE.md)");
        }
        if (value == null) throw new Malformed("not a Weft event: the record has no value (a tombstone)");
        if (value.length > maxPayloadBytes) {
            throw new Malformed("the body is " + value.length + " bytes, over the limit of " + maxPayloadBytes + " bytes");
        }
        return new TransportMessage(id, name, value);
    }

    /** A dead letter of {@code r}: its key and value, its Weft headers, or its own headers as {@code raw.*}, and why. */
    static ProducerRecord<byte[], byte[]> deadLetter(String deadTopic, ConsumerRecord<byte[], byte[]> r, boolean weft, String group,
                                                     String consumer, int deliveries, String error) {
        Headers h = new RecordHeaders();
        if (weft) {
            h.add(VERSION, bytes("1"));
            h.add(ID, r.headers().lastHeader(ID).value());
            h.add(NAME, r.headers().lastHeader(NAME).value());
        } else {
            for (Header x : r.headers()) h.add(RAW + x.key(), x.value());
        }
        h.add(GROUP, bytes(group));
        h.add(CONSUMER, bytes(consumer));
        h.add(TOPIC, bytes(r.topic()));
        h.add(PARTITION, bytes(Integer.toString(r.partition())));
        h.add(OFFSET, bytes(Long.toString(r.offset())));
        h.add(DELIVERIES, bytes(Integer.toString(deliveries)));
        h.add(ERROR, bytes(error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) + "..." : error));
        return new ProducerRecord<>(deadTopic, null, r.key(), r.value(), h);
    }

    static String header(Headers h, String key) {
        Header x = h.lastHeader(key);
        return x == null || x.value() == null ? null : new String(x.value(), StandardCharsets.UTF_8);
    }

    static Map<String, String> raw(Headers h) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Header x : h) {
            if (x.key().startsWith(RAW)) out.put(x.key().substring(RAW.length()), x.value() == null ? "" : new String(x.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
