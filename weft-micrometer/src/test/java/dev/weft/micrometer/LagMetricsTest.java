package dev.weft.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.Scope;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.worker.Worker;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.test.Poll;
import dev.weft.test.RedisServer;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code weft.worker.lag} and {@code weft.worker.pending}: read from the transport, at most once per interval. */
class LagMetricsTest {
    @EventName("sighting.reported")
    public record SightingReported(String species, int count) {}

    final MockClock clock = new MockClock();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    final WeftMicrometer weft = WeftMicrometer.builder().meterRegistry(registry).lagInterval(Duration.ofSeconds(10)).build();
    final JacksonEventCodec codec = new JacksonEventCodec();

    double lag(String transport) {
        return registry.get("weft.worker.lag").tags("group", "birders", "transport", transport).gauge().value();
    }

    double pending(String transport) {
        return registry.get("weft.worker.pending").tags("group", "birders", "transport", transport).gauge().value();
    }

    /** A clock step past the interval, so the next read asks the transport again. */
    void nextInterval() {
        clock.add(Duration.ofSeconds(10));
    }

    @Test
    void theInMemoryTransportsLagIsAskedForAtMostOncePerInterval() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        InMemoryTransport memory = InMemoryTransport.builder().name("memory").build();
        Transport counting = new Delegating(memory) {
            @Override
            public java.util.Optional<dev.weft.events.transport.GroupLag> lag(String group) {
                asked.incrementAndGet();
                return memory.lag(group);
            }

            @Override
            public boolean reportsLag() {
                return true;
            }
        };
        EventBus bus = EventBus.builder().declare(SightingReported.class).codec(codec).transport(memory).build();
        CountDownLatch inHandler = new CountDownLatch(1), release = new CountDownLatch(1);
        Worker worker = Worker.builder(counting, codec).group("birders").consumer("w1").pollWait(Duration.ofMillis(20)).batchSize(1).concurrency(1)
                .on(SightingReported.class, s -> {
                    if (s.species().equals("slow")) {
                        inHandler.countDown();
                        release.await();
                    }
                }).build();
        weft.bindWorker(worker);

        for (int i = 0; i < 3; i++) bus.emit(new SightingReported("owl", i));
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();
        assertThat(lag("memory")).isEqualTo(3);   // a group that has not received yet: everything is ahead of it
        assertThat(pending("memory")).isZero();
        assertThat(asked).hasValue(1);             // both gauges, one question

        bus.emit(new SightingReported("slow", 4));
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();
        for (int scrape = 0; scrape < 5; scrape++) assertThat(lag("memory")).isEqualTo(3); // within the interval: the last answer
        assertThat(asked).hasValue(1);
        nextInterval();
        assertThat(lag("memory")).isEqualTo(4);
        assertThat(asked).hasValue(2);

        Scope.run(scope -> {
            scope.fork(() -> {
                worker.run();
                return null;
            });
            assertThat(inHandler.await(20, TimeUnit.SECONDS)).isTrue();
            nextInterval();
            assertThat(lag("memory")).isEqualTo(1);     // the slow one: delivered, not acknowledged; the rest acknowledged
            assertThat(pending("memory")).isEqualTo(1);
            release.countDown();
            Poll.until(() -> worker.statistics().handled() == 4);
            worker.shutdown(Duration.ofSeconds(5));
            return null;
        });
        nextInterval();
        assertThat(lag("memory")).isZero();
        assertThat(pending("memory")).isZero();
    }

    @Test
    void redisStreamsLagIsTheGroupsUndeliveredPlusPendingEntries() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream("lag:" + UUID.randomUUID()).name("redis").build();
            try {
                EventBus bus = EventBus.builder().declare(SightingReported.class).codec(codec).transport(t).build();
                CountDownLatch inHandler = new CountDownLatch(1), release = new CountDownLatch(1);
                Worker worker = Worker.builder(t, codec).group("birders").consumer("w1").pollWait(Duration.ofMillis(20)).batchSize(1).concurrency(1)
                        .on(SightingReported.class, s -> {
                            if (s.species().equals("slow")) {
                                inHandler.countDown();
                                release.await();
                            }
                        }).build();
                weft.bindWorker(worker);
                assertThat(lag("redis")).as("no stream, no group yet: Redis cannot tell").isNaN();

                bus.emit(new SightingReported("slow", 1));
                for (int i = 2; i <= 4; i++) bus.emit(new SightingReported("owl", i));
                assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();
                Scope.run(scope -> {
                    scope.fork(() -> {
                        worker.run();
                        return null;
                    });
                    assertThat(inHandler.await(20, TimeUnit.SECONDS)).isTrue();
                    nextInterval();
                    // None acknowledged: the slow one pending, and the next one too once the worker
                    // took it (it waits for the one slot); the rest not delivered yet.
                    assertThat(lag("redis")).isEqualTo(4);
                    assertThat(pending("redis")).isBetween(1.0, 2.0);
                    assertThat(t.lag("birders")).hasValueSatisfying(l -> {
                        assertThat(l.total()).isEqualTo(4);
                        assertThat(l.pending()).isBetween(1L, 2L);
                    });
                    release.countDown();
                    Poll.until(() -> worker.statistics().handled() == 4);
                    worker.shutdown(Duration.ofSeconds(5));
                    return null;
                });
                nextInterval();
                assertThat(lag("redis")).isZero();
                assertThat(pending("redis")).isZero();
                assertThat(t.lag("no-such-group")).isEmpty();
            } finally {
                t.close();
            }
            // A closed transport cannot answer: the gauge reads NaN rather than failing the scrape.
            nextInterval();
            assertThat(lag("redis")).isNaN();
        }
    }

    @Test
    void aTransportThatCannotTellGetsNoLagGauge() {
        Transport plain = new Delegating(InMemoryTransport.create());
        Worker worker = Worker.builder(plain, codec).group("birders").on(SightingReported.class, s -> {}).build();
        weft.bindWorker(worker);
        assertThat(registry.find("weft.worker.handled").functionCounter()).isNotNull();
        assertThat(registry.find("weft.worker.lag").gauge()).isNull();
        assertThat(registry.find("weft.worker.pending").gauge()).isNull();
        assertThat(worker.lag()).isEmpty();
    }

    @Test
    void aNegativeIntervalIsRefusedWithTheFix() {
        assertThatThrownBy(() -> WeftMicrometer.builder().lagInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duration.ofSeconds(10)");
    }

    /** A transport that only passes calls on: it does not override {@link Transport#lag}. */
    static class Delegating implements Transport {
        final Transport to;

        Delegating(Transport to) {
            this.to = to;
        }

        @Override
        public String name() {
            return to.name();
        }

        @Override
        public void publish(TransportMessage message) {
            to.publish(message);
        }

        @Override
        public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
            return to.receive(group, consumer, max, wait);
        }

        @Override
        public List<TransportMessage> deadLetters(String group) {
            return to.deadLetters(group);
        }

        @Override
        public void close() {
            to.close();
        }
    }
}
