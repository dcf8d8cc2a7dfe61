package dev.weft.events;

import static dev.weft.events.Support.await;
import static dev.weft.events.Support.idle;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.FakeClock;
import dev.weft.RetryPolicy;
import dev.weft.Scope;
import dev.weft.events.Support.SightingReported;
import dev.weft.events.transport.Envelope;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The bus's {@link EventObserver} (issue 14): the trace context it adds, the tries it runs around, and that it changes no outcome. */
class EventObserverTest {

    /** Records what it sees, on which thread; adds {@code seen-by} to every event's trace context. */
    static final class Recorder implements EventObserver {
        final List<String> runs = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        @Override
        public Map<String, String> trace(String event, Map<String, String> context) {
            Map<String, String> m = new HashMap<>(context);
            m.put("seen-by", "recorder:" + event);
            return m;
        }

        @Override
        public void handle(HandlerRun run) throws Exception {
            threads.add(Thread.currentThread());
            runs.add(run.handler() + " " + run.event() + " try " + run.attempt() + (run.remote() ? " remote" : "")
                    + " trace=" + run.envelope().trace());
            run.proceed();
        }
    }

    @Test
    void theObserverAddsToTheTraceContextOfEveryEventAndRunsAroundEachTryOnTheHandlersThread() throws Exception {
        Recorder recorder = new Recorder();
        FakeClock clock = new FakeClock();
        EventBus bus = EventBus.builder().declare(SightingReported.class).clock(clock).observer(recorder)
                .retry(RetryPolicy.exponential(3, Duration.ZERO, Duration.ZERO)).build();
        AtomicReference<Thread> handlerThread = new AtomicReference<>();
        AtomicReference<Map<String, String>> seenTrace = new AtomicReference<>();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        bus.handler("counter").onPattern("sighting.*", e -> {
            handlerThread.set(Thread.currentThread());
            seenTrace.set(e.trace());
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("first try fails");
            done.countDown();
        });

        Scope.builder().bind(EventBus.TRACE, Map.of("correlation-id", "r-42")).run(s -> {
            bus.emit(new SightingReported("kestrel", 2));
            return null;
        });
        await(done);
        idle(bus);

        assertThat(seenTrace.get()).containsEntry("correlation-id", "r-42").containsEntry("seen-by", "recorder:sighting.reported");
        assertThat(recorder.runs).containsExactly(
                "counter sighting.reported try 1 trace=" + seenTrace.get(),
                "counter sighting.reported try 2 trace=" + seenTrace.get());
        assertThat(recorder.threads).containsOnly(handlerThread.get());
        assertThat(bus.statistics().handler("counter").succeeded()).isEqualTo(1);
        assertThat(bus.statistics().handler("counter").failedAttempts()).isEqualTo(1);
    }

    @Test
    void aSyncHandlerRunInlineIsObservedOnTheEmittingThread() {
        Recorder recorder = new Recorder();
        EventBus bus = EventBus.builder().declare(SightingReported.class).observer(recorder).build();
        AtomicReference<Thread> handlerThread = new AtomicReference<>();
        bus.handler("inline").sync().on(SightingReported.class, s -> handlerThread.set(Thread.currentThread()));

        bus.emit(new SightingReported("owl", 1));

        assertThat(handlerThread.get()).isSameAs(Thread.currentThread());
        assertThat(recorder.threads).containsExactly(Thread.currentThread());
        assertThat(recorder.runs).singleElement().asString().startsWith("inline sighting.reported try 1 trace={seen-by=recorder:sighting.reported}");
    }

    @Test
    void anObserverThatThrowsOrSkipsTheHandlerChangesNoOutcome() throws Exception {
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler before = Thread.currentThread().getUncaughtExceptionHandler();
        Thread.currentThread().setUncaughtExceptionHandler((t, e) -> reported.add(e));
        try {
            EventBus bus = EventBus.builder().declare(SightingReported.class).observer(new EventObserver() {
                @Override
                public Map<String, String> trace(String event, Map<String, String> context) {
                    throw new IllegalStateException("trace broke");
                }

                @Override
                public void handle(HandlerRun run) {
                    if (run.handler().equals("skipped")) throw new IllegalStateException("observer broke before proceeding");
                    try {
                        run.proceed();
                    } catch (Exception handlerFailed) {
                        throw new IllegalStateException("observer replaced the handler's failure");
                    }
                }
            }).retry(RetryPolicy.exponential(1, Duration.ZERO, Duration.ZERO)).build();
            AtomicInteger skippedRan = new AtomicInteger();
            bus.handler("skipped").sync().on(SightingReported.class, s -> skippedRan.incrementAndGet());
            bus.handler("failing").sync().onPattern("*", e -> {
                throw new IllegalArgumentException("handler failed");
            });

            bus.emit(new SightingReported("owl", 1)); // the emit succeeds although trace() threw

            assertThat(skippedRan).hasValue(1);
            assertThat(bus.statistics().handler("skipped").succeeded()).isEqualTo(1);
            assertThat(bus.deadLetters()).singleElement().satisfies(l -> {
                assertThat(l.handler()).isEqualTo("failing");
                assertThat(l.error()).isInstanceOf(IllegalArgumentException.class).hasMessage("handler failed");
                assertThat(l.event().trace()).isEmpty();
            });
            assertThat(reported).extracting(Throwable::getMessage).contains("trace broke", "observer broke before proceeding",
                    "observer replaced the handler's failure");
            assertThat(reported).extracting(Throwable::getMessage).anyMatch(m -> m.contains("did not call proceed() for handler 'skipped'"));
        } finally {
            Thread.currentThread().setUncaughtExceptionHandler(before);
        }
    }

    @Test
    void envelopeIsTheEventsOwn() {
        AtomicReference<Envelope<?>> seen = new AtomicReference<>();
        EventBus bus = EventBus.builder().declare(SightingReported.class).observer(new EventObserver() {
            @Override
            public void handle(HandlerRun run) throws Exception {
                seen.set(run.envelope());
                run.proceed();
            }
        }).build();
        AtomicReference<Envelope<?>> handled = new AtomicReference<>();
        bus.handler("h").sync().onPattern("*", handled::set);
        bus.emit(new SightingReported("owl", 1));
        assertThat(seen.get()).isSameAs(handled.get());
    }
}
