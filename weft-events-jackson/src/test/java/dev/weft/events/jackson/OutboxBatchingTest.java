package dev.weft.events.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.FakeClock;
import dev.weft.events.BusStatistics;
import dev.weft.events.DeadLetter;
import dev.weft.events.transport.Delivery;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.EventRejectedException;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.RetryPolicy;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * R4 / E8: a transport's outbox sends what queued up in one {@link Transport#publishAll} call
 * (pipelined), retries a batch the broker did not confirm as a unit, and tries the events of a
 * batch the transport refused one at a time, so one bad event cannot hold back the others.
 */
class OutboxBatchingTest {

    @EventName("ping")
    public record Ping(int n) {}

    private final JacksonEventCodec codec = new JacksonEventCodec();

    /** Records each publishAll call; the first call can be held on a latch so that events queue up behind it. */
    static final class RecordingTransport implements Transport {
        final InMemoryTransport inner = InMemoryTransport.create();
        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch firstCallStarted = new CountDownLatch(1);
        final CountDownLatch releaseFirstCall;
        final AtomicInteger failuresLeft;

        RecordingTransport(boolean holdFirstCall, int failures) {
            this.releaseFirstCall = new CountDownLatch(holdFirstCall ? 1 : 0);
            this.failuresLeft = new AtomicInteger(failures);
        }

        @Override public String name() { return "recording"; }

        @Override public void publish(TransportMessage message) {
            publishAll(List.of(message));
        }

        @Override public void publishAll(List<TransportMessage> messages) {
            calls.add(messages.stream().map(m -> body(m)).toList());
            firstCallStarted.countDown();
            try {
                if (!releaseFirstCall.await(20, TimeUnit.SECONDS)) throw new AssertionError("the test never released the first call");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            for (TransportMessage m : messages) {
                if (body(m).contains("\"n\":1013")) throw new IllegalArgumentException("1013 is over this transport's size limit");
            }
            if (failuresLeft.getAndDecrement() > 0) throw new TransportException("broker unavailable");
            inner.publishAll(messages);
        }

        @Override public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
            return inner.receive(group, consumer, max, wait);
        }

        @Override public List<TransportMessage> deadLetters(String group) { return List.of(); }

        @Override public void close() { inner.close(); }

        /** The payload numbers the transport stored, in order. */
        List<Integer> stored() {
            return inner.receive("check", "c", 10_000, Duration.ZERO).stream().map(d -> number(body(d.message()))).toList();
        }

        private static String body(TransportMessage m) {
            return new String(m.body(), StandardCharsets.UTF_8);
        }

        private static int number(String json) {
            int at = json.indexOf("\"n\":") + 4;
            int end = at;
            while (end < json.length() && Character.isDigit(json.charAt(end))) end++;
            return Integer.parseInt(json.substring(at, end));
        }
    }

    private static BusStatistics.Handler outbox(EventBus bus) {
        return bus.statistics().handlers().stream().filter(h -> h.name().equals("transport:recording")).findFirst().orElseThrow();
    }

    @Test
    void r4_eventsThatQueueWhileAPublishIsUnderWayGoOutInOnePipelinedCall() throws Exception {
        RecordingTransport t = new RecordingTransport(true, 0);
        EventBus bus = EventBus.builder().declare(Ping.class).codec(codec).transport(t).build();
        bus.emit(new Ping(0));
        assertThat(t.firstCallStarted.await(20, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 50; i++) bus.emit(new Ping(i)); // queue up behind the held call
        t.releaseFirstCall.countDown();
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(t.calls).extracting(List::size).containsExactly(1, 50);
        assertThat(t.stored()).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, 50).boxed().toList());
        BusStatistics.Handler h = outbox(bus);
        assertThat(h.delivered()).isEqualTo(51);
        assertThat(h.succeeded()).isEqualTo(51);
        assertThat(h.queued()).isZero();
    }

    @Test
    void r4_aBatchIsNeverLargerThanTheConfiguredSize() throws Exception {
        RecordingTransport t = new RecordingTransport(true, 0);
        EventBus bus = EventBus.builder().declare(Ping.class).codec(codec).transport(t).outboxBatchSize(20).build();
        bus.emit(new Ping(0));
        assertThat(t.firstCallStarted.await(20, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 50; i++) bus.emit(new Ping(i));
        assertThat(outbox(bus).queued()).as("queued behind the call under way, counted in statistics").isEqualTo(51);
        t.releaseFirstCall.countDown();
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(t.calls).extracting(List::size).containsExactly(1, 20, 20, 10);
        assertThat(t.stored()).hasSize(51);
    }

    @Test
    void r4_aBatchTheBrokerDidNotConfirmIsRetriedAsAUnitWithBackoff_inOrder_andDeliveredIsCountedOnce() throws Exception {
        FakeClock clock = new FakeClock();
        RecordingTransport t = new RecordingTransport(true, 1);
        EventBus bus = EventBus.builder().declare(Ping.class).codec(codec).clock(clock)
                .transport(t, "*", RetryPolicy.exponential(3, Duration.ofSeconds(1), Duration.ofSeconds(1))).build();
        bus.emit(new Ping(0));
        assertThat(t.firstCallStarted.await(20, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 5; i++) bus.emit(new Ping(i));
        t.releaseFirstCall.countDown(); // the first call (Ping 0) fails: broker unavailable
        clock.awaitTimers(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(t.calls).extracting(List::size).containsExactly(1, 1, 5); // Ping 0 again, alone, then the rest
        assertThat(t.stored()).containsExactly(0, 1, 2, 3, 4, 5);
        BusStatistics.Handler h = outbox(bus);
        assertThat(h.delivered()).isEqualTo(6);
        assertThat(h.succeeded()).isEqualTo(6);
        assertThat(h.failedAttempts()).isEqualTo(1);
        assertThat(bus.deadLetters()).isEmpty();
    }

    @Test
    void r4_anEventTheTransportRefusesDoesNotHoldBackTheOthersInItsBatch_itIsDeadLetteredAlone_atOnce() throws Exception {
        FakeClock clock = new FakeClock();
        RecordingTransport t = new RecordingTransport(true, 0);
        EventBus bus = EventBus.builder().declare(Ping.class).codec(codec).clock(clock).transport(t).build();
        bus.emit(new Ping(0));
        assertThat(t.firstCallStarted.await(20, TimeUnit.SECONDS)).isTrue();
        bus.emit(new Ping(1012));
        bus.emit(new Ping(1013)); // refused by the transport
        bus.emit(new Ping(1014));
        t.releaseFirstCall.countDown();
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue(); // no clock advance: an event that can never be published is not retried

        assertThat(t.stored()).containsExactly(0, 1012, 1014);
        assertThat(bus.deadLetters()).singleElement().satisfies((DeadLetter d) -> {
            assertThat(d.event().payload()).isEqualTo(new Ping(1013));
            assertThat(d.error()).hasMessageContaining("over this transport's size limit");
            assertThat(d.attempts()).isEqualTo(1);
        });
        assertThat(t.calls).extracting(List::size).containsExactly(1, 3, 1, 1, 1); // the batch, then one by one, 1013 once
        assertThat(outbox(bus).deadLettered()).isEqualTo(1);
    }

    @Test
    void r4_byDefaultAnOutageIsRetriedWithCappedBackoffForAsLongAsItLasts_andMakesNoDeadLetter() throws Exception {
        FakeClock clock = new FakeClock();
        RecordingTransport t = new RecordingTransport(false, 12); // twelve failed tries: four times the old default of three
        EventBus bus = EventBus.builder().declare(Ping.class).codec(codec).clock(clock).transport(t).build();
        bus.emit(new Ping(1));
        Duration waited = Duration.ZERO;
        List<Duration> waits = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            clock.awaitTimers(1);
            Duration next = clock.pendingDelays().get(0);
            waits.add(next);
            clock.advance(next);
            waited = waited.plus(next);
        }
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();
        assertThat(t.stored()).containsExactly(1);
        assertThat(bus.deadLetters()).isEmpty();
        assertThat(waits).startsWith(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400)).endsWith(Duration.ofSeconds(5));
        assertThat(outbox(bus).failedAttempts()).isEqualTo(12);
    }

    @Test
    void r4_anEventStillUnpublishedWhenTheBusClosesIsDeadLettered_soCloseReturns() throws Exception {
        FakeClock clock = new FakeClock();
        RecordingTransport t = new RecordingTransport(false, Integer.MAX_VALUE); // down for good
        EventBus bus = EventBus.builder().declare(Ping.class).codec(codec).clock(clock).transport(t).build();
        bus.emit(new Ping(1));
        clock.awaitTimers(1);
        Thread closer = Thread.ofVirtual().start(bus::close);
        // close() waits for the retry under way; when it comes, the bus is closed, so the event is parked.
        while (closer.isAlive()) {
            clock.advance(Duration.ofSeconds(5));
            closer.join(Duration.ofMillis(20));
        }
        assertThat(bus.deadLetters()).singleElement().satisfies((DeadLetter d) -> assertThat(d.error()).hasMessageContaining("broker unavailable"));
    }

    @Test
    void e3_anEventTheCodecCannotEncodeIsRefusedAtEmit_notDeadLetteredByTheOutbox_andTheOthersArePublished() throws Exception {
        dev.weft.events.transport.EventCodec picky = new dev.weft.events.transport.EventCodec() {
            @Override public byte[] encode(dev.weft.events.transport.Envelope<?> e) {
                if (e.payload() instanceof Ping p && p.n() == 7) throw new IllegalArgumentException("7 cannot be encoded");
                return codec.encode(e);
            }
            @Override public dev.weft.events.transport.Envelope<?> decode(byte[] bytes, java.util.function.Function<String, Class<? extends Record>> typeOf) {
                return codec.decode(bytes, typeOf);
            }
        };
        RecordingTransport t = new RecordingTransport(false, 0);
        EventBus bus = EventBus.builder().declare(Ping.class).codec(picky)
                .transport(t, "*", RetryPolicy.exponential(1, Duration.ofSeconds(1), Duration.ofSeconds(1))).build();
        for (int i = 5; i <= 9; i++) {
            if (i == 7) {
                assertThatThrownBy(() -> bus.emit(new Ping(7))).isInstanceOf(EventRejectedException.class) // refused at the call (E3)
                        .hasMessageContaining("cannot be encoded for transport 'recording'").hasMessageContaining("7 cannot be encoded");
            } else {
                bus.emit(new Ping(i));
            }
        }
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(t.stored()).containsExactly(5, 6, 8, 9);
        assertThat(bus.deadLetters()).isEmpty();
        assertThat(outbox(bus).delivered()).isEqualTo(4);
    }
}
