package dev.weft.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TaskState;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rules every {@link Transport} has, whatever it promises about redelivery, as a JUnit 5
 * suite: extend it, say how to make your transport, and each rule is checked. A transport that
 * also redelivers (at least once) extends {@link AtLeastOnceTransportContract} instead, which adds
 * those rules; an at-most-once transport (pub/sub broadcast) extends this one.
 *
 * <p>The rules: published messages arrive in publish order with their id, name and body;
 * {@code receive} hands out at most {@code max}; every group that has joined gets every message;
 * within a group each message goes to one consumer; {@code ack} is idempotent and an acknowledged
 * message is not delivered again; a receive waits for a publish and is a cancellation point; a
 * closed transport refuses publish and receive; concurrent publishers lose nothing.
 *
 * <pre>{@code
 * class RedisBroadcastContractTest extends TransportContract {
 *     protected Transport create(Settings s) { return RedisBroadcast.builder(uri).channel("test:" + UUID.randomUUID()).build(); }
 * }
 * }</pre>
 *
 * <p>Each test gets a fresh transport from {@link #create(Settings)} (with a fresh
 * {@link FakeClock} in the settings) and closes it afterwards. It is fair to brokers whose groups
 * start when first used and whose messages arrive asynchronously: every test first
 * {@linkplain #join(String) joins} the groups it reads before it publishes, and reads with a
 * bounded wait ({@link #arrivalWait()}) until what it expects has arrived. To see that nothing
 * else arrives (no loss, no duplicate, no reordering) without guessing how long to wait, it
 * publishes a <em>fence</em> message and reads up to it ({@link #drain(String, String)}): a
 * transport that keeps publish order hands out everything published before the fence first.
 * Every test has a 30 s timeout ({@link Timeout} on this class, inherited), so a transport that
 * hangs fails instead of hanging the build.
 */
// Implementer's note. Fences are ordinary messages named FENCE; a drain acknowledges the fences it
// meets (its own and those other drains left in this group), so they never count as deliveries.
// Waits are bounded receives, never sleeps: a correct transport returns as soon as the message is
// there, and only a broken one costs the whole arrivalWait().
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
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

    /** The name of the fence messages {@link #drain(String, String)} publishes. */
    protected static final String FENCE = "contract.fence";

    /** The transport under test in the current test. */
    protected Transport transport;
    /** The clock given to it. */
    protected FakeClock clock;

    /** For subclasses: one per transport under test. */
    protected TransportContract() {}

    /** A new, empty transport with these settings. */
    protected abstract Transport create(Settings settings) throws Exception;

    /** Lets {@code d} pass for the transport; default: advances the fake clock. */
    protected void passTime(Duration d) throws Exception {
        clock.advance(d);
    }

    /**
     * Makes {@code group} exist before the test publishes, so it gets what is published next.
     * Default: a receive with {@code Duration.ZERO} that must hand out nothing (a pub/sub transport
     * subscribes the group then; a transport with durable groups creates it).
     */
    protected void join(String group) {
        assertEquals(List.of(), transport.receive(group, "joining", 1, Duration.ZERO),
                "group '" + group + "' had messages before anything was published");
    }

    /** How long a published message may take to arrive; default 10 s. Only a broken transport waits it out. */
    protected Duration arrivalWait() {
        return Duration.ofSeconds(10);
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

    /** A new message named {@code test.event} with a random id and {@code text} as its body. */
    protected static TransportMessage message(String text) {
        return new TransportMessage(UUID.randomUUID().toString(), "test.event", text.getBytes(StandardCharsets.UTF_8));
    }

    /** The body of {@code d} as text. */
    protected static String text(Delivery d) {
        return new String(d.message().body(), StandardCharsets.UTF_8);
    }

    /** The bodies of {@code ds} as text, in order. */
    protected static List<String> texts(List<Delivery> ds) {
        return ds.stream().map(TransportContract::text).toList();
    }

    /**
     * Receives until exactly {@code n} deliveries arrived, waiting up to {@link #arrivalWait()} in
     * all; every receive asks for what is still missing and must not hand out more. Fences of
     * earlier drains are acknowledged and skipped.
     */
    protected final List<Delivery> receiveExactly(String group, String consumer, int n) {
        List<Delivery> out = new ArrayList<>();
        long deadline = System.nanoTime() + arrivalWait().toNanos();
        while (out.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) fail("group '" + group + "': " + out.size() + " of " + n + " messages arrived within " + arrivalWait() + ": " + out);
            int max = n - out.size();
            List<Delivery> got = transport.receive(group, consumer, max, Duration.ofNanos(left));
            assertTrue(got.size() <= max, "receive(max " + max + ") handed out " + got.size());
            for (Delivery d : got) {
                if (FENCE.equals(d.message().name())) d.ack();
                else out.add(d);
            }
        }
        return out;
    }

    /**
     * Publishes a fence and receives up to it: returns, in order, every delivery handed out to
     * {@code consumer} of {@code group} before the fence. Fails if the fence does not arrive within
     * {@link #arrivalWait()}, or if anything is handed out after it in the same batch (nothing was
     * published after it). The fences met are acknowledged and not returned.
     */
    protected final List<Delivery> drain(String group, String consumer) {
        TransportMessage fence = new TransportMessage(UUID.randomUUID().toString(), FENCE, new byte[0]);
        transport.publish(fence);
        List<Delivery> before = new ArrayList<>();
        long deadline = System.nanoTime() + arrivalWait().toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) fail("group '" + group + "': the fence published after the test's messages did not arrive within " + arrivalWait() + "; before it: " + before);
            List<Delivery> got = transport.receive(group, consumer, 100, Duration.ofNanos(left));
            assertTrue(got.size() <= 100, "receive(max 100) handed out " + got.size());
            for (int i = 0; i < got.size(); i++) {
                Delivery d = got.get(i);
                if (d.message().id().equals(fence.id())) {
                    d.ack();
                    assertEquals(List.of(), got.subList(i + 1, got.size()), "handed out after the fence, though published before it");
                    return before;
                }
                if (FENCE.equals(d.message().name())) d.ack(); // an earlier drain's fence
                else before.add(d);
            }
        }
    }

    @Test
    void publishedMessagesAreReceivedInOrderWithIdNameAndBody() {
        join("g");
        TransportMessage a = message("a"), b = message("b"), c = message("c");
        transport.publish(a);
        transport.publish(b);
        transport.publish(c);
        List<Delivery> got = drain("g", "c1");
        assertEquals(List.of(a, b, c), got.stream().map(Delivery::message).toList());
        for (Delivery d : got) assertEquals(1, d.deliveryCount());
    }

    @Test
    void receiveHandsOutAtMostMax() {
        join("g");
        for (int i = 0; i < 5; i++) transport.publish(message("m" + i));
        assertEquals(List.of(), transport.receive("g", "c1", 0, Duration.ZERO));
        List<Delivery> first = receiveExactly("g", "c1", 2); // each receive asked for at most what was missing
        List<Delivery> rest = receiveExactly("g", "c1", 3);
        assertEquals(List.of("m0", "m1"), texts(first));
        assertEquals(List.of("m2", "m3", "m4"), texts(rest));
        assertEquals(List.of(), drain("g", "c1"));
    }

    @Test
    void everyGroupGetsEveryMessage() {
        join("audit");
        join("mail");
        transport.publish(message("a"));
        transport.publish(message("b"));
        assertEquals(List.of("a", "b"), texts(drain("audit", "c1")));
        assertEquals(List.of("a", "b"), texts(drain("mail", "c1")));
    }

    @Test
    void withinAGroupEachMessageGoesToOneConsumer() {
        join("g");
        for (int i = 0; i < 10; i++) transport.publish(message("m" + i));
        List<Delivery> one = receiveExactly("g", "c1", 4);
        List<Delivery> two = drain("g", "c2");
        Set<String> ids = new HashSet<>();
        for (Delivery d : one) assertTrue(ids.add(d.message().id()));
        for (Delivery d : two) assertTrue(ids.add(d.message().id()), "handed to two consumers: " + d.message());
        assertEquals(10, ids.size());
        assertEquals(List.of(), drain("g", "c1"), "c2's messages handed to c1 too");
    }

    @Test
    void acknowledgedMessagesAreNotDeliveredAgain() throws Exception {
        join("g");
        transport.publish(message("a"));
        Delivery d = receiveExactly("g", "c1", 1).get(0);
        d.ack();
        d.ack(); // idempotent
        d.reject("too late"); // ignored after ack
        passTime(REDELIVER_AFTER.multipliedBy(2));
        assertEquals(List.of(), drain("g", "c1"));
        assertEquals(List.of(), drain("g", "c2"));
    }

    @Test
    void receiveWaitsForAPublish() throws Exception {
        join("g");
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
        join("g");
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
        join("g");
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String publisher = "p" + t;
            ts.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 250; i++) transport.publish(message(publisher + " " + i));
            }));
        }
        for (Thread t : ts) t.join();
        Set<String> ids = new HashSet<>();
        Map<String, Integer> last = new HashMap<>();
        for (Delivery d : drain("g", "c1")) {
            assertTrue(ids.add(d.message().id()), "delivered twice: " + d.message());
            String[] publisherAndIndex = text(d).split(" ");
            int i = Integer.parseInt(publisherAndIndex[1]);
            Integer before = last.put(publisherAndIndex[0], i);
            assertTrue(before == null || before < i, publisherAndIndex[0] + "'s message " + i + " came after its message " + before);
            d.ack();
        }
        assertEquals(1000, ids.size());
        assertNotEquals(null, transport.name());
    }
}
