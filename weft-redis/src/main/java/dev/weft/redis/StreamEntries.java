package dev.weft.redis;

import dev.weft.events.transport.TransportMessage;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layout of a Weft event as a Redis stream entry (docs/WIRE.md): fields {@code v} (the
 * layout's version, {@code "1"}), {@code id}, {@code name} and {@code body} (the JSON envelope of
 * rule E8), all UTF-8; and the layout of a dead-letter entry, which adds {@code group},
 * {@code consumer}, {@code entry} (the original entry's id), {@code deliveries} and {@code error}.
 */
final class StreamEntries {
    static final String VERSION = "1";
    static final String V = "v", ID = "id", NAME = "name", BODY = "body", KEY = "key";
    static final String GROUP = "group", CONSUMER = "consumer", ENTRY = "entry", DELIVERIES = "deliveries", ERROR = "error", RAW = "raw.";

    private StreamEntries() {}

    static Map<String, byte[]> fields(TransportMessage m) {
        Map<String, byte[]> f = new LinkedHashMap<>(8);
        f.put(V, bytes(VERSION));
        f.put(ID, bytes(m.id()));
        f.put(NAME, bytes(m.name()));
        f.put(BODY, m.body());
        return f;
    }

    /** As {@link #fields(TransportMessage)}, with field {@code key} when {@code key} is not null (partitioned streams). */
    static Map<String, byte[]> fields(TransportMessage m, String key) {
        Map<String, byte[]> f = fields(m);
        if (key != null) f.put(KEY, bytes(key));
        return f;
    }

    /**
     * The message in an entry's fields, or throws {@link Malformed} saying what is wrong with it.
     *
     * @param maxBody the largest body accepted
     */
    static TransportMessage message(Map<String, byte[]> fields, int maxBody) {
        byte[] v = fields.get(V);
        if (v != null && !VERSION.equals(text(v))) throw new Malformed("entry layout version '" + text(v) + "' is not " + VERSION + " (see docs/WIRE.md)");
        byte[] id = fields.get(ID), name = fields.get(NAME), body = fields.get(BODY);
        if (id == null || name == null || body == null) {
            throw new Malformed("not a Weft entry: it needs the fields id, name and body (see docs/WIRE.md), it has " + fields.keySet());
        }
        if (id.length == 0 || name.length == 0) throw new Malformed("not a Weft entry: empty id or name");
        if (body.length > maxBody) throw new Malformed("body of " + body.length + " bytes is over the limit of " + maxBody + " bytes");
        return new TransportMessage(text(id), text(name), body);
    }

    /** The fields of a dead-letter entry for {@code fields} (the original entry's). */
    static Map<String, byte[]> deadLetter(String entryId, Map<String, byte[]> fields, String group, String consumer, long deliveries, String error) {
        Map<String, byte[]> f = new LinkedHashMap<>();
        boolean weft = fields.containsKey(ID) && fields.containsKey(NAME) && fields.containsKey(BODY);
        if (weft) {
            f.put(V, bytes(VERSION));
            f.put(ID, fields.get(ID));
            f.put(NAME, fields.get(NAME));
            f.put(BODY, fields.get(BODY));
        } else {
            // Not ours: keep what it had, under raw.<field>, so an operator can see and replay it.
            fields.forEach((k, val) -> f.put(RAW + k, val));
        }
        f.put(GROUP, bytes(group));
        f.put(CONSUMER, bytes(consumer));
        f.put(ENTRY, bytes(entryId));
        f.put(DELIVERIES, bytes(Long.toString(deliveries)));
        f.put(ERROR, bytes(error));
        return f;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** An entry that is not a Weft event: it goes to the dead letters at once, with this reason. */
    // Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
    // (no serialVersionUID; fields may hold values that do not serialize).
    @SuppressWarnings("serial")
    static final class Malformed extends RuntimeException {
        Malformed(String reason) {
            super(reason, null, false, false);
        }
    }
}
