package dev.weft.events.transport;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * An event as the bus carries it (rule E8): its wire name, a unique id (consumers de-duplicate by
 * it), when it was emitted, the trace / correlation context of the emitter, and the payload.
 * On the wire it is JSON with exactly these fields (see {@link EventCodec}).
 *
 * @param id      unique per event; a redelivered or replayed event keeps its id
 * @param name    the declared name, e.g. {@code "sighting.reported"}
 * @param time    when it was emitted, on the bus's clock
 * @param trace   trace and correlation context, e.g. {@code traceparent}, {@code correlation-id}; never null, often empty
 * @param payload the event itself, a declared record
 * @param <T> the payload's type
 */
public record Envelope<T>(UUID id, String name, Instant time, Map<String, String> trace, T payload) {
    /** @throws NullPointerException if any component is null */
    public Envelope {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(payload, "payload");
        trace = trace == null || trace.isEmpty() ? Map.of() : Map.copyOf(trace);
    }
}
