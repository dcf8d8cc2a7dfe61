package dev.weft.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.RetryPolicy;
import dev.weft.events.DeadLetter;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.TransportMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rules of an {@link EncodedDeadLetterStore} (ADR 0042) as a JUnit 5 suite: extend it, say how
 * to make a store on fresh storage and how to open another one on the same storage (what a
 * restarted process would build), and each rule is checked, on the store alone and through an
 * {@link EventBus} that parks, lists and replays its dead letters there.
 *
 * <pre>{@code
 * class JdbcDeadLetterStoreH2Test extends DeadLetterStoreContract {
 *     protected EncodedDeadLetterStore create() { return JdbcDeadLetterStore.builder(ds).table("dl_" + n++).createTable(true).build(); }
 *     protected EncodedDeadLetterStore reopen(EncodedDeadLetterStore s) { return JdbcDeadLetterStore.builder(ds).table(((JdbcDeadLetterStore) s).table()).build(); }
 *     protected EventCodec codec() { return new JacksonEventCodec(); }
 * }
 * }</pre>
 *
 * <p>The rules: letters come back with every field (bytes exact, time to the millisecond), oldest
 * first, filtered by handler and cut at the limit; {@code find} keeps, {@code remove} takes once
 * (of concurrent removers exactly one gets the letter); a letter added twice is kept once; {@code purge} by handler removes exactly
 * that handler's letters; another store on the same storage sees and changes the same letters
 * (they survive a restart); concurrent writers, on one store and on two, lose nothing; bad input is
 * refused with an exception. Through a bus: failed events are parked with their handler, attempts
 * and error; a bus built after a restart lists them typed and replays exactly the one asked for,
 * to its handler only, removing the letter only once the handler is done; a replay that fails again
 * leaves one new letter; a letter the bus cannot decode stays in the store and its replay is
 * refused with the reason. Every test has a 30 s timeout.
 */
// Implementer's note. Concurrent steps are ordered with latches only; bus tests wait with
// awaitIdle, which returns when every handler is done with every event.
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class DeadLetterStoreContract {

    /** An event of the bus tests. */
    @EventName("parcel.shipped")
    public record ParcelShipped(String parcel, int items) {}

    /** Another event of the bus tests; the bus after a restart does not declare it in one test. */
    @EventName("parcel.lost")
    public record ParcelLost(String parcel) {}

    /** The store under test in the current test, from {@link #create()}. */
    protected EncodedDeadLetterStore store;
    private final List<EncodedDeadLetterStore> opened = new CopyOnWriteArrayList<>();
    private final List<EventBus> buses = new CopyOnWriteArrayList<>();

    /** For subclasses: one per store implementation (and database). */
    protected DeadLetterStoreContract() {}

    /** A store on fresh, empty storage (a table, a key of its own) for one test. */
    protected abstract EncodedDeadLetterStore create() throws Exception;

    /** Another store on the same storage as {@code store}, built as a restarted process would build it. */
    protected abstract EncodedDeadLetterStore reopen(EncodedDeadLetterStore store) throws Exception;

    /** The codec of the bus tests, e.g. weft-events-jackson's {@code JacksonEventCodec}. */
    protected abstract EventCodec codec();

    /** Releases what a store holds (connections); default: nothing. */
    protected void close(EncodedDeadLetterStore store) throws Exception {}

    @BeforeEach
    void createStore() throws Exception {
        store = create();
        opened.add(store);
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (EventBus b : buses) b.close();
        for (EncodedDeadLetterStore s : opened) close(s);
    }

    private EncodedDeadLetterStore reopened() throws Exception {
        EncodedDeadLetterStore s = reopen(store);
        opened.add(s);
        return s;
    }

    /** A letter of {@code handler} whose body is {@code body} as UTF-8. */
    protected static EncodedDeadLetter letter(String handler, String body) {
        TransportMessage m = new TransportMessage(UUID.randomUUID().toString(), "parcel.shipped", body.getBytes(StandardCharsets.UTF_8));
        return new EncodedDeadLetter(UUID.randomUUID(), handler, m, "java.lang.IllegalStateException: " + body + "\n\tat Test.run(Test.java:1)",
                2, Instant.now());
    }

    private static void assertSame(EncodedDeadLetter expected, EncodedDeadLetter actual) {
        assertEquals(expected.id(), actual.id(), "letter id");
        assertEquals(expected.handler(), actual.handler(), "handler");
        assertEquals(expected.message().id(), actual.message().id(), "event id");
        assertEquals(expected.message().name(), actual.message().name(), "event name");
        assertArrayEquals(expected.message().body(), actual.message().body(), "body bytes");
        assertEquals(expected.error(), actual.error(), "error text");
        assertEquals(expected.attempts(), actual.attempts(), "attempts");
        assertEquals(expected.time().truncatedTo(ChronoUnit.MILLIS), actual.time().truncatedTo(ChronoUnit.MILLIS), "time, to the millisecond");
    }

    private static List<UUID> ids(List<EncodedDeadLetter> letters) {
        return letters.stream().map(EncodedDeadLetter::id).toList();
    }

    // ---------------------------------------------------------------- the store alone

    @Test
    void lettersComeBackOldestFirst_withEveryField_bytesExact() {
        EncodedDeadLetter a = letter("mailer", "{\"parcel\":\"Zürich ✓ \\\"quoted\\\"\",\"items\":1}");
        EncodedDeadLetter b = letter("audit", "{\"parcel\":\"b\",\"items\":2}");
        EncodedDeadLetter c = letter("mailer", "{\"parcel\":\"c\",\"items\":3}");
        store.add(a);
        store.add(b);
        store.add(c);
        List<EncodedDeadLetter> all = store.list(null, 100);
        assertEquals(List.of(a.id(), b.id(), c.id()), ids(all), "oldest first");
        assertSame(a, all.get(0));
        assertSame(b, all.get(1));
        assertSame(a, store.find(a.id()).orElseThrow());
        assertEquals(3, store.count(null));
    }

    @Test
    void aLetterAddedTwiceIsKeptOnce() {
        EncodedDeadLetter a = letter("mailer", "{}");
        store.add(a);
        store.add(a);
        assertEquals(List.of(a.id()), ids(store.list(null, 10)));
        assertEquals(1, store.count(null));
    }

    @Test
    void listFiltersByHandler_andStopsAtTheLimit_countCountsPerHandler() {
        List<EncodedDeadLetter> mailer = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            EncodedDeadLetter m = letter("mailer", "{\"n\":" + i + "}");
            mailer.add(m);
            store.add(m);
            store.add(letter("audit", "{\"n\":" + i + "}"));
        }
        assertEquals(ids(mailer), ids(store.list("mailer", 100)));
        assertEquals(ids(mailer.subList(0, 2)), ids(store.list("mailer", 2)));
        assertEquals(3, store.list(null, 3).size());
        assertEquals(List.of(), store.list("nobody", 10));
        assertEquals(5, store.count("mailer"));
        assertEquals(5, store.count("audit"));
        assertEquals(0, store.count("nobody"));
        assertEquals(10, store.count(null));
    }

    @Test
    void findKeepsTheLetter_removeTakesItOnce() {
        EncodedDeadLetter a = letter("mailer", "{}");
        EncodedDeadLetter b = letter("mailer", "{}");
        store.add(a);
        store.add(b);
        assertTrue(store.find(a.id()).isPresent());
        assertTrue(store.find(a.id()).isPresent(), "find leaves it");
        assertSame(a, store.remove(a.id()).orElseThrow());
        assertEquals(Optional.empty(), store.remove(a.id()), "removed once");
        assertEquals(Optional.empty(), store.find(a.id()));
        assertEquals(Optional.empty(), store.remove(UUID.randomUUID()), "an unknown id is nothing, not an error");
        assertEquals(List.of(b.id()), ids(store.list(null, 10)));
    }

    @Test
    void ofConcurrentRemoversOfOneLetter_exactlyOneGetsIt() throws Exception {
        EncodedDeadLetterStore other = reopened();
        for (int round = 0; round < 5; round++) {
            EncodedDeadLetter l = letter("mailer", "{\"round\":" + round + "}");
            store.add(l);
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger got = new AtomicInteger();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                EncodedDeadLetterStore s = i % 2 == 0 ? store : other;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        if (s.remove(l.id()).isPresent()) got.incrementAndGet();
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) t.join();
            assertEquals(List.of(), failures);
            assertEquals(1, got.get(), "round " + round + ": removers that got the letter");
        }
        assertEquals(0, store.count(null));
    }

    @Test
    void purgeByHandler_removesExactlyThatHandlersLetters() {
        store.add(letter("mailer", "{}"));
        store.add(letter("mailer", "{}"));
        EncodedDeadLetter audit = letter("audit", "{}");
        store.add(audit);
        EncodedDeadLetter transport = letter("transport:redis", "{}");
        store.add(transport);
        assertEquals(2, store.purge("mailer"));
        assertEquals(0, store.purge("mailer"));
        assertEquals(List.of(audit.id(), transport.id()), ids(store.list(null, 10)));
        assertEquals(2, store.purge(null));
        assertEquals(0, store.count(null));
    }

    @Test
    void lettersSurviveARestart_anotherStoreOnTheSameStorageSeesAndChangesThem() throws Exception {
        EncodedDeadLetter a = letter("mailer", "{\"a\":1}");
        EncodedDeadLetter b = letter("audit", "{\"b\":2}");
        store.add(a);
        store.add(b);
        EncodedDeadLetterStore after = reopened();
        List<EncodedDeadLetter> seen = after.list(null, 10);
        assertEquals(List.of(a.id(), b.id()), ids(seen));
        assertSame(a, seen.get(0));
        assertSame(b, after.remove(b.id()).orElseThrow());
        assertEquals(List.of(a.id()), ids(store.list(null, 10)), "the first store sees the removal");
        EncodedDeadLetter c = letter("mailer", "{\"c\":3}");
        after.add(c);
        assertEquals(List.of(a.id(), c.id()), ids(store.list("mailer", 10)));
    }

    @Test
    void concurrentWritersLoseNothing_onOneStoreAndOnTwo() throws Exception {
        EncodedDeadLetterStore other = reopened();
        int writers = 6, each = 40;
        CountDownLatch go = new CountDownLatch(1);
        Map<Integer, List<UUID>> written = new ConcurrentHashMap<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            EncodedDeadLetterStore s = w % 2 == 0 ? store : other;
            threads.add(Thread.ofPlatform().start(() -> {
                List<UUID> mine = new ArrayList<>();
                try {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        EncodedDeadLetter l = letter("writer-" + writer, "{\"i\":" + i + "}");
                        s.add(l);
                        mine.add(l.id());
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
                written.put(writer, mine);
            }));
        }
        go.countDown();
        for (Thread t : threads) t.join();
        assertEquals(List.of(), failures);
        assertEquals(writers * each, store.count(null));
        List<UUID> all = ids(store.list(null, Integer.MAX_VALUE));
        assertEquals(writers * each, new HashSet<>(all).size(), "every letter once");
        for (int w = 0; w < writers; w++) {
            assertEquals(written.get(w), ids(store.list("writer-" + w, Integer.MAX_VALUE)), "writer " + w + ": all, in its order");
        }
    }

    @Test
    void badInputIsRefused() {
        assertThrows(NullPointerException.class, () -> store.add(null));
        assertThrows(IllegalArgumentException.class, () -> store.list(null, 0));
        assertThrows(IllegalArgumentException.class, () -> store.list("mailer", -1));
        assertThrows(NullPointerException.class, () -> store.find(null));
        assertThrows(NullPointerException.class, () -> store.remove(null));
        TransportMessage m = new TransportMessage("e1", "parcel.shipped", new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> new EncodedDeadLetter(UUID.randomUUID(), " ", m, "e", 1, Instant.now()));
        assertThrows(IllegalArgumentException.class, () -> new EncodedDeadLetter(UUID.randomUUID(), "h", m, "e", 0, Instant.now()));
        assertEquals(0, store.count(null), "nothing was stored");
    }

    @Test
    void errorTextIsKeptUpToItsLimit() {
        String longError = "java.lang.IllegalStateException: long\n" + "\tat X.y(X.java:1)\n".repeat(1000);
        EncodedDeadLetter l = new EncodedDeadLetter(UUID.randomUUID(), "mailer", letter("mailer", "{}").message(), longError, 3, Instant.now());
        assertEquals(EncodedDeadLetter.MAX_ERROR_CHARS, l.error().length());
        store.add(l);
        assertEquals(l.error(), store.find(l.id()).orElseThrow().error());
        assertEquals("java.lang.IllegalStateException: long", store.find(l.id()).orElseThrow().errorSummary());
    }

    // ---------------------------------------------------------------- through a bus

    private EventBus bus(EncodedDeadLetterStore s, boolean declareLost) {
        EventBus.Builder b = EventBus.builder().declare(ParcelShipped.class).codec(codec()).deadLetters(s).retry(RetryPolicy.none());
        if (declareLost) b.declare(ParcelLost.class);
        EventBus bus = b.build();
        buses.add(bus);
        return bus;
    }

    private static void idle(EventBus bus) throws InterruptedException {
        assertTrue(bus.awaitIdle(Duration.ofSeconds(20)), "bus idle");
    }

    @Test
    void aBusParksFailedEvents_andABusAfterARestartListsThemTyped_andReplaysExactlyTheOneAsked() throws Exception {
        EventBus before = bus(store, true);
        before.handler("mailer").sync().on(ParcelShipped.class, p -> {
            throw new IllegalStateException("smtp refused " + p.parcel());
        });
        before.handler("audit").sync().on(ParcelShipped.class, p -> {
            throw new IllegalArgumentException("audit down");
        });
        for (int i = 1; i <= 3; i++) before.emit(new ParcelShipped("p" + i, i));
        idle(before);
        before.close();
        assertEquals(3, store.count("mailer"));
        assertEquals(3, store.count("audit"));

        EncodedDeadLetterStore restarted = reopened();
        EventBus after = bus(restarted, true);
        List<String> mailed = new CopyOnWriteArrayList<>();
        List<String> audited = new CopyOnWriteArrayList<>();
        Set<UUID> mailedIds = ConcurrentHashMap.newKeySet();
        after.handler("mailer").sync().onPattern("parcel.*", e -> {
            mailed.add(((ParcelShipped) e.payload()).parcel());
            mailedIds.add(e.id());
        });
        after.handler("audit").sync().on(ParcelShipped.class, p -> audited.add(p.parcel()));

        List<DeadLetter> letters = after.deadLetters();
        assertEquals(6, letters.size());
        assertEquals(6, after.statistics().deadLetters());
        DeadLetter second = letters.stream().filter(l -> l.handler().equals("mailer") && ((ParcelShipped) l.event().payload()).parcel().equals("p2"))
                .findFirst().orElseThrow();
        assertEquals(new ParcelShipped("p2", 2), second.event().payload());
        assertEquals("parcel.shipped", second.event().name());
        assertEquals(1, second.attempts());
        assertEquals("java.lang.IllegalStateException: smtp refused p2", second.error().getMessage());

        after.replay(second.id());
        idle(after);
        assertEquals(List.of("p2"), mailed, "exactly the replayed event, to its handler");
        assertEquals(Set.of(second.event().id()), mailedIds, "with the event's own id");
        assertEquals(List.of(), audited, "no other handler");
        assertEquals(Optional.empty(), store.find(second.id()), "gone once handled");
        assertEquals(5, store.count(null));
        assertThrows(IllegalArgumentException.class, () -> after.replay(second.id()));

        assertEquals(3, store.purge("audit"), "purge by handler");
        assertEquals(2, after.replayAll());
        idle(after);
        assertEquals(Set.of("p1", "p2", "p3"), new HashSet<>(mailed));
        assertEquals(0, store.count(null));
        assertEquals(List.of(), audited);
    }

    @Test
    void aReplayKeepsTheLetterUntilItsHandlerIsDone() throws Exception {
        EventBus bus = bus(store, false);
        CountDownLatch running = new CountDownLatch(1), release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        bus.handler("slow").async().on(ParcelShipped.class, p -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("first try fails");
            running.countDown();
            release.await();
        });
        bus.emit(new ParcelShipped("p", 1));
        idle(bus);
        UUID id = store.list(null, 1).get(0).id();
        bus.replay(id);
        assertTrue(running.await(20, TimeUnit.SECONDS));
        assertTrue(store.find(id).isPresent(), "kept while the handler runs: a crash now loses nothing");
        assertThrows(IllegalArgumentException.class, () -> bus.replay(id), "not replayed twice at once");
        release.countDown();
        idle(bus);
        assertEquals(Optional.empty(), store.find(id));
        assertEquals(2, calls.get());
    }

    @Test
    void aReplayThatFailsAgainLeavesOneNewLetter() throws Exception {
        EventBus bus = bus(store, false);
        bus.handler("mailer").sync().on(ParcelShipped.class, p -> {
            throw new IllegalStateException("still down");
        });
        bus.emit(new ParcelShipped("p", 1));
        idle(bus);
        EncodedDeadLetter first = store.list(null, 10).get(0);
        bus.replay(first.id());
        idle(bus);
        List<EncodedDeadLetter> now = store.list(null, 10);
        assertEquals(1, now.size(), "one letter for the event");
        assertNotEquals(first.id(), now.get(0).id());
        assertEquals(first.message().id(), now.get(0).message().id(), "the same event");
    }

    @Test
    void aLetterTheBusCannotDecodeStaysInTheStore_andItsReplayIsRefusedWithTheReason() throws Exception {
        EventBus before = bus(store, true);
        before.handler("finder").sync().on(ParcelLost.class, p -> {
            throw new IllegalStateException("no one looks");
        });
        before.emit(new ParcelLost("p9"));
        idle(before);
        UUID id = store.list(null, 1).get(0).id();

        EventBus after = bus(reopened(), false); // no longer declares parcel.lost
        after.handler("finder").sync().on(ParcelShipped.class, p -> {});
        assertEquals(List.of(), after.deadLetters(), "not listed by a bus that cannot decode it");
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> after.replay(id));
        assertTrue(refused.getMessage().contains("cannot decode") && refused.getMessage().contains("parcel.lost"), refused.getMessage());
        assertTrue(store.find(id).isPresent(), "it stays");
        assertEquals(0, after.replayAll());
        assertTrue(store.find(id).isPresent(), "replayAll leaves it too");
        assertThrows(IllegalArgumentException.class, () -> after.replay(UUID.randomUUID()));
    }

    @Test
    void aLetterWhoseHandlerIsGoneOrSwitchedOffStays_andABusNeedsACodecForADurableStore() throws Exception {
        EventBus before = bus(store, false);
        before.handler("gone").sync().on(ParcelShipped.class, p -> {
            throw new IllegalStateException("x");
        });
        before.emit(new ParcelShipped("p", 1));
        idle(before);
        UUID id = store.list(null, 1).get(0).id();
        EventBus after = bus(reopened(), false);
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> after.replay(id));
        assertTrue(refused.getMessage().contains("'gone'"), refused.getMessage());
        assertTrue(store.find(id).isPresent());
        after.handler("gone").sync().on(ParcelShipped.class, p -> {});
        after.disable("gone");
        IllegalStateException off = assertThrows(IllegalStateException.class, () -> after.replay(id));
        assertTrue(off.getMessage().contains("switched off"), off.getMessage());
        assertTrue(store.find(id).isPresent(), "a switched-off handler would skip it: it stays");
        IllegalStateException noCodec = assertThrows(IllegalStateException.class,
                () -> EventBus.builder().declare(ParcelShipped.class).deadLetters(store).build());
        assertTrue(noCodec.getMessage().contains("codec"), noCodec.getMessage());
        assertFalse(noCodec.getMessage().isBlank());
    }
}
