package dev.weft.events.jackson;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.FakeClock;
import dev.weft.RetryPolicy;
import dev.weft.Scope;
import dev.weft.events.EventName;
import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.worker.Worker;
import dev.weft.test.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** ADR 0042: a Worker with a dead-letter store parks what its handlers gave up on there, and acknowledges it. */
class WorkerDeadLettersTest {
    @EventName("parcel.shipped")
    public record ParcelShipped(String parcel) {}

    final JacksonEventCodec codec = new JacksonEventCodec();
    final FakeClock clock = new FakeClock();

    TransportMessage event(ParcelShipped p) {
        UUID id = UUID.randomUUID();
        return new TransportMessage(id.toString(), "parcel.shipped", codec.encode(new Envelope<>(id, "parcel.shipped", Instant.EPOCH, Map.of(), p)));
    }

    static void run(Worker w, BooleanSupplier done) throws Exception {
        Scope.run(scope -> {
            scope.fork(() -> {
                w.run();
                return null;
            });
            Poll.until(done);
            w.shutdown(Duration.ofSeconds(5));
            return null;
        });
    }

    @Test
    void aWorkerParksWhatItsHandlersGaveUpOnInItsStore_asWorkerGroup_andAcknowledgesIt() throws Exception {
        InMemoryTransport t = InMemoryTransport.builder().maxDeliveries(5).redeliverAfter(Duration.ofSeconds(30)).clock(clock).build();
        EncodedDeadLetterStore store = EncodedDeadLetterStore.inMemory();
        Worker w = Worker.builder(t, codec).group("mailers").consumer("w1").pollWait(Duration.ofMillis(20)).retry(RetryPolicy.none())
                .deadLetters(store)
                .on(ParcelShipped.class, p -> {
                    if (p.parcel().equals("bad")) throw new IllegalStateException("smtp refused");
                }).build();
        TransportMessage bad = event(new ParcelShipped("bad"));
        t.publish(event(new ParcelShipped("good")));
        t.publish(bad);
        t.publish(new TransportMessage(UUID.randomUUID().toString(), "parcel.shipped", "not json".getBytes()));
        run(w, () -> store.count(null) == 1 && w.statistics().handled() == 1 && t.deadLetters("mailers").size() == 1);

        EncodedDeadLetter letter = store.list(null, 10).get(0);
        assertThat(letter.handler()).isEqualTo("worker:mailers");
        assertThat(letter.message()).isEqualTo(bad);
        assertThat(letter.attempts()).isEqualTo(1);
        assertThat(letter.errorSummary()).isEqualTo("failed 1 try in worker w1: IllegalStateException: smtp refused");
        assertThat(letter.error()).contains("IllegalStateException: smtp refused");
        assertThat(w.statistics().rejected()).isEqualTo(1);
        // Acknowledged: the transport neither redelivers it nor dead-letters it; only the undecodable entry is there.
        clock.advance(Duration.ofMinutes(1));
        assertThat(t.receive("mailers", "w2", 10, Duration.ZERO)).isEmpty();
        assertThat(t.deadLetters("mailers")).hasSize(1).noneMatch(m -> m.equals(bad));
    }

    @Test
    void whenTheStoreCannotKeepTheLetterTheDeliveryIsRejected_soTheTransportKeepsIt() throws Exception {
        InMemoryTransport t = InMemoryTransport.builder().maxDeliveries(1).build();
        EncodedDeadLetterStore broken = new EncodedDeadLetterStore() {
            @Override public String name() { return "broken"; }
            @Override public void add(EncodedDeadLetter letter) { throw new IllegalStateException("database down"); }
            @Override public List<EncodedDeadLetter> list(String handler, int limit) { return List.of(); }
            @Override public Optional<EncodedDeadLetter> find(UUID id) { return Optional.empty(); }
            @Override public Optional<EncodedDeadLetter> remove(UUID id) { return Optional.empty(); }
            @Override public int purge(String handler) { return 0; }
            @Override public long count(String handler) { return 0; }
        };
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(20)).retry(RetryPolicy.none())
                .deadLetters(broken)
                .on(ParcelShipped.class, p -> {
                    throw new IllegalStateException("smtp refused");
                }).build();
        TransportMessage m = event(new ParcelShipped("p"));
        t.publish(m);
        run(w, () -> t.deadLetters("g").size() == 1);
        assertThat(t.deadLetters("g")).containsExactly(m);
    }
}
