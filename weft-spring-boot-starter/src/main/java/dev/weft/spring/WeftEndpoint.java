package dev.weft.spring;

import dev.weft.events.DeadLetter;
import dev.weft.events.EventBus;
import dev.weft.events.transport.Transport;
import dev.weft.redis.DeadLetterEntry;
import dev.weft.redis.RedisStreamsTransport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.util.ClassUtils;

/**
 * The {@code weft} actuator endpoint ({@code /actuator/weft}, docs/SPRING.md):
 * <ul>
 *   <li>{@code GET /actuator/weft}: the bus's statistics (per handler too), the worker's, the
 *   per-request loaders' totals, the transport with its stream, groups and lag;</li>
 *   <li>{@code GET /actuator/weft/dead-letters}: the bus's dead letters and the transport's;</li>
 *   <li>{@code POST /actuator/weft/dead-letters} with {@code {"id": "..."}}: replays one of the
 *   bus's dead letters; without an id, all of them; with {@code {"group": "..."}}, the transport's
 *   dead letters of that group go back to the stream;</li>
 *   <li>{@code POST /actuator/weft/handlers/{name}} with {@code {"enabled": false}}: a handler's switch.</li>
 * </ul>
 * Only what the application exposes is reachable ({@code management.endpoints.web.exposure.include}).
 */
@Endpoint(id = "weft")
public class WeftEndpoint {

    private static final boolean REDIS = ClassUtils.isPresent("dev.weft.redis.RedisStreamsTransport", WeftEndpoint.class.getClassLoader());
    private static final int LISTED = 100;

    private final EventBus bus;
    private final @Nullable Transport transport;
    private final @Nullable WeftWorkerLifecycle worker;
    private final LoaderTotals loaders;

    /** The endpoint over these parts; a missing transport or worker is shown as absent. */
    public WeftEndpoint(EventBus bus, @Nullable Transport transport, @Nullable WeftWorkerLifecycle worker, LoaderTotals loaders) {
        this.bus = bus;
        this.transport = transport;
        this.worker = worker;
        this.loaders = loaders;
    }

    /** Everything at once. */
    @ReadOperation
    public Map<String, Object> weft() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bus", bus.statistics());
        out.put("worker", worker == null ? null : worker.statistics().orElse(null));
        out.put("loaders", loaders.snapshot());
        out.put("transport", transport());
        return out;
    }

    private @Nullable Map<String, Object> transport() {
        if (transport == null) return null;
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", transport.name());
        if (REDIS && transport instanceof RedisStreamsTransport redis) {
            try {
                t.put("stream", redis.info());
            } catch (RuntimeException e) {
                t.put("error", e.getMessage());
            }
        }
        return t;
    }

    /** {@code dead-letters}: the bus's and the transport's dead letters (the first hundred of each). */
    @ReadOperation
    public Map<String, Object> part(@Selector String part) {
        requireDeadLetters(part);
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> local = new ArrayList<>();
        for (DeadLetter d : bus.deadLetters()) {
            if (local.size() == LISTED) break;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", d.id().toString());
            m.put("handler", d.handler());
            m.put("event", d.event().name());
            m.put("eventId", d.event().id().toString());
            m.put("attempts", d.attempts());
            m.put("time", d.time().toString());
            m.put("error", String.valueOf(d.error()));
            local.add(m);
        }
        out.put("bus", local);
        if (REDIS && transport instanceof RedisStreamsTransport redis && worker != null) {
            List<Map<String, Object>> remote = new ArrayList<>();
            try {
                for (DeadLetterEntry e : redis.deadLetterEntries(worker.group(), LISTED)) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", e.deadLetterId());
                    m.put("event", e.message().name());
                    m.put("eventId", e.message().id());
                    m.put("group", e.group());
                    m.put("deliveries", e.deliveries());
                    m.put("error", e.error());
                    remote.add(m);
                }
                out.put("transport", remote);
            } catch (RuntimeException e) {
                out.put("transport", Map.of("error", String.valueOf(e.getMessage())));
            }
        }
        return out;
    }

    /** {@code dead-letters}: replays the bus's dead letter {@code id}, or all of them; or, with {@code group}, the transport's of that group. */
    @WriteOperation
    public Map<String, Object> replay(@Selector String part, @Nullable String id, @Nullable String group) {
        requireDeadLetters(part);
        if (group != null) {
            if (!(REDIS && transport instanceof RedisStreamsTransport redis)) {
                throw new IllegalArgumentException("there is no Redis Streams transport whose dead letters could be replayed");
            }
            int n = redis.replayDeadLetters(group, Integer.MAX_VALUE, done -> { });
            return Map.of("replayed", n, "source", "transport", "group", group);
        }
        if (id != null) {
            bus.replay(UUID.fromString(id));
            return Map.of("replayed", 1, "source", "bus", "id", id);
        }
        return Map.of("replayed", bus.replayAll(), "source", "bus");
    }

    /** {@code handlers/{name}}: switches a bus handler on or off. */
    @WriteOperation
    public Map<String, Object> handler(@Selector String part, @Selector String name, boolean enabled) {
        if (!part.equals("handlers")) throw new IllegalArgumentException("no such part: " + part + " (write to handlers/{name})");
        if (enabled) bus.enable(name);
        else bus.disable(name);
        return Map.of("handler", name, "enabled", bus.isEnabled(name));
    }

    private static void requireDeadLetters(String part) {
        if (!part.equals("dead-letters")) throw new IllegalArgumentException("no such part: " + part + " (try dead-letters)");
    }
}
