package dev.weft.events.jackson;

import dev.weft.test.LogCapture;
import dev.weft.test.Poll;
import dev.weft.events.worker.Worker;
import dev.weft.events.worker.WorkerStatistics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Weft;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Envelope;
import dev.weft.events.EventName;
import dev.weft.events.EventType;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.RetryPolicy;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The worker (issue 6, item 3) on the in-memory transport: deterministic, with a fake clock where time matters. */
class WorkerTest {
    @EventName("sighting.reported")
    public record SightingReported(String species, int count) {}

    final JacksonEventCodec codec = new JacksonEventCodec();
    final FakeClock clock = new FakeClock();

    TransportMessage event(SightingReported s) {
        UUID id = UUID.randomUUID();
        return message(id, s);
    }

    TransportMessage message(UUID id, SightingReported s) {
        return new TransportMessage(id.toString(), "sighting.reported",
                codec.encode(new Envelope<>(id, "sighting.reported", Instant.EPOCH, Map.of(), s)));
    }

    /** Runs the worker in a task; the body gets it, then the worker is shut down with {@code grace}. */
    static void withWorker(Worker w, Duration grace, Body body) throws Exception {
        Scope.run(scope -> {
            scope.fork(() -> {
                w.run();
                return null;
            });
            body.run(); // if it throws, the scope cancels the worker (S2)
            w.shutdown(grace);
            return null;
        });
    }

    /** Waits until the fake clock has a timer due {@code d} from now: bounded polling, as timers announce nothing. */
    void awaitDelay(Duration d) throws InterruptedException {
        Poll.until(() -> clock.pendingDelays().contains(d));
    }

    interface Body {
        void run() throws Exception;
    }

    @Test
    void handlesEveryEventOnceAndAcknowledgesIt() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(20);
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(20))
                .on(SightingReported.class, s -> {
                    seen.add(s.count());
                    all.countDown();
                }).build();
        TransportMessage dup = event(new SightingReported("owl", 0));
        t.publish(dup);
        t.publish(dup); // a retried publish: handled once
        for (int i = 1; i < 20; i++) t.publish(event(new SightingReported("owl", i)));
        withWorker(w, Duration.ofSeconds(5), () -> assertThat(all.await(20, TimeUnit.SECONDS)).isTrue());
        assertThat(seen).hasSize(20);
        WorkerStatistics s = w.statistics();
        assertThat(s.handled()).isEqualTo(20);
        assertThat(s.duplicates()).isEqualTo(1);
        assertThat(s.inFlight()).isZero();
        clock.advance(Duration.ofHours(1));
        assertThat(t.receive("g", "other", 100, Duration.ZERO)).isEmpty(); // all acknowledged
    }

    @Test
    void anEnvelopeHandlerSeesTheEventsIdTimeAndTrace_andRunsInOrderWithPayloadHandlers() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        UUID id = UUID.randomUUID();
        Instant emitted = Instant.parse("2026-12-02T10:15:30Z");
        Map<String, String> trace = Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        t.publish(new TransportMessage(id.toString(), "sighting.reported",
                codec.encode(new Envelope<>(id, "sighting.reported", emitted, trace, new SightingReported("owl", 2)))));
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(20))
                .on(SightingReported.class, s -> order.add("payload " + s.species()))
                .onEnvelope(SightingReported.class, e -> {
                    order.add("envelope " + e.id() + " " + e.name() + " " + e.time() + " " + e.trace() + " " + e.payload().count());
                    done.countDown();
                }).build();
        withWorker(w, Duration.ofSeconds(5), () -> assertThat(done.await(20, TimeUnit.SECONDS)).isTrue());
        assertThat(order).containsExactly("payload owl",
                "envelope " + id + " sighting.reported " + emitted + " " + trace + " 2");
    }

    @Test
    void neverRunsMoreThanConcurrencyEventsAtOnce() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        AtomicInteger running = new AtomicInteger(), max = new AtomicInteger();
        Semaphore entered = new Semaphore(0);
        CountDownLatch gate = new CountDownLatch(1), done = new CountDownLatch(6);
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").concurrency(2).pollWait(Duration.ofMillis(20))
                .on(SightingReported.class, s -> {
                    max.accumulateAndGet(running.incrementAndGet(), Math::max);
                    entered.release();
                    try {
                        gate.await();
                    } finally {
                        running.decrementAndGet();
                        done.countDown();
                    }
                }).build();
        for (int i = 0; i < 6; i++) t.publish(event(new SightingReported("owl", i)));
        withWorker(w, Duration.ofSeconds(5), () -> {
            assertThat(entered.tryAcquire(2, 20, TimeUnit.SECONDS)).isTrue();
            assertThat(w.statistics().inFlight()).isEqualTo(2);
            gate.countDown();
            assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        });
        assertThat(max.get()).isEqualTo(2);
    }

    @Test
    void aTryPastTheDeadlineIsCancelledRetriedWithBackoffThenRejectedWithTheError() throws Exception {
        InMemoryTransport t = InMemoryTransport.builder().maxDeliveries(1).build();
        AtomicInteger tries = new AtomicInteger();
        CountDownLatch cancelled = new CountDownLatch(2);
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").clock(clock).pollWait(Duration.ofMillis(20))
                .deadline(Duration.ofSeconds(1)).retry(RetryPolicy.exponential(2, Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .on(SightingReported.class, s -> {
                    tries.incrementAndGet();
                    try {
                        Weft.sleep(Duration.ofHours(1));
                    } finally {
                        cancelled.countDown();
                    }
                }).build();
        t.publish(event(new SightingReported("owl", 1)));
        withWorker(w, Duration.ofSeconds(5), () -> {
            awaitDelay(Duration.ofHours(1)); // the handler sleeps, under the try's deadline of 1 s
            clock.advance(Duration.ofSeconds(1));
            awaitDelay(Duration.ofSeconds(5)); // the backoff before the second try
            clock.advance(Duration.ofSeconds(5));
            awaitDelay(Duration.ofHours(1));
            clock.advance(Duration.ofSeconds(1));
            assertThat(cancelled.await(20, TimeUnit.SECONDS)).isTrue();
            Poll.until(() -> t.deadLetters("g").size() == 1);
        });
        assertThat(tries.get()).isEqualTo(2);
        WorkerStatistics s = w.statistics();
        assertThat(s.retries()).isEqualTo(1);
        assertThat(s.rejected()).isEqualTo(1);
        assertThat(s.handled()).isZero();
    }

    @Test
    void aHandlerFailureIsRetriedAndSucceeds() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        AtomicInteger tries = new AtomicInteger();
        CountDownLatch handled = new CountDownLatch(1);
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").clock(clock).pollWait(Duration.ofMillis(20))
                .retry(RetryPolicy.exponential(3, Duration.ofMillis(100), Duration.ofSeconds(1)))
                .on(SightingReported.class, s -> {
                    if (tries.incrementAndGet() < 3) throw new IllegalStateException("database busy");
                    handled.countDown();
                }).build();
        t.publish(event(new SightingReported("owl", 1)));
        withWorker(w, Duration.ofSeconds(5), () -> {
            awaitDelay(Duration.ofMillis(100));
            clock.advance(Duration.ofMillis(100));
            awaitDelay(Duration.ofMillis(200)); // backoff doubles
            clock.advance(Duration.ofMillis(200));
            assertThat(handled.await(20, TimeUnit.SECONDS)).isTrue();
        });
        assertThat(w.statistics().retries()).isEqualTo(2);
        assertThat(w.statistics().handled()).isEqualTo(1);
    }

    @Test
    void undecodableOrInvalidEventsAreRejectedNotHandled() throws Exception {
        InMemoryTransport t = InMemoryTransport.builder().maxDeliveries(1).build();
        AtomicInteger handled = new AtomicInteger();
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(20))
                .on(EventType.of(SightingReported.class).validatedBy(s -> s.count() < 0 ? "count is negative" : null), s -> handled.incrementAndGet())
                .build();
        t.publish(new TransportMessage(UUID.randomUUID().toString(), "sighting.reported", "garbage".getBytes()));
        t.publish(event(new SightingReported("owl", -1)));
        withWorker(w, Duration.ofSeconds(5), () -> Poll.until(() -> t.deadLetters("g").size() == 2));
        assertThat(handled.get()).isZero();
        assertThat(w.statistics().deadLettered()).isEqualTo(2);
    }

    @Test
    void shutdownLetsEventsInFlightFinishWithinTheGracePeriod() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        CountDownLatch entered = new CountDownLatch(1), gate = new CountDownLatch(1);
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").clock(clock).pollWait(Duration.ofMillis(20))
                .on(SightingReported.class, s -> {
                    entered.countDown();
                    gate.await();
                }).build();
        t.publish(event(new SightingReported("owl", 1)));
        Scope.run(scope -> {
            scope.fork(() -> {
                w.run();
                return null;
            });
            assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();
            var result = scope.fork(() -> w.shutdown(Duration.ofSeconds(10)));
            awaitDelay(Duration.ofSeconds(10)); // the grace period's deadline: shutdown is waiting
            gate.countDown();
            assertThat(result.join()).isTrue();
            return null;
        });
        assertThat(w.statistics().handled()).isEqualTo(1);
        clock.advance(Duration.ofHours(1));
        assertThat(t.receive("g", "other", 10, Duration.ZERO)).isEmpty();
    }

    @Test
    void shutdownCancelsWhatIsNotDoneAfterTheGracePeriodAndLeavesItForRedelivery() throws Exception {
        InMemoryTransport t = InMemoryTransport.builder().clock(clock).redeliverAfter(Duration.ofSeconds(30)).build();
        CountDownLatch entered = new CountDownLatch(1);
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").clock(clock).pollWait(Duration.ofMillis(20))
                .on(SightingReported.class, s -> {
                    entered.countDown();
                    new CountDownLatch(1).await(); // stuck until cancelled
                }).build();
        TransportMessage m = event(new SightingReported("owl", 1));
        t.publish(m);
        Scope.run(scope -> {
            scope.fork(() -> {
                w.run();
                return null;
            });
            assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();
            var result = scope.fork(() -> w.shutdown(Duration.ofSeconds(2)));
            awaitDelay(Duration.ofSeconds(2));
            clock.advance(Duration.ofSeconds(2));
            assertThat(result.join()).isFalse();
            return null;
        });
        assertThat(w.statistics().abandoned()).isEqualTo(1);
        assertThat(w.statistics().handled()).isZero();
        clock.advance(Duration.ofSeconds(31));
        List<Delivery> again = t.receive("g", "w2", 10, Duration.ZERO);
        assertThat(again).extracting(Delivery::message).containsExactly(m);
    }

    /** A transport whose receives fail, as Redis' do while it is away. */
    static final class Unreachable implements Transport {
        final AtomicInteger receives = new AtomicInteger();

        @Override
        public String name() {
            return "unreachable";
        }

        @Override
        public void publish(TransportMessage message) {
            throw new TransportException("down");
        }

        @Override
        public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
            receives.incrementAndGet();
            throw new TransportException("down");
        }

        @Override
        public List<TransportMessage> deadLetters(String group) {
            return List.of();
        }

        @Override
        public void close() {}
    }

    @Test
    void r4_whileTheTransportFailsTheWorkerWaitsItsOwnBoundedBackoff_notTheHandlersRetryPolicy() throws Exception {
        Unreachable t = new Unreachable();
        // A handler policy with long waits: before issue 10 the worker waited these between receives too.
        Worker w = Worker.builder(t, codec).group("g").consumer("w1").clock(clock).logger(new LogCapture())
                .retry(RetryPolicy.exponential(5, Duration.ofSeconds(10), Duration.ofMinutes(1)))
                .reconnectBackoff(Duration.ofMillis(700))
                .on(SightingReported.class, s -> {}).build();
        withWorker(w, Duration.ZERO, () -> {
            for (long ms : new long[] {50, 100, 200, 400, 700, 700}) {
                awaitDelay(Duration.ofMillis(ms));
                clock.advance(Duration.ofMillis(ms));
            }
            awaitDelay(Duration.ofMillis(700));
            // shutdown (withWorker) ends the wait without the clock moving
        });
        assertThat(t.receives.get()).isEqualTo(7);
        assertThat(w.statistics().transportErrors()).isEqualTo(7);
    }

    @Test
    void r4_theDefaultReconnectBackoffIsOneSecond_andItIsValidated() throws Exception {
        Unreachable t = new Unreachable();
        Worker w = Worker.builder(t, codec).clock(clock).logger(new LogCapture()).on(SightingReported.class, s -> {}).build();
        withWorker(w, Duration.ZERO, () -> {
            for (long ms : new long[] {50, 100, 200, 400, 800}) {
                awaitDelay(Duration.ofMillis(ms));
                clock.advance(Duration.ofMillis(ms));
            }
            awaitDelay(Duration.ofSeconds(1));
        });
        Worker.Builder b = Worker.builder(t, codec);
        assertThatThrownBy(() -> b.reconnectBackoff(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> b.reconnectBackoff(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> b.reconnectBackoff(Duration.ofMinutes(11))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 10 minutes");
        assertThatThrownBy(() -> b.reconnectBackoff(null)).isInstanceOf(NullPointerException.class);
        b.reconnectBackoff(Duration.ofMillis(1)); // tiny is fine: the first wait is then 1 ms as well
    }

    @Test
    void misuseIsReportedClearly() {
        InMemoryTransport t = InMemoryTransport.create();
        assertThatThrownBy(() -> Worker.builder(t, codec).build()).hasMessageContaining("at least one handler");
        assertThatThrownBy(() -> Worker.builder(t, codec).concurrency(0)).hasMessageContaining("at least 1");
        Worker w = Worker.builder(t, codec).on(SightingReported.class, s -> {}).pollWait(Duration.ZERO).build();
        t.close();
        w.run(); // a closed transport ends the worker
        assertThatThrownBy(w::run).hasMessageContaining("has run already");
    }
}
