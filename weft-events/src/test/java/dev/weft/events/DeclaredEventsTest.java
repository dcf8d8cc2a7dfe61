package dev.weft.events;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportMessage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.ExceptionGroup;
import dev.weft.Scope;
import dev.weft.events.Support.NestFound;
import dev.weft.events.Support.OrderPlaced;
import dev.weft.events.Support.Ping;
import dev.weft.events.Support.SightingReported;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** E3: a bus knows its event types; undeclared or invalid events fail at the emit call and nothing is sent. */
class DeclaredEventsTest {

    record HTTPRequestLogged(String path) {}

    record NotAnEvent(String x) {}

    @EventName("Bad Name")
    record BadlyNamed(int x) {}

    private static EventBus bus(List<Object> seen) {
        EventBus bus = EventBus.builder()
                .declare(EventType.of(SightingReported.class)
                        .validatedBy(s -> s.count() > 0 ? null : "count must be positive, got " + s.count()))
                .declare(NestFound.class)
                .defaultHandlerMode(HandlerMode.SYNC)
                .build();
        bus.subscribe("*", e -> seen.add(e.payload()));
        return bus;
    }

    @Test
    void e3_namesComeFromTheAnnotationOrTheTypeOrAreOverridden() {
        assertThat(EventType.of(SightingReported.class).name()).isEqualTo("sighting.reported");
        assertThat(EventType.of(NestFound.class).name()).isEqualTo("nest.found");
        assertThat(EventType.of(HTTPRequestLogged.class).name()).isEqualTo("http.request.logged");
        assertThat(EventType.of(OrderPlaced.class).named("shop.v2.order-placed").name()).isEqualTo("shop.v2.order-placed");
        assertThatThrownBy(() -> EventType.of(BadlyNamed.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Bad Name'").hasMessageContaining("lower-case");
        assertThatThrownBy(() -> EventType.of(OrderPlaced.class).named("x y")).isInstanceOf(IllegalArgumentException.class);
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<Record> notRecord = (Class) String.class;
        assertThatThrownBy(() -> EventType.of(notRecord)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a record");
    }

    @Test
    void e3_anUndeclaredEventFailsAtEmitNamingItAndNothingIsDispatched() {
        List<Object> seen = new CopyOnWriteArrayList<>();
        EventBus bus = bus(seen);
        EventRejectedException e = catchThrowableOfType(EventRejectedException.class, () -> bus.emit(new NotAnEvent("x")));
        assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.UNDECLARED);
        assertThat(e.eventName()).endsWith("NotAnEvent");
        assertThat(e.getMessage()).contains("NotAnEvent").contains("not declared").contains(".declare(NotAnEvent.class)")
                .contains("sighting.reported");
        assertThat(seen).isEmpty();
        assertThat(bus.statistics().rejected()).isEqualTo(1);
        assertThat(bus.statistics().emitted()).isZero();
    }

    @Test
    void e3_anInvalidPayloadFailsAtEmitWithTheProblemAndNothingIsDispatchedOrHeld() {
        List<Object> seen = new CopyOnWriteArrayList<>();
        EventBus bus = bus(seen);
        EventRejectedException bad = catchThrowableOfType(EventRejectedException.class, () -> bus.emit(new SightingReported("kite", 0)));
        assertThat(bad.reason()).isEqualTo(EventRejectedException.Reason.INVALID);
        assertThat(bad.getMessage()).isEqualTo("invalid event 'sighting.reported' (SightingReported): count must be positive, got 0");
        EventRejectedException nul = catchThrowableOfType(EventRejectedException.class, () -> bus.emit(new NestFound(null)));
        assertThat(nul.getMessage()).contains("'nest.found'").contains("species is null");
        // Inside a scope too: thrown at the call, not when the scope ends; the scope goes on.
        Scope.run(scope -> {
            assertThatThrownBy(() -> bus.emit(new SightingReported("kite", -1))).isInstanceOf(EventRejectedException.class);
            return null;
        });
        assertThat(seen).isEmpty();
        assertThat(bus.statistics().heldInScopes()).isZero();
        bus.emit(new SightingReported("kite", 1));
        assertThat(seen).containsExactly(new SightingReported("kite", 1));
    }

    @Test
    void e3_nullsAllowedOnlyWhenDeclaredSo() {
        List<Object> seen = new CopyOnWriteArrayList<>();
        EventBus bus = EventBus.builder().declare(EventType.of(NestFound.class).allowingNulls()).defaultHandlerMode(HandlerMode.SYNC).build();
        bus.subscribe(NestFound.class, seen::add);
        bus.emit(new NestFound(null));
        assertThat(seen).containsExactly(new NestFound(null));
    }

    @Test
    void e3_declarationMistakesAreCaughtWhenTheBusIsBuiltOrTheHandlerRegistered() {
        assertThatThrownBy(() -> EventBus.builder().declare(NestFound.class).declare(EventType.of(OrderPlaced.class).named("nest.found")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("declared twice");
        EventBus bus = EventBus.builder().declare(NestFound.class).build();
        assertThatThrownBy(() -> bus.subscribe(OrderPlaced.class, o -> {}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("would never run");
        bus.handler("audit").onPattern("*", e -> {});
        assertThatThrownBy(() -> bus.handler("audit").onPattern("*", e -> {}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
        assertThatThrownBy(() -> EventBus.builder().transport(InMemoryTransport.create()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("codec");
    }

    @Test
    void e3_aClosedBusRefusesEvents() {
        EventBus bus = EventBus.builder().declare(NestFound.class).build();
        bus.close();
        EventRejectedException e = catchThrowableOfType(EventRejectedException.class, () -> bus.emit(new NestFound("owl")));
        assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.CLOSED);
    }

    // ---------------------------------------------------------------- E3 with transports: encoded at emit

    /** A codec that writes "name:payload", refuses Ping(7), and records the thread of every encode. */
    static final class PickyCodec implements EventCodec {
        final List<Thread> encodedOn = new CopyOnWriteArrayList<>();

        @Override
        public byte[] encode(Envelope<?> e) {
            encodedOn.add(Thread.currentThread());
            if (e.payload() instanceof Ping p && p.n() == 7) throw new IllegalArgumentException("Ping 7 has no wire form");
            return (e.name() + ":" + e.payload()).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Envelope<?> decode(byte[] bytes, Function<String, Class<? extends Record>> typeOf) {
            throw new UnsupportedOperationException("these tests only publish");
        }
    }

    /** A transport that keeps what it was given to publish. */
    static final class KeepingTransport implements Transport {
        final List<String> published = new CopyOnWriteArrayList<>();

        @Override public String name() { return "keeping"; }
        @Override public void publish(TransportMessage m) { published.add(new String(m.body(), StandardCharsets.UTF_8)); }
        @Override public List<Delivery> receive(String group, String consumer, int max, Duration wait) { return List.of(); }
        @Override public List<TransportMessage> deadLetters(String group) { return List.of(); }
        @Override public void close() {}
    }

    private static EventBus transported(PickyCodec codec, KeepingTransport t, List<Object> seen) {
        EventBus bus = EventBus.builder().declare(Ping.class).declare(NestFound.class).codec(codec).transport(t, "ping").build();
        bus.handler("local").sync().onPattern("*", e -> seen.add(e.payload()));
        return bus;
    }

    @Test
    void e3_anEventTheCodecCannotEncodeFailsAtEmitWhenATransportTakesIt_andNothingOfItIsSentOrHandled() throws Exception {
        PickyCodec codec = new PickyCodec();
        KeepingTransport t = new KeepingTransport();
        List<Object> seen = new CopyOnWriteArrayList<>();
        EventBus bus = transported(codec, t, seen);
        bus.emit(new Ping(6));
        EventRejectedException e = catchThrowableOfType(EventRejectedException.class, () -> bus.emit(new Ping(7)));
        bus.emit(new Ping(8));
        Support.idle(bus);

        assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.UNENCODABLE);
        assertThat(e.eventName()).isEqualTo("ping");
        assertThat(e.getMessage()).isEqualTo("event 'ping' (Ping) cannot be encoded for transport 'keeping' by the bus's codec"
                + " (PickyCodec): Ping 7 has no wire form; nothing of it was held or sent."
                + " Make the payload's type one the codec can write (e.g. register a Jackson module for it) or fix the codec");
        assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class).hasMessage("Ping 7 has no wire form");
        assertThat(t.published).containsExactly("ping:Ping[n=6]", "ping:Ping[n=8]");
        assertThat(seen).containsExactly(new Ping(6), new Ping(8)); // the local handler never saw 7 either
        assertThat(bus.deadLetters()).isEmpty(); // refused at the call, not dead-lettered later
        BusStatistics stats = bus.statistics();
        assertThat(stats.rejected()).isEqualTo(1);
        assertThat(stats.emitted()).isEqualTo(2);
        assertThat(stats.queued()).isZero(); // the refused event took no permit, or gave it back
    }

    @Test
    void e3_inAUnitOfWork_theUnencodableEmitThrowsAtTheCall_andNothingOfTheUnitIsSent() throws Exception {
        PickyCodec codec = new PickyCodec();
        KeepingTransport t = new KeepingTransport();
        List<Object> seen = new CopyOnWriteArrayList<>();
        EventBus bus = transported(codec, t, seen);
        AtomicReference<EventRejectedException> atTheCall = new AtomicReference<>();
        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> EventBus.unitOfWork("request").run(scope -> {
            bus.emit(new NestFound("owl"));
            bus.emit(new Ping(1));
            try {
                bus.emit(new Ping(7));
            } catch (EventRejectedException refused) {
                atTheCall.set(refused);
                throw refused; // the request fails, as it would if the caller did not catch it
            }
            bus.emit(new Ping(2)); // never reached
            return null;
        }));
        Support.idle(bus);

        assertThat(atTheCall.get()).isNotNull();
        assertThat(atTheCall.get().reason()).isEqualTo(EventRejectedException.Reason.UNENCODABLE);
        assertThat(g.single()).isSameAs(atTheCall.get());
        assertThat(t.published).isEmpty();
        assertThat(seen).isEmpty();
        assertThat(bus.deadLetters()).isEmpty();
        assertThat(bus.statistics().discardedByFailedScopes()).isEqualTo(2);
        assertThat(bus.statistics().heldInScopes()).isZero();
    }

    @Test
    void e3_anEventATransportTakesIsEncodedOnceOnTheEmittingThread_alsoWhenItsScopeHoldsIt() throws Exception {
        PickyCodec codec = new PickyCodec();
        KeepingTransport t = new KeepingTransport();
        List<Object> seen = new CopyOnWriteArrayList<>();
        EventBus bus = transported(codec, t, seen);
        List<Integer> encodedByEndOfBody = new ArrayList<>();
        EventBus.unitOfWork("request").run(scope -> {
            bus.emit(new Ping(1));
            bus.emit(new Ping(2));
            bus.emit(new NestFound("owl")); // no transport takes nest.found: not encoded
            encodedByEndOfBody.add(codec.encodedOn.size());
            return null;
        });
        Support.idle(bus);
        bus.emit(new Ping(3)); // outside a scope
        Support.idle(bus);

        assertThat(encodedByEndOfBody).containsExactly(2); // at the emit calls, before the scope ended
        assertThat(codec.encodedOn).hasSize(3).containsOnly(Thread.currentThread()); // once each, never again by the outbox
        assertThat(t.published).containsExactly("ping:Ping[n=1]", "ping:Ping[n=2]", "ping:Ping[n=3]");
        assertThat(seen).containsExactly(new Ping(1), new Ping(2), new NestFound("owl"), new Ping(3));
    }

    @Test
    void e3_aBusEncodesOnlyWhatATransportTakes() throws Exception {
        PickyCodec codec = new PickyCodec();
        List<Object> seen = new CopyOnWriteArrayList<>();
        // A codec without transports (it is there for consume): emit never encodes, so Ping 7 is fine locally.
        EventBus local = EventBus.builder().declare(Ping.class).codec(codec).defaultHandlerMode(HandlerMode.SYNC).build();
        local.subscribe(Ping.class, seen::add);
        local.emit(new Ping(7));
        // A transport for other events only.
        KeepingTransport t = new KeepingTransport();
        EventBus other = EventBus.builder().declare(Ping.class).declare(NestFound.class).codec(codec).transport(t, "nest.*").build();
        other.emit(new Ping(7));
        Support.idle(other);

        assertThat(seen).containsExactly(new Ping(7));
        assertThat(codec.encodedOn).isEmpty();
        assertThat(t.published).isEmpty();
    }
}
