package dev.weft.events;

import dev.weft.RetryPolicy;
import static dev.weft.events.Support.await;
import static dev.weft.events.Support.idle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.FakeClock;
import dev.weft.events.Support.NestFound;
import dev.weft.events.Support.OrderPlaced;
import dev.weft.events.Support.SightingReported;
import dev.weft.events.Support.Wildlife;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** E5: matching, sync and async handlers, per-handler order, isolation, retries with backoff, dead letters. */
class HandlersTest {

    private final FakeClock clock = new FakeClock();

    private EventBus.Builder builder() {
        return EventBus.builder().declare(SightingReported.class).declare(NestFound.class).declare(OrderPlaced.class).clock(clock);
    }

    @Test
    void e5_handlersMatchByTypeSupertypeSealedInterfaceAndNamePattern() throws Exception {
        EventBus bus = builder().defaultHandlerMode(HandlerMode.SYNC).build();
        List<String> log = new CopyOnWriteArrayList<>();
        bus.subscribe(NestFound.class, n -> log.add("type:" + n.species()));
        bus.subscribe(Wildlife.class, w -> log.add("sealed:" + w.getClass().getSimpleName()));
        bus.subscribe(Record.class, r -> log.add("record:" + r.getClass().getSimpleName()));
        bus.subscribe("sighting.*", e -> log.add("pattern:" + e.name()));
        bus.subscribe("*", e -> log.add("all:" + e.name()));
        bus.emit(new NestFound("owl"));
        bus.emit(new SightingReported("kite", 2));
        bus.emit(new OrderPlaced("o-1"));
        assertThat(log).containsExactly(
                "type:owl", "sealed:NestFound", "record:NestFound", "all:nest.found",
                "sealed:SightingReported", "record:SightingReported", "pattern:sighting.reported", "all:sighting.reported",
                "record:OrderPlaced", "all:order.placed");
    }

    @Test
    void e5_syncHandlersRunOnTheEmittingThreadAsyncOnesOnVirtualThreads() throws Exception {
        EventBus bus = builder().build();
        AtomicReference<Thread> sync = new AtomicReference<>();
        AtomicReference<Thread> async = new AtomicReference<>();
        CountDownLatch asyncRan = new CountDownLatch(1);
        bus.handler("s").sync().on(NestFound.class, n -> sync.set(Thread.currentThread()));
        bus.handler("a").async().on(NestFound.class, n -> {
            async.set(Thread.currentThread());
            asyncRan.countDown();
        });
        bus.emit(new NestFound("owl"));
        assertThat(sync.get()).isSameAs(Thread.currentThread());
        await(asyncRan);
        assertThat(async.get().isVirtual()).isTrue();
        assertThat(async.get()).isNotSameAs(Thread.currentThread());
    }

    @Test
    void e5_eachHandlerSeesEventsInOrderAndNeverConcurrentlyWithItself() throws Exception {
        EventBus bus = builder().build();
        int n = 2_000;
        List<Integer> asyncSeen = new ArrayList<>();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        bus.handler("ordered").async().on(SightingReported.class, s -> {
            if (inside.incrementAndGet() > 1) overlaps.incrementAndGet();
            asyncSeen.add(s.count()); // a plain list: safe only if never run concurrently
            inside.decrementAndGet();
        });
        for (int i = 1; i <= n; i++) bus.emit(new SightingReported("x", i));
        idle(bus);
        assertThat(overlaps).hasValue(0);
        assertThat(asyncSeen).hasSize(n);
        for (int i = 0; i < n; i++) assertThat(asyncSeen.get(i)).isEqualTo(i + 1);
    }

    @Test
    void e5_aSyncHandlerEmittedToFromManyThreadsNeverRunsConcurrentlyAndLosesNothing() throws Exception {
        EventBus bus = builder().build();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Integer> seen = new ArrayList<>();
        bus.handler("sync").sync().on(SightingReported.class, s -> {
            if (inside.incrementAndGet() > 1) overlaps.incrementAndGet();
            seen.add(s.count());
            inside.decrementAndGet();
        });
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 10_000;
            ts.add(Thread.ofVirtual().start(() -> {
                for (int i = 1; i <= 500; i++) bus.emit(new SightingReported("x", base + i));
            }));
        }
        for (Thread t : ts) t.join();
        idle(bus);
        assertThat(overlaps).hasValue(0);
        assertThat(seen).hasSize(2_000).doesNotHaveDuplicates();
        for (int t = 0; t < 4; t++) { // per emitter, in order
            int base = t * 10_000;
            List<Integer> mine = seen.stream().filter(v -> v > base && v <= base + 500).toList();
            assertThat(mine).isSorted();
        }
    }

    @Test
    void e5_aFailingHandlerDoesNotStopTheOthers_andABlockedOneDoesNotHoldThemUp() throws Exception {
        EventBus bus = builder().retry(RetryPolicy.none()).build();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blockedStarted = new CountDownLatch(1);
        List<String> log = new CopyOnWriteArrayList<>();
        bus.handler("blocks").async().on(NestFound.class, n -> {
            blockedStarted.countDown();
            await(release);
            log.add("blocked done");
        });
        bus.handler("throws").sync().on(NestFound.class, n -> {
            throw new IllegalStateException("broken handler");
        });
        CountDownLatch okRan = new CountDownLatch(2);
        bus.handler("ok-sync").sync().on(NestFound.class, n -> {
            log.add("ok-sync " + n.species());
            okRan.countDown();
        });
        bus.handler("ok-async").async().on(NestFound.class, n -> {
            log.add("ok-async " + n.species());
            okRan.countDown();
        });
        bus.emit(new NestFound("owl")); // emit itself does not throw
        await(blockedStarted);
        await(okRan); // while "blocks" is still blocked
        assertThat(log).containsExactlyInAnyOrder("ok-sync owl", "ok-async owl");
        release.countDown();
        idle(bus);
        assertThat(bus.deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.handler()).isEqualTo("throws");
            assertThat(d.error()).hasMessage("broken handler");
            assertThat(d.attempts()).isEqualTo(1);
            assertThat(d.event().payload()).isEqualTo(new NestFound("owl"));
        });
    }

    @Test
    void e5_aFailureIsRetriedWithBackoffOnTheBusClockThenDeadLettered() throws Exception {
        EventBus bus = builder().build();
        AtomicInteger tries = new AtomicInteger();
        bus.handler("flaky").async().retry(RetryPolicy.exponential(3, Duration.ofSeconds(1), Duration.ofMinutes(1)))
                .on(NestFound.class, n -> {
                    tries.incrementAndGet();
                    throw new IllegalStateException("try " + tries.get());
                });
        bus.emit(new NestFound("owl"));
        clock.awaitTimers(1);
        assertThat(tries).hasValue(1);
        assertThat(clock.pendingDelays()).containsExactly(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        clock.awaitTimers(1);
        assertThat(tries).hasValue(2);
        assertThat(clock.pendingDelays()).containsExactly(Duration.ofSeconds(2)); // doubled
        assertThat(bus.deadLetters()).isEmpty();
        clock.advance(Duration.ofSeconds(2));
        idle(bus);
        assertThat(tries).hasValue(3);
        assertThat(bus.deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.attempts()).isEqualTo(3);
            assertThat(d.error()).hasMessage("try 3");
            assertThat(d.time()).isEqualTo(clock.instant());
        });
        BusStatistics.Handler h = bus.statistics().handler("flaky");
        assertThat(h.failedAttempts()).isEqualTo(3);
        assertThat(h.retries()).isEqualTo(2);
        assertThat(h.deadLettered()).isEqualTo(1);
        assertThat(h.succeeded()).isZero();
    }

    @Test
    void e5_eventsBehindARetryWaitTheirTurnSoOrderHolds_andASucceedingRetryIsNotDeadLettered() throws Exception {
        EventBus bus = builder().build();
        List<Integer> handled = new CopyOnWriteArrayList<>();
        AtomicInteger failuresLeft = new AtomicInteger(1);
        bus.handler("h").sync().retry(RetryPolicy.exponential(3, Duration.ofMillis(500), Duration.ofSeconds(5)))
                .on(SightingReported.class, s -> {
                    if (s.count() == 1 && failuresLeft.getAndDecrement() > 0) throw new IllegalStateException("once");
                    handled.add(s.count());
                });
        bus.emit(new SightingReported("x", 1)); // fails, waits for its retry
        bus.emit(new SightingReported("x", 2)); // queued behind it, not run now
        assertThat(handled).isEmpty();
        clock.awaitTimers(1);
        clock.advance(Duration.ofMillis(500));
        idle(bus);
        assertThat(handled).containsExactly(1, 2);
        assertThat(bus.deadLetters()).isEmpty();
    }

    @Test
    void e5_deadLettersCanBeListedAndReplayed() throws Exception {
        EventBus bus = builder().retry(RetryPolicy.none()).build();
        AtomicInteger calls = new AtomicInteger();
        List<String> handled = new CopyOnWriteArrayList<>();
        bus.handler("mailer").sync().on(NestFound.class, n -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("smtp down");
            handled.add(n.species());
        });
        bus.handler("other").sync().on(NestFound.class, n -> handled.add("other " + n.species()));
        bus.emit(new NestFound("owl"));
        assertThat(handled).containsExactly("other owl");
        DeadLetter letter = bus.deadLetters().get(0);
        bus.replay(letter.id());
        idle(bus);
        assertThat(handled).as("replayed to the failed handler only").containsExactly("other owl", "owl");
        assertThat(bus.deadLetters()).isEmpty();
        assertThatThrownBy(() -> bus.replay(letter.id())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void e5_aLetterOfASwitchedOffHandlerIsNotReplayed_itStays() throws Exception {
        EventBus bus = builder().retry(RetryPolicy.none()).build();
        List<String> handled = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        bus.handler("mailer").sync().on(NestFound.class, n -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("smtp down");
            handled.add(n.species());
        });
        bus.emit(new NestFound("owl"));
        DeadLetter letter = bus.deadLetters().get(0);
        bus.disable("mailer");
        assertThatThrownBy(() -> bus.replay(letter.id())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'mailer' is switched off");
        assertThat(bus.replayAll()).isZero();
        assertThat(bus.deadLetters()).extracting(DeadLetter::id).containsExactly(letter.id());
        bus.enable("mailer");
        assertThat(bus.replayAll()).isEqualTo(1);
        idle(bus);
        assertThat(handled).containsExactly("owl");
    }

    @Test
    void e5_unsubscribeDuringDispatchAffectsLaterEventsOnly() throws Exception {
        EventBus bus = builder().defaultHandlerMode(HandlerMode.SYNC).build();
        List<String> log = new CopyOnWriteArrayList<>();
        Subscription[] second = new Subscription[1];
        bus.handler("first").on(NestFound.class, n -> {
            log.add("first " + n.species());
            second[0].close();
        });
        second[0] = bus.handler("second").on(NestFound.class, n -> log.add("second " + n.species()));
        bus.emit(new NestFound("a"));
        bus.emit(new NestFound("b"));
        assertThat(log).containsExactly("first a", "second a", "first b");
        assertThat(second[0].isActive()).isFalse();
        assertThat(bus.statistics().handlers()).extracting(BusStatistics.Handler::name).containsExactly("first");
    }

    @Test
    void e5_aHandlerThatEmitsFurtherEventsOutsideAScope() throws Exception {
        EventBus bus = builder().defaultHandlerMode(HandlerMode.SYNC).build();
        List<String> log = new CopyOnWriteArrayList<>();
        bus.subscribe(NestFound.class, n -> {
            log.add("nest " + n.species());
            bus.emit(new SightingReported(n.species(), 1));
        });
        bus.subscribe(SightingReported.class, s -> log.add("sighting " + s.species()));
        bus.emit(new NestFound("owl"));
        idle(bus);
        assertThat(log).containsExactly("nest owl", "sighting owl");
    }
}
