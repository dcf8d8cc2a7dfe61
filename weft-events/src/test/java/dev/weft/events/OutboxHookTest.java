package dev.weft.events;

import dev.weft.events.transport.Outbox;
import dev.weft.events.transport.TransportMessage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.ContextKey;
import dev.weft.Scope;
import dev.weft.events.DeclaredEventsTest.KeepingTransport;
import dev.weft.events.DeclaredEventsTest.PickyCodec;
import dev.weft.events.Support.NestFound;
import dev.weft.events.Support.Ping;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The SPI hook for a transactional outbox (ADR 0040): events an {@link Outbox} takes are handed to
 * it at the emit call, inside the unit of work; outside one the emit is refused, and the bus's
 * transports never see them. weft-jdbc tests the real outbox against H2 and PostgreSQL.
 */
class OutboxHookTest {

    /** An outbox whose "transaction" is a list bound to the scope. */
    static final class ListOutbox implements Outbox {
        static final ContextKey<List<TransportMessage>> TX = ContextKey.named("test.tx");

        @Override public String name() { return "list"; }

        @Override
        public boolean add(TransportMessage m) {
            List<TransportMessage> tx = TX.find().orElse(null);
            if (tx == null) return false;
            tx.add(m);
            return true;
        }

        @Override public String howToEmit() { return "emit it inside ListOutbox.TX"; }
    }

    @Test
    void e8_anEventTheOutboxTakesIsStoredAtTheEmitCall_andNoTransportSendsIt_whileLocalHandlersRunAfterTheScope() throws Exception {
        KeepingTransport direct = new KeepingTransport();
        List<Object> local = new CopyOnWriteArrayList<>();
        EventBus bus = EventBus.builder().declare(Ping.class).declare(NestFound.class).codec(new PickyCodec())
                .outbox(new ListOutbox(), "ping").transport(direct, "NestFound").build();
        bus.handler("local").sync().on(Ping.class, local::add);
        List<TransportMessage> tx = new CopyOnWriteArrayList<>();
        EventBus.unitOfWork("tx").bind(ListOutbox.TX, tx).run(scope -> {
            bus.emit(new Ping(1));
            assertThat(tx).extracting(TransportMessage::name).containsExactly("ping"); // at the emit call, in the unit of work
            assertThat(local).isEmpty(); // E4: handlers after the scope
            return null;
        });
        Support.idle(bus);
        assertThat(local).containsExactly(new Ping(1));
        assertThat(new String(tx.get(0).body())).isEqualTo("ping:Ping[n=1]");
        assertThat(direct.published).isEmpty();
    }

    @Test
    void e8_anEmitOutsideAUnitOfWorkOfTheOutboxIsRefusedClearly_andNothingIsStoredOrHandled() throws Exception {
        List<Object> local = new CopyOnWriteArrayList<>();
        EventBus bus = EventBus.builder().declare(Ping.class).codec(new PickyCodec()).outbox(new ListOutbox()).build();
        bus.handler("local").sync().on(Ping.class, local::add);
        for (Runnable emit : List.<Runnable>of(() -> bus.emit(new Ping(2)), () -> Scope.run(s -> {
            bus.emit(new Ping(3));
            return null;
        }))) {
            assertThatThrownBy(() -> unwrapped(emit)).isInstanceOfSatisfying(EventRejectedException.class, e -> {
                assertThat(e.reason()).isEqualTo(EventRejectedException.Reason.NO_UNIT_OF_WORK);
                assertThat(e.getMessage()).isEqualTo("event 'ping' not emitted: the bus writes it to outbox 'list', which stores events with the"
                        + " database transaction of a unit of work, and this thread runs in none, so there is nothing to store it with (the bus"
                        + " does not fall back to memory): emit it inside ListOutbox.TX");
            });
        }
        Support.idle(bus);
        assertThat(local).isEmpty();
        assertThat(bus.statistics().rejected()).isEqualTo(2);
    }

    @Test
    void e3_anEventTheCodecCannotEncodeIsRefusedBeforeTheOutboxSeesIt() {
        EventBus bus = EventBus.builder().declare(Ping.class).codec(new PickyCodec()).outbox(new ListOutbox()).build();
        List<TransportMessage> tx = new CopyOnWriteArrayList<>();
        assertThatThrownBy(() -> unwrapped(() -> EventBus.unitOfWork("tx").bind(ListOutbox.TX, tx).run(scope -> {
            bus.emit(new Ping(7));
            return null;
        }))).hasMessageContaining("cannot be encoded for outbox 'list'");
        assertThat(tx).isEmpty();
    }

    /** Runs {@code r}; a scope's one failure comes out as itself. */
    private static void unwrapped(Runnable r) throws Throwable {
        try {
            r.run();
        } catch (dev.weft.ExceptionGroup g) {
            throw g.single();
        }
    }

    @Test
    void anOutboxNeedsACodec_andABusHasOneOutbox() {
        assertThatThrownBy(() -> EventBus.builder().declare(Ping.class).outbox(new ListOutbox()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("an outbox needs a codec");
        assertThatThrownBy(() -> EventBus.builder().outbox(new ListOutbox()).outbox(new ListOutbox()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("one outbox per bus");
    }
}
