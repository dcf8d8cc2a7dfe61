package dev.weft.guide;

import dev.weft.RetryPolicy;
import dev.weft.Scope;
import dev.weft.events.EventBus;
import dev.weft.events.EventType;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.redis.DeadLetterEntry;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.events.worker.Worker;
import dev.weft.test.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The snippets of docs/guide/redis.md, against a redis-server of the test's own (weft-test's
 * {@link RedisServer}: skipped without redis-server on PATH, except with {@code CI=true}, where it fails).
 */
class RedisGuideTest extends GuideTest {

    record SightingReported(String species, int count) {}

    RedisServer redis;
    String redisUri;

    @BeforeEach
    void startRedis() {
        redis = RedisServer.start();
        redisUri = redis.uri();
    }

    @AfterEach
    void stopRedis() {
        if (redis != null) redis.close();
    }

    @Test
    void eventsGoThroughAStreamToAWorker() throws Exception {
        List<String> statistics = new CopyOnWriteArrayList<>();
        CountDownLatch handled = new CountDownLatch(2);
        // tag::redis-transport[]
        RedisStreamsTransport transport = RedisStreamsTransport.builder(redisUri)   // rediss://user:password@host:6380 for TLS and ACL
                .stream("sightings")
                .maxDeliveries(5)                       // then to the dead-letter stream "sightings:dead"
                .redeliverAfter(Duration.ofMinutes(1))  // an entry a dead worker held is taken over after this
                .build();
        EventBus bus = EventBus.builder().declare(SightingReported.class)
                .codec(new JacksonEventCodec())
                .transport(transport)
                .build();
        EventBus.unitOfWork("POST /sightings").run(request -> {
            bus.emit(new SightingReported("kestrel", 2));   // XADD once the request has succeeded
            return null;
        });
        // end::redis-transport[]
        EventBus.unitOfWork("POST /sightings").run(request -> {
            bus.emit(new SightingReported("owl", 1));
            return null;
        });
        Thread[] hook = new Thread[1];
        Thread.startVirtualThread(() -> {   // stands for the JVM exiting: runs the hook once both events are handled
            try {
                handled.await();
                hook[0].run();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // tag::worker[]
        Worker worker = Worker.builder(transport, new JacksonEventCodec())
                .group("statistics")                    // the workers of one group share the events
                .consumer("worker-1")                   // stable across restarts: it gets its pending entries back
                .on(SightingReported.class, s -> {
                    statistics.add(s.count() + " " + s.species());
                    handled.countDown();
                })
                .concurrency(16)                        // events handled at once, at most
                .deadline(Duration.ofSeconds(30))       // for each try, in a scope of its own
                .retry(RetryPolicy.exponential(3, Duration.ofMillis(200), Duration.ofSeconds(5)))
                .build();
        Thread stop = new Thread(() -> {
            try {
                worker.shutdown(Duration.ofSeconds(20));   // events in flight get 20 s; the rest stay pending
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(stop);
        // end::worker[]
        hook[0] = stop;
        // tag::worker-run[]
        worker.run();                                   // returns once shut down
        System.out.println(statistics + ", " + worker.statistics().handled() + " handled");
        // end::worker-run[]
        Runtime.getRuntime().removeShutdownHook(stop);
        assertThat(printed()).singleElement().asString().isIn("[2 kestrel, 1 owl], 2 handled", "[1 owl, 2 kestrel], 2 handled");
        bus.close();
        transport.close();
    }

    @Test
    void anEventTheWorkerCannotAcceptIsDeadLetteredWithItsReason() throws Exception {
        RedisStreamsTransport transport = RedisStreamsTransport.builder(redisUri).stream("sightings").build();
        // An older producer that does not validate yet, and a worker that does.
        EventBus bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec()).transport(transport).build();
        bus.emit(new SightingReported("kestrel", 0));
        bus.emit(new SightingReported("owl", 1));
        CountDownLatch owl = new CountDownLatch(1);
        Worker worker = Worker.builder(transport, new JacksonEventCodec()).group("statistics").consumer("worker-1")
                .on(EventType.of(SightingReported.class).validatedBy(s -> s.count() > 0 ? null : "count must be at least 1, got " + s.count()),
                        s -> owl.countDown())
                .build();
        Scope.run(scope -> {
            scope.fork("worker", () -> {
                worker.run();
                return null;
            });
            owl.await();
            worker.shutdown(Duration.ofSeconds(5));
            return null;
        });
        // tag::dead-letters[]
        for (DeadLetterEntry dead : transport.deadLetterEntries("statistics", 10)) {
            System.out.println(dead.entryId() + " after " + dead.deliveries() + " delivery: " + dead.error());
        }
        // end::dead-letters[]
        assertThat(printed()).singleElement().asString().matches("\\d+-\\d+ after 1 delivery: .*count must be at least 1, got 0.*");
        bus.close();
        transport.close();
    }
}
