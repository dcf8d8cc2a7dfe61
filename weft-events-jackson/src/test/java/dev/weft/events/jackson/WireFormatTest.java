package dev.weft.events.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.ExceptionGroup;
import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.events.DeadLetter;
import dev.weft.events.transport.Envelope;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.HandlerMode;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.RetryPolicy;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.transport.Delivery;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** E8: events on the wire are JSON with name, id, time, trace and payload; transports get them after the scope succeeds. */
class WireFormatTest {

    @EventName("sighting.reported")
    public record SightingReported(String species, int count, List<String> tags) {}

    private final JacksonEventCodec codec = new JacksonEventCodec();
    private final Map<String, Class<? extends Record>> names = Map.of("sighting.reported", SightingReported.class);

    @Test
    void e8_theWireFormIsJsonWithNameIdTimeTraceAndPayload() throws Exception {
        UUID id = UUID.randomUUID();
        Envelope<SightingReported> e = new Envelope<>(id, "sighting.reported", Instant.parse("2026-11-22T10:15:30.123Z"),
                Map.of("traceparent", "00-abc-def-01"), new SightingReported("kestrel", 2, List.of("urban")));
        byte[] bytes = codec.encode(e);
        JsonNode json = new ObjectMapper().readTree(bytes);
        assertThat(json.get("name").asText()).isEqualTo("sighting.reported");
        assertThat(json.get("id").asText()).isEqualTo(id.toString());
        assertThat(json.get("time").asText()).isEqualTo("2026-11-22T10:15:30.123Z");
        assertThat(json.get("trace").get("traceparent").asText()).isEqualTo("00-abc-def-01");
        assertThat(json.get("payload").get("species").asText()).isEqualTo("kestrel");
        assertThat(json.get("payload").get("count").asInt()).isEqualTo(2);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).doesNotContain("\u00ac\u00ed"); // no Java serialization header
        assertThat(codec.decode(bytes, names::get)).isEqualTo(e);
    }

    @Test
    void e8_badInputIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> codec.decode("nope".getBytes(), names::get)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> codec.decode("{\"name\":\"other\",\"id\":\"x\"}".getBytes(), names::get))
                .hasMessageContaining("'other' is not declared");
        String noPayload = "{\"name\":\"sighting.reported\",\"id\":\"" + UUID.randomUUID() + "\",\"time\":\"2026-01-01T00:00:00Z\"}";
        assertThatThrownBy(() -> codec.decode(noPayload.getBytes(), names::get)).hasMessageContaining("no payload");
        String badPayload = "{\"name\":\"sighting.reported\",\"id\":\"" + UUID.randomUUID()
                + "\",\"time\":\"2026-01-01T00:00:00Z\",\"payload\":{\"count\":\"many\"}}";
        assertThatThrownBy(() -> codec.decode(badPayload.getBytes(), names::get)).hasMessageContaining("does not fit SightingReported");
    }

    @Test
    void e8_idsAreUniqueAndTimesComeFromTheBusClock() {
        FakeClock clock = new FakeClock(Instant.parse("2026-11-22T00:00:00Z"));
        EventBus bus = EventBus.builder().declare(SightingReported.class).clock(clock).defaultHandlerMode(HandlerMode.SYNC).build();
        List<Envelope<?>> seen = new CopyOnWriteArrayList<>();
        bus.subscribe("*", seen::add);
        for (int i = 0; i < 10_000; i++) bus.emit(new SightingReported("x", i, List.of()));
        Set<UUID> ids = new HashSet<>();
        for (Envelope<?> e : seen) ids.add(e.id());
        assertThat(ids).hasSize(10_000);
        assertThat(seen.get(0).time()).isEqualTo(Instant.parse("2026-11-22T00:00:00Z"));
    }

    @Test
    void e8_eventsGoToTheTransportOnlyAfterTheirScopeSucceeded_andAConsumerDispatchesThemWithTheSameId() throws Exception {
        InMemoryTransport transport = InMemoryTransport.create();
        EventBus producer = EventBus.builder().declare(SightingReported.class).codec(codec).transport(transport).build();
        assertThatThrownBy(() -> Scope.run(scope -> {
            producer.emit(new SightingReported("lost", 1, List.of()));
            throw new IllegalStateException("request failed");
        })).isInstanceOf(ExceptionGroup.class);
        List<Envelope<?>> sentLocally = new CopyOnWriteArrayList<>();
        producer.handler("local").sync().onPattern("*", sentLocally::add);
        Scope.builder().bind(EventBus.TRACE, Map.of("correlation-id", "r-7")).run(scope -> {
            producer.emit(new SightingReported("kestrel", 2, List.of("a")));
            return null;
        });
        assertThat(producer.awaitIdle(Duration.ofSeconds(20))).isTrue();
        assertThat(transport.size()).isEqualTo(1);
        Envelope<?> sent = sentLocally.get(0);

        List<Envelope<?>> received = new CopyOnWriteArrayList<>();
        EventBus consumer = EventBus.builder().declare(SightingReported.class).codec(codec)
                .defaultHandlerMode(HandlerMode.SYNC).build();
        consumer.handler("local").onPattern("*", received::add);
        Scope.run(scope -> {
            scope.forkBackground(() -> consumer.consume(transport, "workers", "c1"));
            dev.weft.events.jackson.Support.spinUntil("the event to arrive", () -> received.size() == 1);
            return null;
        });
        assertThat(received).singleElement().satisfies(e -> {
            assertThat(e.id()).isEqualTo(sent.id());
            assertThat(e.payload()).isEqualTo(new SightingReported("kestrel", 2, List.of("a")));
            assertThat(e.trace()).containsEntry("correlation-id", "r-7");
        });
        // Acknowledged: nothing is handed out again.
        assertThat(transport.receive("workers", "c2", 10, Duration.ZERO)).isEmpty();
    }

    @Test
    void e8_aConsumerSkipsDuplicatesAndRejectsWhatItCannotDecode() throws Exception {
        InMemoryTransport transport = InMemoryTransport.builder().maxDeliveries(2).build();
        Envelope<SightingReported> e = new Envelope<>(UUID.randomUUID(), "sighting.reported", Instant.EPOCH, Map.of(),
                new SightingReported("owl", 1, List.of()));
        TransportMessage m = new TransportMessage(e.id().toString(), e.name(), codec.encode(e));
        transport.publish(m);
        transport.publish(m); // published twice (a retried publish): handled once
        transport.publish(new TransportMessage(UUID.randomUUID().toString(), "sighting.reported", "garbage".getBytes()));
        List<Object> received = new CopyOnWriteArrayList<>();
        EventBus consumer = EventBus.builder().declare(SightingReported.class).codec(codec).defaultHandlerMode(HandlerMode.SYNC).build();
        consumer.subscribe(SightingReported.class, received::add);
        Scope.run(scope -> {
            scope.forkBackground(() -> consumer.consume(transport, "g", "c1"));
            Support.spinUntil("the garbage to be dead-lettered", () -> transport.deadLetters("g").size() == 1);
            return null;
        });
        assertThat(received).containsExactly(new SightingReported("owl", 1, List.of()));
        assertThat(new String(transport.deadLetters("g").get(0).body())).isEqualTo("garbage");
    }

    /** A deliberately awkward transport: its first publishes fail, as a broker that is down would. */
    static final class FlakyTransport implements Transport {
        final InMemoryTransport inner = InMemoryTransport.create();
        final AtomicInteger failuresLeft;

        FlakyTransport(int failures) {
            failuresLeft = new AtomicInteger(failures);
        }

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public void publish(TransportMessage message) {
            if (failuresLeft.getAndDecrement() > 0) throw new TransportException("broker unavailable");
            inner.publish(message);
        }

        @Override
        public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
            return inner.receive(group, consumer, max, wait);
        }

        @Override
        public List<TransportMessage> deadLetters(String group) {
            return inner.deadLetters(group);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void e8_aFailingPublishIsRetriedWithBackoffThenDeadLettered() throws Exception {
        FakeClock clock = new FakeClock();
        FlakyTransport flaky = new FlakyTransport(1);
        EventBus bus = EventBus.builder().declare(SightingReported.class).codec(codec).clock(clock)
                .transport(flaky, "*", RetryPolicy.exponential(2, Duration.ofSeconds(1), Duration.ofSeconds(1))).build();
        bus.emit(new SightingReported("a", 1, List.of()));
        clock.awaitTimers(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();
        assertThat(flaky.inner.size()).isEqualTo(1); // the retry got through

        FlakyTransport down = new FlakyTransport(100);
        EventBus bus2 = EventBus.builder().declare(SightingReported.class).codec(codec).clock(clock)
                .transport(down, "*", RetryPolicy.exponential(2, Duration.ofSeconds(1), Duration.ofSeconds(1))).build();
        bus2.emit(new SightingReported("b", 1, List.of()));
        clock.awaitTimers(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(bus2.awaitIdle(Duration.ofSeconds(20))).isTrue();
        assertThat(bus2.deadLetters()).singleElement().satisfies((DeadLetter d) -> {
            assertThat(d.handler()).isEqualTo("transport:flaky");
            assertThat(d.error()).hasMessage("broker unavailable");
        });
    }

    /** A payload plain Jackson cannot write: java.time needs the jsr310 module. */
    @EventName("sighting.timed")
    public record TimedSighting(String species, Instant seenAt) {}

    @Test
    void e3_aPayloadTheCodecCannotWriteFailsAtEmitNamingTheProblem_andNothingOfTheRequestIsSent() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        EventBus bus = EventBus.builder().declare(SightingReported.class).declare(TimedSighting.class)
                .codec(codec).transport(t).build();
        List<Object> local = new CopyOnWriteArrayList<>();
        bus.handler("local").sync().onPattern("*", e -> local.add(e.payload()));

        Throwable failed = org.assertj.core.api.Assertions.catchThrowable(() -> EventBus.unitOfWork("request").run(scope -> {
            bus.emit(new SightingReported("kestrel", 2, List.of()));
            bus.emit(new TimedSighting("owl", Instant.parse("2026-11-22T10:15:30Z"))); // throws here, at the call
            return null;
        }));
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(failed).isInstanceOf(ExceptionGroup.class);
        Throwable refused = ((ExceptionGroup) failed).single();
        assertThat(refused).isInstanceOf(dev.weft.events.EventRejectedException.class)
                .hasMessageStartingWith("event 'sighting.timed' (TimedSighting) cannot be encoded for transport 'in-memory' by the bus's codec"
                        + " (JacksonEventCodec): cannot encode event 'sighting.timed' ")
                .hasMessageContaining("jackson-datatype-jsr310")
                .hasMessageContaining("nothing of it was held or sent");
        assertThat(((dev.weft.events.EventRejectedException) refused).reason())
                .isEqualTo(dev.weft.events.EventRejectedException.Reason.UNENCODABLE);
        assertThat(t.size()).isZero(); // the request failed: its kestrel was not sent either
        assertThat(local).isEmpty();
        assertThat(bus.deadLetters()).isEmpty();
        assertThat(bus.statistics().rejected()).isEqualTo(1);
        assertThat(bus.statistics().discardedByFailedScopes()).isEqualTo(1);
    }
}
