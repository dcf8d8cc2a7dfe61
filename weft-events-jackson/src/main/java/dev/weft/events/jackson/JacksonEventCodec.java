package dev.weft.events.jackson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.EventCodec;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * The JSON wire format of weft-events (rule E8), through Jackson:
 *
 * <pre>{@code
 * {"name":"sighting.reported","id":"5f0c...","time":"2026-11-22T10:15:30.123Z",
 *  "trace":{"traceparent":"00-...","correlation-id":"r-42"},
 *  "payload":{"species":"kestrel","count":2}}
 * }</pre>
 *
 * <p>The payload is the record's components, written and read by the given {@link ObjectMapper}
 * (records are supported by Jackson 2.12+; register modules such as {@code jackson-datatype-jsr310}
 * on the mapper if payloads hold {@code java.time} values). Unknown envelope fields are ignored,
 * so producers can add fields; unknown payload fields fail unless the mapper is told otherwise.
 * Thread-safe.
 *
 * <pre>{@code
 * EventBus bus = EventBus.builder().declare(...).codec(new JacksonEventCodec()).transport(t).build();
 * }</pre>
 */
public final class JacksonEventCodec implements EventCodec {

    private final ObjectMapper mapper;

    /** A codec with a plain {@link ObjectMapper}. */
    public JacksonEventCodec() {
        this(new ObjectMapper());
    }

    /** A codec with your mapper (for its modules and settings); the mapper must not change afterwards. */
    public JacksonEventCodec(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    @Override
    public byte[] encode(Envelope<?> e) {
        ObjectNode root = mapper.createObjectNode();
        root.put("name", e.name());
        root.put("id", e.id().toString());
        root.put("time", e.time().toString());
        ObjectNode trace = root.putObject("trace");
        e.trace().forEach(trace::put);
        try {
            root.set("payload", mapper.valueToTree(e.payload()));
            return mapper.writeValueAsBytes(root);
        } catch (IllegalArgumentException | JsonProcessingException bad) {
            throw new IllegalArgumentException("cannot encode event '" + e.name() + "' " + e.id() + " as JSON: " + bad.getMessage(), bad);
        }
    }

    @Override
    public Envelope<?> decode(byte[] bytes, Function<String, Class<? extends Record>> typeOf) {
        Objects.requireNonNull(bytes, "bytes");
        JsonNode root;
        try {
            root = mapper.readTree(bytes);
        } catch (IOException bad) {
            throw new IllegalArgumentException("not JSON: " + bad.getMessage(), bad);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("an event must be a JSON object, got: " + abbreviate(bytes));
        String name = text(root, "name");
        Class<? extends Record> type = typeOf.apply(name);
        if (type == null) throw new IllegalArgumentException("event name '" + name + "' is not declared on this bus");
        UUID id;
        Instant time;
        try {
            id = UUID.fromString(text(root, "id"));
            time = Instant.parse(text(root, "time"));
        } catch (IllegalArgumentException | DateTimeParseException bad) {
            throw new IllegalArgumentException("event '" + name + "' has a bad id or time: " + bad.getMessage(), bad);
        }
        Map<String, String> trace = new LinkedHashMap<>();
        JsonNode t = root.get("trace");
        if (t != null && !t.isNull()) {
            if (!t.isObject()) throw new IllegalArgumentException("event '" + name + "': trace must be an object of strings");
            t.properties().forEach(en -> trace.put(en.getKey(), en.getValue().asText()));
        }
        JsonNode payload = root.get("payload");
        if (payload == null || !payload.isObject()) throw new IllegalArgumentException("event '" + name + "' has no payload object");
        Record value;
        try {
            value = mapper.treeToValue(payload, type);
        } catch (JsonProcessingException | IllegalArgumentException bad) {
            throw new IllegalArgumentException("event '" + name + "': payload does not fit " + type.getSimpleName() + ": " + bad.getMessage(), bad);
        }
        return new Envelope<>(id, name, time, trace, value);
    }

    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.isTextual()) throw new IllegalArgumentException("event JSON has no text field '" + field + "'");
        return n.asText();
    }

    private static String abbreviate(byte[] bytes) {
        String s = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
