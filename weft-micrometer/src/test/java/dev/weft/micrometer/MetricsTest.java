package dev.weft.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.ExceptionGroup;
import dev.weft.RetryPolicy;
import dev.weft.Scope;
import dev.weft.Weft;
import dev.weft.batch.Loader;
import dev.weft.channels.Channel;
import dev.weft.events.EventBus;
import dev.weft.events.EventName;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.worker.Worker;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.test.Poll;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.core.tck.MeterRegistryAssert;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The meters' values after known work (docs/METRICS.md lists them). */
class MetricsTest {
    @EventName("sighting.reported")
    public record SightingReported(String species, int count) {}

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final WeftMicrometer weft = WeftMicrometer.builder().meterRegistry(registry).statisticsReuse(Duration.ZERO).build();

    double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    long timerCount(String name, String... tags) {
        return registry.get(name).tags(tags).timer().count();
    }

    @Test
    void scopesCountOpenedTasksByKindFailuresCancellationsAndDurationByOutcome() {
        Scope.builder().name("outer").observer(weft.scopeObserver()).run(s -> {
            s.fork(() -> 1);
            s.fork(() -> 2);
            s.forkCpu(() -> 3);
            Scope.builder().name("cut").moveOn(cut -> {
                cut.cancel("enough");
                Weft.checkpoint();
                return null;
            });
            assertThatThrownBy(() -> Scope.builder().name("failing").run(f -> {
                f.fork(() -> {
                    throw new IllegalStateException("boom");
                });
                return null;
            })).isInstanceOf(ExceptionGroup.class);
            return null;
        });

        assertThat(count("weft.scope.opened")).isEqualTo(3);
        assertThat(count("weft.scope.tasks", "kind", "virtual")).isEqualTo(3);
        assertThat(count("weft.scope.tasks", "kind", "cpu")).isEqualTo(1);
        assertThat(count("weft.scope.tasks", "kind", "process")).isZero();
        assertThat(count("weft.scope.failures")).isEqualTo(1);
        assertThat(count("weft.scope.cancellations", "reason", "requested")).isEqualTo(1);
        assertThat(count("weft.scope.cancellations", "reason", "task_failed")).isEqualTo(1);
        assertThat(timerCount("weft.scope.duration", "outcome", "value")).isEqualTo(1);
        assertThat(timerCount("weft.scope.duration", "outcome", "cut_short")).isEqualTo(1);
        assertThat(timerCount("weft.scope.duration", "outcome", "failed")).isEqualTo(1);
        assertThat(registry.get("weft.scope.open").gauge().value()).isZero();
        MeterRegistryAssert.assertThat(registry)
                .hasTimerWithNameAndTags("weft.scope.duration", Tags.of("outcome", "value"))
                .hasMeterWithNameAndTags("weft.scope.tasks", Tags.of("kind", "cpu"))
                .doesNotHaveMeterWithNameAndTagKeys("weft.scope.opened", "scope"); // no scope tag unless asked for
    }

    @Test
    void aScopeTagIsOptIn() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry(); // one WeftMicrometer per registry
        WeftMicrometer tagged = WeftMicrometer.builder().meterRegistry(registry)
                .scopeTag(s -> s.name().startsWith("import-") ? "import" : null).build();
        for (int i = 0; i < 3; i++) Scope.builder().name("import-" + i).observer(tagged.scopeObserver()).run(s -> null);
        Scope.builder().name("other").observer(tagged.scopeObserver()).run(s -> null);
        assertThat(registry.get("weft.scope.opened").tags("scope", "import").counter().count()).isEqualTo(3);
        assertThat(registry.get("weft.scope.opened").counters()).hasSize(2); // "import" and no tag
    }

    @Test
    void loaderBatchesByReasonKeysPerBatchAndTime() {
        Loader<Integer, String> users = Loader.<Integer, String>builder(keys -> {
            Map<Integer, String> m = new HashMap<>();
            for (int k : keys) m.put(k, "user-" + k);
            return m;
        }).name("users").maxBatchSize(2).listener(weft.batchListener()).build();
        weft.bindLoader(users); // the binding is dropped: the meters stay until removed
        System.gc();
        Scope.run(s -> {
            for (int i = 0; i < 3; i++) {
                int k = i;
                s.fork(() -> users.load(k));
            }
            return null;
        });
        // 3 keys, at most 2 per batch: 2 or 3 batches (FULL, then QUIESCENCE), as the loader's own statistics say.
        var stats = users.statistics();
        assertThat(stats.batches()).isBetween(2L, 3L);
        long timed = 0;
        for (var reason : dev.weft.batch.DispatchReason.values()) {
            long n = registry.find("weft.loader.batch.duration").tags("loader", "users", "outcome", "success",
                    "reason", reason.name().toLowerCase(java.util.Locale.ROOT)).timers().stream().mapToLong(t -> t.count()).sum();
            assertThat(n).as("batches sent for %s", reason).isEqualTo(stats.batches(reason));
            timed += n;
        }
        assertThat(timed).isEqualTo(stats.batches());
        var keys = registry.get("weft.loader.batch.keys").tags("loader", "users").summary();
        assertThat(keys.count()).isEqualTo(stats.batches());
        assertThat(keys.totalAmount()).isEqualTo(3);
        assertThat(keys.max()).isLessThanOrEqualTo(2);
        assertThat(registry.get("weft.loader.loads").tags("loader", "users").functionCounter().count()).isEqualTo(3);
    }

    @Test
    void theBusCountsEmittedHeldDeliveredRetriesDeadLettersAndQueueUse() throws Exception {
        EventBus bus = EventBus.builder().declare(SightingReported.class).observer(weft.eventObserver("sightings"))
                .retry(RetryPolicy.exponential(2, Duration.ZERO, Duration.ZERO)).capacity(50).build();
        weft.bindBus(bus, "sightings");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        bus.handler("slow").async().on(SightingReported.class, s -> {
            entered.countDown();
            release.await();
        });
        bus.handler("failing").sync().on(SightingReported.class, s -> {
            throw new IllegalStateException("always");
        });

        Scope.run(s -> {
            bus.emit(new SightingReported("owl", 1));
            bus.emit(new SightingReported("kite", 2));
            assertThat(fc("weft.bus.events.emitted")).isEqualTo(2);
            assertThat(gauge("weft.bus.events.held")).isEqualTo(2);
            return null;
        });
        assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();
        Poll.until(() -> gauge("weft.bus.queue.used") == 2); // both events wait for the slow handler
        assertThat(gauge("weft.bus.queue.capacity")).isEqualTo(50);
        release.countDown();
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(gauge("weft.bus.events.held")).isZero();
        assertThat(gauge("weft.bus.queue.used")).isZero();
        assertThat(fc("weft.bus.events.dispatched")).isEqualTo(2);
        assertThat(fc("weft.bus.deliveries")).isEqualTo(4);          // 2 events x 2 handlers
        assertThat(fc("weft.bus.retries")).isEqualTo(2);             // the failing handler's second try of each
        assertThat(fc("weft.bus.dead.letters")).isEqualTo(2);
        assertThat(gauge("weft.bus.dead.letters.stored")).isEqualTo(2);
        assertThat(timerCount("weft.bus.handler.duration", "bus", "sightings", "handler", "slow", "event", "sighting.reported",
                "outcome", "success")).isEqualTo(2);
        assertThat(timerCount("weft.bus.handler.duration", "bus", "sightings", "handler", "failing", "event", "sighting.reported",
                "outcome", "failure")).isEqualTo(4);
    }

    @Test
    void aHandlerTryIsTimedOnTheRegistrysClockOncePerTryWithItsOwnTimers() throws Exception {
        MockClock clock = new MockClock();
        SimpleMeterRegistry timed = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
        WeftMicrometer w = WeftMicrometer.builder().meterRegistry(timed).build();
        EventBus bus = EventBus.builder().declare(SightingReported.class).observer(w.eventObserver("sightings"))
                .retry(RetryPolicy.none()).build();
        bus.handler("fast").sync().on(SightingReported.class, s -> clock.add(Duration.ofMillis(s.count())));
        bus.handler("never").sync().on(SightingReported.class, s -> {
            clock.add(Duration.ofMillis(7));
            throw new IllegalStateException("never works");
        });
        for (int i = 1; i <= 3; i++) bus.emit(new SightingReported("owl", i));
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        var fast = timed.get("weft.bus.handler.duration").tags("handler", "fast", "outcome", "success").timer();
        assertThat(fast.count()).isEqualTo(3);
        assertThat(fast.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1 + 2 + 3);
        assertThat(fast.max(TimeUnit.MILLISECONDS)).isEqualTo(3);
        var never = timed.get("weft.bus.handler.duration").tags("handler", "never", "outcome", "failure").timer();
        assertThat(never.count()).isEqualTo(3);
        assertThat(never.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(21);
        // Each handler and event resolved its pair of timers once: success and failure, no more.
        assertThat(timed.find("weft.bus.handler.duration").timers()).hasSize(4);
    }

    @Test
    void withTheHandlerTimerOffTheBusIsStillCountedButNoTryIsTimed() throws Exception {
        WeftMicrometer w = WeftMicrometer.builder().meterRegistry(registry).statisticsReuse(Duration.ZERO).busHandlerTimer(false).build();
        EventBus bus = EventBus.builder().declare(SightingReported.class).observer(w.eventObserver("sightings")).build();
        w.bindBus(bus, "sightings");
        AtomicInteger ran = new AtomicInteger();
        bus.handler("fast").sync().on(SightingReported.class, s -> ran.incrementAndGet());
        bus.emit(new SightingReported("owl", 1));
        bus.emit(new SightingReported("kite", 2));
        assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();

        assertThat(ran).hasValue(2);
        assertThat(fc("weft.bus.deliveries")).isEqualTo(2);
        assertThat(registry.find("weft.bus.handler.duration").timers()).isEmpty();
    }

    @Test
    void theWorkerCountsHandledFailedRedeliveredDuplicatesInFlightAndHandlingTime() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        JacksonEventCodec codec = new JacksonEventCodec();
        EventBus bus = EventBus.builder().declare(SightingReported.class).codec(codec).transport(t).build();
        AtomicInteger badTries = new AtomicInteger();
        CountDownLatch inHandler = new CountDownLatch(1), release = new CountDownLatch(1);
        Worker worker = Worker.builder(t, codec).group("birders").consumer("w1").pollWait(Duration.ofMillis(20))
                .retry(RetryPolicy.exponential(1, Duration.ZERO, Duration.ZERO))
                .on(SightingReported.class, s -> {
                    if (s.species().equals("bad") && badTries.incrementAndGet() == 1) throw new IllegalStateException("first delivery fails");
                    if (s.species().equals("slow")) {
                        inHandler.countDown();
                        release.await();
                    }
                })
                .observer(weft.workerObserver()).build();
        weft.bindWorker(worker);

        bus.emit(new SightingReported("owl", 1));
        bus.emit(new SightingReported("bad", 2));
        bus.emit(new SightingReported("slow", 3));
        Scope.run(scope -> {
            scope.fork(() -> {
                worker.run();
                return null;
            });
            assertThat(inHandler.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(registry.get("weft.worker.in.flight").tags("group", "birders").gauge().value()).isPositive();
            release.countDown();
            Poll.until(() -> worker.statistics().handled() == 3);
            worker.shutdown(Duration.ofSeconds(5));
            return null;
        });

        assertThat(registry.get("weft.worker.handled").tags("group", "birders").functionCounter().count()).isEqualTo(3);
        assertThat(registry.get("weft.worker.rejected").tags("group", "birders").functionCounter().count()).isEqualTo(1);
        assertThat(registry.get("weft.worker.in.flight").tags("group", "birders").gauge().value()).isZero();
        assertThat(count("weft.worker.redelivered", "group", "birders", "event", "sighting.reported")).isEqualTo(1);
        assertThat(timerCount("weft.worker.handling.duration", "group", "birders", "event", "sighting.reported", "outcome", "handled"))
                .isEqualTo(3);
        assertThat(timerCount("weft.worker.handling.duration", "group", "birders", "event", "sighting.reported", "outcome", "rejected"))
                .isEqualTo(1);
        MeterRegistryAssert.assertThat(registry).hasMeterWithNameAndTags("weft.worker.duplicates", Tags.of("group", "birders"));
    }

    @Test
    void channelsShowTheirBufferAndWaiters() {
        Channel<String> ch = Channel.bounded(4, "jobs");
        WeftMicrometer.Binding binding = weft.bindChannel(ch);
        ch.sender().send("a");
        ch.sender().send("b");
        assertThat(registry.get("weft.channel.buffer.used").tags("channel", "jobs").gauge().value()).isEqualTo(2);
        assertThat(registry.get("weft.channel.buffer.capacity").tags("channel", "jobs").gauge().value()).isEqualTo(4);
        binding.close();
        assertThat(registry.find("weft.channel.buffer.used").gauges()).isEmpty();
    }

    @Test
    void withoutAnyRegistryTheBuilderSaysWhatToGive() {
        assertThatThrownBy(() -> WeftMicrometer.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(".meterRegistry(..)").hasMessageContaining(".observationRegistry(..)");
    }

    double fc(String name) {
        return registry.get(name).tags("bus", "sightings").functionCounter().count();
    }

    double gauge(String name) {
        return registry.get(name).tags("bus", "sightings").gauge().value();
    }
}
