package dev.weft.redis;

import dev.weft.test.Poll;
import dev.weft.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.Scope;
import dev.weft.events.transport.Envelope;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.EventType;
import dev.weft.events.HandlerMode;
import dev.weft.events.jackson.JacksonEventCodec;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** docs/WIRE.md: another program can read what Weft writes to a stream, and write what Weft reads. */
class WireFormatOnRedisTest {
    @EventName("sighting.reported")
    public record SightingReported(String species, int count) {}

    static RedisServer redis;
    static RedisClient client;
    static StatefulRedisConnection<String, String> admin;
    static RedisCommands<String, String> r;
    String stream;
    RedisStreamsTransport transport;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        client = RedisClient.create(redis.uri());
        admin = client.connect();
        r = admin.sync();
    }

    @AfterAll
    static void stopRedis() {
        if (admin != null) admin.close();
        if (client != null) client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (redis != null) redis.close();
    }

    @BeforeEach
    void create() {
        stream = "wire:" + UUID.randomUUID();
        transport = RedisStreamsTransport.builder(redis.uri()).stream(stream).maxDeliveries(2).build();
    }

    @AfterEach
    void close() {
        transport.close();
    }

    @Test
    void r1_anEventWrittenByWeftReadsWithPlainRedisCommands() throws Exception {
        EventBus bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec()).transport(transport).build();
        Scope.builder().bind(EventBus.TRACE, Map.of("traceparent", "00-abc-def-01")).run(scope -> {
            bus.emit(new SightingReported("kestrel", 2));
            return null;
        });
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        List<StreamMessage<String, String>> entries = r.xrange(stream, io.lettuce.core.Range.create("-", "+"));
        assertThat(entries).hasSize(1);
        Map<String, String> f = entries.get(0).getBody();
        assertThat(f).containsOnlyKeys("v", "id", "name", "body");
        assertThat(f.get("v")).isEqualTo("1");
        assertThat(f.get("name")).isEqualTo("sighting.reported");
        UUID.fromString(f.get("id"));
        JsonNode body = new ObjectMapper().readTree(f.get("body"));
        assertThat(body.get("name").asText()).isEqualTo("sighting.reported");
        assertThat(body.get("id").asText()).isEqualTo(f.get("id"));
        assertThat(java.time.Instant.parse(body.get("time").asText())).isNotNull();
        assertThat(body.get("trace").get("traceparent").asText()).isEqualTo("00-abc-def-01");
        assertThat(body.get("payload").get("species").asText()).isEqualTo("kestrel");
        assertThat(body.get("payload").get("count").asInt()).isEqualTo(2);
    }

    @Test
    void r1_anEntryWrittenWithAPlainXaddIsConsumedAndAcknowledged() throws Exception {
        String id = UUID.randomUUID().toString();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("v", "1");
        fields.put("id", id);
        fields.put("name", "sighting.reported");
        fields.put("body", "{\"name\":\"sighting.reported\",\"id\":\"" + id + "\",\"time\":\"2026-11-22T10:15:30Z\",\"trace\":{\"correlation-id\":\"py-1\"},"
                + "\"payload\":{\"species\":\"heron\",\"count\":3}}");
        r.xadd(stream, fields);

        List<Envelope<?>> got = new CopyOnWriteArrayList<>();
        CountDownLatch handled = new CountDownLatch(1);
        EventBus consumer = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec()).defaultHandlerMode(HandlerMode.SYNC).build();
        consumer.subscribe("*", e -> {
            got.add(e);
            handled.countDown();
        });
        Scope.run(scope -> {
            scope.forkBackground(() -> consumer.consume(transport, "workers", "py-compat"));
            assertThat(handled.await(20, TimeUnit.SECONDS)).isTrue();
            // The consumer acknowledges after the handler returned: wait for Redis to say so.
            Poll.until(() -> Admin.pending(r, stream, "workers") == 0);
            return null;
        });
        assertThat(got).singleElement().satisfies(e -> {
            assertThat(e.id()).hasToString(id);
            assertThat(e.payload()).isEqualTo(new SightingReported("heron", 3));
            assertThat(e.trace()).containsEntry("correlation-id", "py-1");
        });
        assertThat(Admin.pending(r, stream, "workers")).isZero(); // acknowledged
    }

    @Test
    void r4_entriesWithUnknownNamesBadJsonOrInvalidPayloadsEndInTheDeadLettersWithTheReason() throws Exception {
        EventBus consumer = EventBus.builder()
                .declare(EventType.of(SightingReported.class).validatedBy(s -> s.count() < 0 ? "count must not be negative" : null))
                .codec(new JacksonEventCodec()).defaultHandlerMode(HandlerMode.SYNC).build();
        String ok = UUID.randomUUID().toString();
        xadd("sighting.reported", "not json at all");
        xadd("unknown.event", envelope("unknown.event", UUID.randomUUID().toString(), "{}"));
        xadd("sighting.reported", envelope("sighting.reported", UUID.randomUUID().toString(), "{\"species\":\"owl\",\"count\":-1}"));
        r.xadd(stream, Map.of("id", ok, "name", "sighting.reported")); // no body: not a Weft entry
        Scope.run(scope -> {
            scope.forkBackground(() -> consumer.consume(transport, "workers", "c1"));
            // The consumer rejects what it cannot use; nothing else to wait on but the stream's state.
            // A dead letter is written before its XACK: wait for both.
            Poll.until(() -> transport.deadLetterEntries("workers", 10).size() == 4 && Admin.pending(r, stream, "workers") == 0);
            return null;
        });
        List<String> errors = transport.deadLetterEntries("workers", 10).stream().map(DeadLetterEntry::error).toList();
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("not JSON"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("'unknown.event' is not declared"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("count must not be negative"));
        assertThat(errors).anySatisfy(e -> assertThat(e).contains("not a Weft entry"));
        assertThat(Admin.pending(r, stream, "workers")).isZero();
    }

    private void xadd(String name, String body) {
        r.xadd(stream, Map.of("v", "1", "id", UUID.randomUUID().toString(), "name", name, "body", body));
    }

    private static String envelope(String name, String id, String payload) {
        return "{\"name\":\"" + name + "\",\"id\":\"" + id + "\",\"time\":\"2026-11-22T10:15:30Z\",\"trace\":{},\"payload\":" + payload + "}";
    }
}
