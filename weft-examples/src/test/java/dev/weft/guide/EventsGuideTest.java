package dev.weft.guide;

import dev.weft.ExceptionGroup;
import dev.weft.RetryPolicy;
import dev.weft.Scope;
import dev.weft.events.DeadLetter;
import dev.weft.events.Event;
import dev.weft.events.EventBus;
import dev.weft.events.EventRejectedException;
import dev.weft.events.EventType;
import dev.weft.events.Property;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.test.RecordingBus;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The snippets of docs/guide/events.md. */
class EventsGuideTest extends GuideTest {

    // tag::event-record[]
    record SightingReported(String species, int count) {}   // its name on the bus: "sighting.reported"
    // end::event-record[]

    @Test
    void anEventRunsEveryHandlerAndReportsTheFailuresTogether() {
        // tag::event[]
        Event<String> saved = new Event<>("document-saved");
        saved.subscribe("indexer", doc -> System.out.println("indexed " + doc));
        saved.subscribe("backup", doc -> { throw new IllegalStateException("backup disk full"); });
        saved.subscribe("notifier", doc -> System.out.println("told the team about " + doc));
        try {
            saved.fire("report.pdf");             // every handler runs, in subscription order
        } catch (ExceptionGroup failures) {
            System.out.println(failures.getMessage());
        }
        // end::event[]
        assertThat(printed()).hasSize(3).startsWith("indexed report.pdf", "told the team about report.pdf");
        assertThat(printed().get(2)).isEqualTo(
                "1 of 3 handlers of event 'document-saved' failed (every handler ran) (backup: IllegalStateException: backup disk full)");
    }

    @Test
    void aPropertyFiresOnChange() {
        // tag::property[]
        Property<Integer> temperature = new Property<>("temperature", 20);
        temperature.subscribe(c -> System.out.println(c.oldValue() + " -> " + c.newValue()));
        temperature.set(21);                      // prints "20 -> 21"
        temperature.set(21);                      // no change: nothing fires
        // end::property[]
        assertThat(printed()).containsExactly("20 -> 21");
    }

    @Test
    void onlyDeclaredAndValidEventsAreEmitted() {
        // tag::declare[]
        EventBus bus = EventBus.builder()
                .declare(EventType.of(SightingReported.class)
                        .validatedBy(s -> s.count() > 0 ? null : "count must be at least 1, got " + s.count()))
                .build();
        try {
            bus.emit(new SightingReported("kestrel", 0));
        } catch (EventRejectedException e) {
            System.out.println(e.getMessage());   // nothing was held, dispatched or sent
        }
        // end::declare[]
        assertThat(printed()).containsExactly("invalid event 'sighting.reported' (SightingReported): count must be at least 1, got 0");
        bus.close();
    }

    @Test
    void eventsWaitForTheirRequestToSucceed() throws Exception {
        // tag::after-the-scope[]
        EventBus bus = EventBus.builder().declare(SightingReported.class).build();
        bus.handler("notifier").on(SightingReported.class, s -> System.out.println("birders told of " + s.species()));

        EventBus.unitOfWork("POST /sightings").run(request -> {
            bus.emit(new SightingReported("kestrel", 2));        // held by the request...
            System.out.println("kestrel saved, response sent");
            return null;
        });                                                      // ...and dispatched now, as it succeeded

        try {
            EventBus.unitOfWork("POST /sightings").run(request -> {
                bus.emit(new SightingReported("owl", 1));
                throw new IllegalStateException("database down");   // the request fails: its events go nowhere
            });
        } catch (ExceptionGroup failed) {
            System.out.println("owl refused: " + failed.single().getMessage());
        }
        // end::after-the-scope[]
        assertThat(bus.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(printed()).first().isEqualTo("kestrel saved, response sent");
        assertThat(printed()).containsExactlyInAnyOrder("kestrel saved, response sent", "birders told of kestrel", "owl refused: database down");
        bus.close();
    }

    /** A mail server that is down. */
    static void sendMail(SightingReported s) throws IOException {
        throw new IOException("SMTP server unreachable");
    }

    @Test
    void handlersAreIsolatedRetriedAndDeadLettered() throws Exception {
        // tag::handlers[]
        EventBus bus = EventBus.builder().declare(SightingReported.class).build();
        bus.handler("audit").onPattern("sighting.*", e -> System.out.println("audit: " + e.name()));
        bus.handler("mailer").async()
                .retry(RetryPolicy.exponential(3, Duration.ofMillis(10), Duration.ofMillis(100)))
                .on(SightingReported.class, s -> sendMail(s));   // fails every time here

        bus.emit(new SightingReported("kestrel", 2));            // outside any scope: dispatched at once
        bus.awaitIdle(Duration.ofSeconds(10));
        for (DeadLetter d : bus.deadLetters()) {
            System.out.println(d.handler() + " gave up after " + d.attempts() + " tries: " + d.error().getMessage());
        }
        // end::handlers[]
        assertThat(printed()).containsExactly("audit: sighting.reported", "mailer gave up after 3 tries: SMTP server unreachable");
        // tag::replay[]
        bus.disable("mailer");                 // switched off at run time: new events skip it
        bus.enable("mailer");
        int replayed = bus.replayAll();        // once the mail server is back: each dead letter again
        // end::replay[]
        assertThat(replayed).isEqualTo(1);
        bus.close();
    }

    // tag::service[]
    /** Code under test: reports a sighting in a request of its own. */
    record SightingService(EventBus bus) {
        void report(String species, int count) {
            EventBus.unitOfWork("report").run(request -> {
                bus.emit(new SightingReported(species, count));
                if (species.isBlank()) throw new IllegalArgumentException("no species");
                return null;
            });
        }
    }
    // end::service[]

    // tag::recording-bus[]
    @Test
    void aFailedReportEmitsNothing() {
        RecordingBus events = RecordingBus.builder().declare(SightingReported.class).build();
        SightingService service = new SightingService(events.bus());

        service.report("kestrel", 2);
        events.assertDispatched(new SightingReported("kestrel", 2));   // no waiting: deterministic

        events.clear();
        assertThrows(ExceptionGroup.class, () -> service.report(" ", 1));
        events.assertNothingDispatched();                               // the failed request sent nothing
    }
    // end::recording-bus[]

    @Test
    void eventsTravelThroughATransportToAnotherBus() throws Exception {
        List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch handled = new CountDownLatch(1);
        // tag::transport[]
        InMemoryTransport transport = InMemoryTransport.create();   // Redis Streams in production
        EventBus producer = EventBus.builder().declare(SightingReported.class)
                .codec(new JacksonEventCodec())                      // JSON on the wire
                .transport(transport)                                // every event, after its scope succeeded
                .build();
        EventBus consumer = EventBus.builder().declare(SightingReported.class)
                .codec(new JacksonEventCodec())
                .build();
        consumer.subscribe(SightingReported.class, s -> {
            received.add(s.species());
            handled.countDown();
        });
        Scope.run(scope -> {
            scope.forkBackground(() -> consumer.consume(transport, "statistics", "consumer-1"));
            EventBus.unitOfWork("POST /sightings").run(request -> {
                producer.emit(new SightingReported("kestrel", 2));
                return null;
            });
            handled.await();                                         // then the background consumer is cancelled
            return null;
        });
        // end::transport[]
        assertThat(received).containsExactly("kestrel");
        producer.close();
        consumer.close();
    }
}
