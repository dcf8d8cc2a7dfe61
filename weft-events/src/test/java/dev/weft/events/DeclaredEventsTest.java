package dev.weft.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.Scope;
import dev.weft.events.Support.NestFound;
import dev.weft.events.Support.OrderPlaced;
import dev.weft.events.Support.SightingReported;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
}
