package dev.weft.events.jackson;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.RetryPolicy;
import dev.weft.Scope;
import dev.weft.events.jackson.WorkerTest.SightingReported;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.worker.Worker;
import dev.weft.events.worker.WorkerObserver;
import dev.weft.test.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The worker's {@link WorkerObserver} (issue 14): around each delivery, on its thread, with its outcome; it changes no outcome. */
class WorkerObserverTest {
    final JacksonEventCodec codec = new JacksonEventCodec();

    TransportMessage message(SightingReported s, Map<String, String> trace) {
        UUID id = UUID.randomUUID();
        return new TransportMessage(id.toString(), "sighting.reported",
                codec.encode(new Envelope<>(id, "sighting.reported", Instant.EPOCH, trace, s)));
    }

    static void withWorker(Worker w, WorkerTest.Body body) throws Exception {
        Scope.run(scope -> {
            scope.fork(() -> {
                w.run();
                return null;
            });
            body.run();
            w.shutdown(Duration.ofSeconds(5));
            return null;
        });
    }

    @Test
    void seesEachDeliveryWithItsEventAndOutcomeOnTheHandlersThread() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        Map<String, String> trace = Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        t.publish(message(new SightingReported("owl", 1), trace));
        t.publish(message(new SightingReported("bad", 2), Map.of()));
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch both = new CountDownLatch(2);
        ThreadLocal<String> inside = new ThreadLocal<>();
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(20))
                .retry(RetryPolicy.exponential(2, Duration.ZERO, Duration.ZERO))
                .on(SightingReported.class, s -> {
                    seen.add("handler " + s.species() + " inside " + inside.get());
                    if (s.species().equals("bad")) throw new IllegalStateException("bad sighting");
                })
                .observer(run -> {
                    inside.set(run.event().payload().toString());
                    try {
                        WorkerObserver.Outcome o = run.proceed();
                        seen.add(run.group() + "/" + run.consumer() + " " + ((SightingReported) run.event().payload()).species() + " "
                                + run.event().trace() + " delivery " + run.delivery().deliveryCount() + " " + o);
                    } finally {
                        inside.remove();
                        both.countDown();
                    }
                }).build();
        withWorker(w, () -> assertThat(both.await(20, TimeUnit.SECONDS)).isTrue());
        // The rejected one may come back (delivery 2) before the worker stops: the first deliveries are what counts here.
        assertThat(seen).contains(
                "handler owl inside SightingReported[species=owl, count=1]",
                "g/w1 owl " + trace + " delivery 1 HANDLED",
                "handler bad inside SightingReported[species=bad, count=2]",
                "handler bad inside SightingReported[species=bad, count=2]",
                "g/w1 bad {} delivery 1 REJECTED");
        assertThat(w.statistics().handled()).isEqualTo(1);
        assertThat(w.statistics().rejected()).isPositive();
    }

    @Test
    void anObserverThatThrowsOrSkipsChangesNothing() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        AtomicInteger handled = new AtomicInteger();
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(20))
                .on(SightingReported.class, s -> handled.incrementAndGet())
                .observer(run -> {
                    Thread.currentThread().setUncaughtExceptionHandler((th, e) -> reported.add(e));
                    if (((SightingReported) run.event().payload()).count() == 1) throw new IllegalStateException("observer broke first");
                    run.proceed();
                    throw new IllegalStateException("observer broke after");
                }).build();
        t.publish(message(new SightingReported("owl", 1), Map.of()));
        t.publish(message(new SightingReported("owl", 2), Map.of()));
        withWorker(w, () -> Poll.until(() -> w.statistics().handled() == 2));
        assertThat(handled).hasValue(2);
        assertThat(reported).extracting(Throwable::getMessage).contains("observer broke first", "observer broke after");
        assertThat(reported).extracting(Throwable::getMessage).anyMatch(m -> m.contains("did not call proceed()"));
        assertThat(t.receive("g", "other", 10, Duration.ZERO)).isEmpty(); // both acknowledged
    }
}
