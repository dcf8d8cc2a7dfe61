package dev.weft.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Task;
import dev.weft.TaskState;
import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.events.Delivery;
import dev.weft.events.Transport;
import dev.weft.events.TransportClosedException;
import dev.weft.events.TransportMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Transport} must have, as a JUnit 5 suite: extend it, say how to
 * make your transport, and every rule of the {@code Transport} contract is checked.
 *
 * <pre>{@code
 * class RedisStreamsTransportTest extends TransportContract {
 *     protected Transport create(Settings s) { return RedisStreamsTransport.connect(uri, s.maxDeliveries(), s.redeliverAfter()); }
 *     protected void passTime(Duration d) { ... }   // a broker with its own clock: wait it out
 * }
 * }</pre>
 *
 * <p>Each test gets a fresh transport from {@link #create(Settings)} (with a fresh
 * {@link FakeClock} in the settings) and closes it afterwards. Time-dependent rules
 * (redelivery of unacknowledged messages) call {@link #passTime(Duration)}, which advances that
 * clock; a transport whose broker keeps time itself overrides it.
 */
public abstract class TransportContract {

    /**
     * What the suite asks of a transport.
     *
     * @param maxDeliveries  deliveries of one message to one group before it is dead-lettered
     * @param redeliverAfter how long a delivery may stay unacknowledged
     * @param clock          the clock the transport should read, if it reads one
     */
    public record Settings(int maxDeliveries, Duration redeliverAfter, FakeClock clock) {}

    /** The settings the suite uses: 3 deliveries, redelivery after 30 s. */
    protected static final int MAX_DELIVERIES = 3;
    protected static final Duration REDELIVER_AFTER = Duration.ofSeconds(30);

    /** The transport under test in the current test. */
    protected Transport transport;
    /** The clock given to it. */
    protected FakeClock clock;

    /** A new, empty transport with these settings. */
    protected abstract Transport create(Settings settings) throws Exception;

    /** Lets {@code d} pass for the transport; default: advances the fake clock. */
    protected void passTime(Duration d) throws Exception {
        clock.advance(d);
    }

    @BeforeEach
    void createTransport() throws Exception {
        clock = new FakeClock();
        transport = create(new Settings(MAX_DELIVERIES, REDELIVER_AFTER, clock));
    }

    @AfterEach
    void closeTransport() {
        if (transport != null) transport.close();
    }

    private static TransportMessage message(String text) {
        return new TransportMessage(UUID.randomUUID().toString(), "test.event", text.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(Delivery d) {
        return new String(d.message().body(), StandardCharsets.UTF_8);
    }

    private List<Delivery> receiveAll(String group, String consumer) {
        return transport.receive(group, consumer, 100, Duration.ZERO);
    }

    @Test
    void publishedMessagesAreReceivedInOrderWithIdNameAndBody() {
        TransportMessage a = message("a"), b = message("b"), c = message("c");
        transport.publish(a);
        transport.publish(b);
        transport.publish(c);
        List<Delivery> got = receiveAll("g", "c1");
        assertEquals(List.of(a, b, c), got.stream().map(Delivery::message).toList());
        for (Delivery d : got) assertEquals(1, d.deliveryCount());
    }

    @Test
    void receiveHandsOutAtMostMax() {
        for (int i = 0; i < 5; i++) transport.publish(message("m" + i));
        assertEquals(2, transport.receive("g", "c1", 2, Duration.ZERO).size());
        assertEquals(3, transport.receive("g", "c1", 10, Duration.ZERO).size());
    }

    @Test
    void everyGroupGetsEveryMessage() {
        transport.publish(message("a"));
        transport.publish(message("b"));
        assertEquals(List.of("a", "b"), receiveAll("audit", "c1").stream().map(TransportContract::text).toList());
        assertEquals(List.of("a", "b"), receiveAll("mail", "c1").stream().map(TransportContract::text).toList());
    }

    @Test
    void withinAGroupEachMessageGoesToOneConsumer() {
        for (int i = 0; i < 10; i++) transport.publish(message("m" + i));
        List<Delivery> one = transport.receive("g", "c1", 4, Duration.ZERO);
        List<Delivery> two = receiveAll("g", "c2");
        Set<String> ids = new HashSet<>();
        for (Delivery d : one) assertTrue(ids.add(d.message().id()));
        for (Delivery d : two) assertTrue(ids.add(d.message().id()), "handed to two consumers: " + d.message());
        assertEquals(10, ids.size());
    }

    @Test
    void acknowledgedMessagesAreNotDeliveredAgain() throws Exception {
        transport.publish(message("a"));
        Delivery d = receiveAll("g", "c1").get(0);
        d.ack();
        d.ack(); // idempotent
        d.reject("too late"); // ignored after ack
        passTime(REDELIVER_AFTER.multipliedBy(2));
        assertEquals(List.of(), receiveAll("g", "c1"));
        assertEquals(List.of(), receiveAll("g", "c2"));
    }

    @Test
    void aRejectedMessageIsDeliveredAgainWithAHigherCount() {
        TransportMessage m = message("a");
        transport.publish(m);
        receiveAll("g", "c1").get(0).reject("handler failed");
        List<Delivery> again = receiveAll("g", "c2");
        assertEquals(1, again.size());
        assertEquals(m, again.get(0).message());
        assertEquals(2, again.get(0).deliveryCount());
    }

    @Test
    void anUnacknowledgedMessageIsDeliveredAgainAfterTheTimeout() throws Exception {
        TransportMessage m = message("a");
        transport.publish(m);
        assertEquals(1, receiveAll("g", "dies").size()); // never settled: the consumer died
        assertEquals(List.of(), receiveAll("g", "c2"), "not before the timeout");
        passTime(REDELIVER_AFTER.plusSeconds(1));
        List<Delivery> again = receiveAll("g", "c2");
        assertEquals(1, again.size());
        assertEquals(m, again.get(0).message());
        assertEquals(2, again.get(0).deliveryCount());
    }

    @Test
    void afterTheMaximumDeliveriesAMessageGoesToTheDeadLetters() {
        TransportMessage m = message("poison");
        transport.publish(m);
        transport.publish(message("fine"));
        int deliveries = 0;
        while (true) {
            List<Delivery> got = receiveAll("g", "c1");
            Delivery poison = got.stream().filter(d -> d.message().equals(m)).findFirst().orElse(null);
            got.stream().filter(d -> !d.message().equals(m)).forEach(Delivery::ack);
            if (poison == null) break;
            deliveries++;
            assertEquals(deliveries, poison.deliveryCount());
            poison.reject("cannot handle");
            assertTrue(deliveries <= MAX_DELIVERIES, "delivered more than " + MAX_DELIVERIES + " times");
        }
        assertEquals(MAX_DELIVERIES, deliveries);
        assertEquals(List.of(m), transport.deadLetters("g"));
        assertEquals(List.of(), transport.deadLetters("other-group"));
    }

    @Test
    void receiveWaitsForAPublish() throws Exception {
        CountDownLatch receiving = new CountDownLatch(1);
        AtomicReference<List<Delivery>> got = new AtomicReference<>();
        Thread consumer = Thread.ofVirtual().start(() -> {
            receiving.countDown();
            got.set(transport.receive("g", "c1", 10, Duration.ofSeconds(20)));
        });
        assertTrue(receiving.await(20, TimeUnit.SECONDS));
        TransportMessage m = message("late");
        transport.publish(m);
        consumer.join(Duration.ofSeconds(20));
        assertFalse(consumer.isAlive());
        assertEquals(List.of(m), got.get().stream().map(Delivery::message).toList());
    }

    @Test
    void receiveWithoutMessagesReturnsNothingOnceTheWaitIsOver() {
        assertEquals(List.of(), transport.receive("g", "c1", 10, Duration.ZERO));
        assertEquals(List.of(), transport.receive("g", "c1", 10, Duration.ofMillis(20)));
    }

    @Test
    void aWaitingReceiveIsACancellationPoint() {
        // Returns at once rather than after the ten minutes the receive would wait (S1, S3).
        AtomicReference<Task<?>> receiver = new AtomicReference<>();
        Scope.run(scope -> {
            CountDownLatch receiving = new CountDownLatch(1);
            receiver.set(scope.fork(() -> {
                receiving.countDown();
                return transport.receive("g", "c1", 10, Duration.ofMinutes(10));
            }));
            assertTrue(receiving.await(20, TimeUnit.SECONDS));
            scope.cancel("test over");
            return null;
        });
        assertEquals(TaskState.CANCELLED, receiver.get().state());
        Thread.interrupted();
    }

    @Test
    void aClosedTransportRefusesPublishAndReceive() {
        transport.close();
        transport.close(); // idempotent
        assertThrows(TransportClosedException.class, () -> transport.publish(message("x")));
        assertThrows(TransportClosedException.class, () -> transport.receive("g", "c1", 1, Duration.ZERO));
    }

    @Test
    void manyPublishersLoseNothing() throws Exception {
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            ts.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 250; i++) transport.publish(message("x"));
            }));
        }
        for (Thread t : ts) t.join();
        Set<String> ids = new HashSet<>();
        List<Delivery> got;
        while (!(got = transport.receive("g", "c1", 64, Duration.ZERO)).isEmpty()) {
            for (Delivery d : got) {
                assertTrue(ids.add(d.message().id()));
                d.ack();
            }
        }
        assertEquals(1000, ids.size());
        assertNotEquals(null, transport.name());
    }
}
