package dev.weft.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.ExceptionGroup;
import dev.weft.Scope;
import dev.weft.events.EventBus;
import dev.weft.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The recording bus: which events, in what order, with what payload; deterministic; the fake clock drives retries. */
class RecordingBusTest {

    record SightingReported(String species, int count) {}

    record NestFound(String species) {}

    /** Code under test: reports a sighting inside its own request scope. */
    static final class SightingService {
        final EventBus bus;

        SightingService(EventBus bus) {
            this.bus = bus;
        }

        void report(String species, int count) {
            EventBus.unitOfWork("report").run(scope -> {
                bus.emit(new SightingReported(species, count));
                if (count > 5) bus.emit(new NestFound(species));
                if (count < 0) throw new IllegalArgumentException("negative count");
                return null;
            });
        }
    }

    private final RecordingBus events = RecordingBus.builder().declare(SightingReported.class).declare(NestFound.class).build();
    private final SightingService service = new SightingService(events.bus());

    @Test
    void recordsWhichEventsInWhatOrderWithWhatPayload_withoutWaiting() {
        service.report("kestrel", 2);
        service.report("owl", 7);
        events.assertDispatched(new SightingReported("kestrel", 2), new SightingReported("owl", 7), new NestFound("owl"));
        events.assertDispatchedInOrder(new SightingReported("kestrel", 2), new NestFound("owl"));
        assertThat(events.assertDispatched(NestFound.class, 1)).containsExactly(new NestFound("owl"));
        assertThat(events.assertAnyDispatched(SightingReported.class, s -> s.count() > 5).species()).isEqualTo("owl");
        assertThat(events.named("nest.*")).hasSize(1);
        assertThat(events.events().get(0).time()).isEqualTo(events.clock().instant());
    }

    @Test
    void aFailedRequestDispatchesNothing() {
        assertThatThrownBy(() -> service.report("kestrel", -1)).isInstanceOf(ExceptionGroup.class);
        events.assertNothingDispatched();
    }

    @Test
    void assertionsSayWhatWasExpectedAndWhatHappened() {
        service.report("kestrel", 2);
        assertThatThrownBy(() -> events.assertDispatched(new SightingReported("kestrel", 3)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("count=3").hasMessageContaining("count=2");
        assertThatThrownBy(events::assertNothingDispatched).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> events.assertDispatchedInOrder(new NestFound("x"))).isInstanceOf(AssertionError.class);
        events.clear();
        events.assertNothingDispatched();
    }

    @Test
    void handlersRunOnTheCallingThreadAndRetriesRunWhenTheFakeClockIsAdvanced() {
        RecordingBus rec = RecordingBus.builder().declare(NestFound.class)
                .configure(b -> b.retry(RecordingBusTest.retryTwiceAfterOneSecond())).build();
        AtomicInteger calls = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        rec.bus().handler("flaky").async() // async is run synchronously in deterministic mode
                .on(NestFound.class, n -> {
                    threads.add(Thread.currentThread());
                    if (calls.incrementAndGet() == 1) throw new IllegalStateException("first try fails");
                });
        Scope.run(scope -> {
            rec.bus().emit(new NestFound("owl"));
            return null;
        });
        assertThat(calls).hasValue(1); // already ran, before Scope.run returned
        assertThat(rec.clock().pendingDelays()).containsExactly(Duration.ofSeconds(1));
        rec.clock().advance(Duration.ofSeconds(1)); // the retry runs inside advance
        assertThat(calls).hasValue(2);
        assertThat(threads).containsOnly(Thread.currentThread());
        rec.assertNoDeadLetters();
    }

    static RetryPolicy retryTwiceAfterOneSecond() {
        return RetryPolicy.exponential(2, Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @Test
    void realThreadsModeWithAwaitIdle() {
        RecordingBus rec = RecordingBus.builder().declare(NestFound.class).realThreads().build();
        Scope.run(scope -> {
            rec.bus().emit(new NestFound("owl"));
            return null;
        });
        rec.awaitIdle();
        rec.assertDispatched(new NestFound("owl"));
    }
}
