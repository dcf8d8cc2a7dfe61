package dev.weft.test;

import dev.weft.FakeClock;
import dev.weft.events.transport.Envelope;
import dev.weft.events.EventBus;
import dev.weft.events.EventType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * An {@link EventBus} for tests that records every event it dispatches, with assertions, in a
 * deterministic mode (every handler runs on the calling thread; events a scope held are
 * dispatched as the scope ends; retries run inside {@link FakeClock#advance}), on a
 * {@link FakeClock}. So tests of code that emits events need no sleeps and no waiting.
 *
 * <pre>{@code
 * RecordingBus events = RecordingBus.builder().declare(SightingReported.class).build();
 * SightingService service = new SightingService(events.bus());
 *
 * service.report("kestrel", 2);                       // emits inside its own scope
 * events.assertDispatched(new SightingReported("kestrel", 2));
 *
 * assertThrows(ExceptionGroup.class, () -> service.report("kestrel", -1));  // fails mid-request
 * events.assertNothingDispatched();                    // nothing left the failed request
 * }</pre>
 *
 * <p>What is recorded is what handlers see, in dispatch order: an event held by a scope that
 * failed is never recorded. Assertions throw {@link AssertionError} with both lists in the
 * message. Thread-safe; with {@link Builder#realThreads()} the bus runs as in production and
 * {@link #awaitIdle()} waits for it.
 */
public final class RecordingBus {

    /** The name of the recording handler on the bus (it shows in the bus's statistics). */
    public static final String RECORDER = "weft-test-recorder";

    private final EventBus bus;
    private final FakeClock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Envelope<?>> events = new ArrayList<>();

    private RecordingBus(Builder b) {
        this.clock = b.clock;
        EventBus.Builder eb = EventBus.builder().clock(clock);
        if (!b.realThreads) eb.synchronous();
        for (EventType<?> t : b.types) eb.declare(t);
        for (Consumer<EventBus.Builder> c : b.config) c.accept(eb);
        this.bus = eb.build();
        bus.handler(RECORDER).sync().onPattern("*", this::record);
    }

    /** A builder: declare the event types as you would on the real bus. */
    public static Builder builder() {
        return new Builder();
    }

    private void record(Envelope<?> e) {
        lock.lock();
        try {
            events.add(e);
        } finally {
            lock.unlock();
        }
    }

    /** The bus to give to the code under test. */
    public EventBus bus() {
        return bus;
    }

    /** The bus's clock: advance it to run retries and anything else scheduled. */
    public FakeClock clock() {
        return clock;
    }

    /** Every event dispatched so far, in order. */
    public List<Envelope<?>> events() {
        lock.lock();
        try {
            return List.copyOf(events);
        } finally {
            lock.unlock();
        }
    }

    /** The payloads of every event dispatched so far, in order. */
    public List<Object> payloads() {
        return events().stream().<Object>map(Envelope::payload).toList();
    }

    /** The payloads of type {@code type} (or a subtype), in order. */
    public <T> List<T> payloads(Class<T> type) {
        return events().stream().map(Envelope::payload).filter(type::isInstance).map(type::cast).toList();
    }

    /** The events whose name matches {@code pattern} ({@code *} matches any characters), in order. */
    public List<Envelope<?>> named(String pattern) {
        String regex = Arrays.stream(pattern.split("\\*", -1)).map(java.util.regex.Pattern::quote)
                .reduce((a, b) -> a + ".*" + b).orElse("");
        return events().stream().filter(e -> e.name().matches(regex)).toList();
    }

    /** Forgets what was recorded. */
    public void clear() {
        lock.lock();
        try {
            events.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Asserts that exactly these payloads were dispatched, in this order. */
    public void assertDispatched(Object... payloads) {
        List<Object> expected = Arrays.asList(payloads);
        List<Object> actual = payloads();
        if (!actual.equals(expected)) {
            throw new AssertionError("expected exactly these events, in order:\n  " + expected + "\nbut the bus dispatched:\n  " + actual);
        }
    }

    /** Asserts that these payloads were dispatched in this order, possibly with others between and around them. */
    public void assertDispatchedInOrder(Object... payloads) {
        List<Object> actual = payloads();
        int i = 0;
        for (Object p : actual) {
            if (i < payloads.length && Objects.equals(p, payloads[i])) i++;
        }
        if (i < payloads.length) {
            throw new AssertionError("expected these events in this order:\n  " + Arrays.asList(payloads)
                    + "\nbut " + payloads[i] + " was not found in order in what the bus dispatched:\n  " + actual);
        }
    }

    /** Asserts that exactly {@code count} events of {@code type} were dispatched, and returns them. */
    public <T> List<T> assertDispatched(Class<T> type, int count) {
        List<T> found = payloads(type);
        if (found.size() != count) {
            throw new AssertionError("expected " + count + " " + type.getSimpleName() + " event(s), found " + found.size() + ": " + found);
        }
        return found;
    }

    /** Asserts that some dispatched event of {@code type} matches {@code condition}, and returns the first that does. */
    public <T> T assertAnyDispatched(Class<T> type, Predicate<? super T> condition) {
        return payloads(type).stream().filter(condition).findFirst().orElseThrow(() -> new AssertionError(
                "no dispatched " + type.getSimpleName() + " event matches the condition; dispatched: " + payloads()));
    }

    /** Asserts that nothing was dispatched. */
    public void assertNothingDispatched() {
        List<Object> actual = payloads();
        if (!actual.isEmpty()) throw new AssertionError("expected no events, but the bus dispatched: " + actual);
    }

    /** Asserts that no handler gave up on an event (no dead letters). */
    public void assertNoDeadLetters() {
        if (!bus.deadLetters().isEmpty()) {
            throw new AssertionError("expected no dead letters, found: " + bus.deadLetters().stream()
                    .map(d -> d.handler() + " gave up on " + d.event().name() + ": " + d.error()).toList());
        }
    }

    /** Waits until the bus is idle (needed only with {@link Builder#realThreads()}). */
    public void awaitIdle() {
        try {
            if (!bus.awaitIdle(Duration.ofSeconds(30))) throw new AssertionError("the bus did not become idle in 30 s: " + bus.statistics());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the bus", e);
        }
    }

    @Override
    public String toString() {
        return "RecordingBus[" + events().size() + " events]";
    }

    /** Configures a {@link RecordingBus}. */
    public static final class Builder {
        private final List<EventType<?>> types = new ArrayList<>();
        private final List<Consumer<EventBus.Builder>> config = new ArrayList<>();
        private FakeClock clock = new FakeClock();
        private boolean realThreads;

        private Builder() {}

        /** Declares an event type. */
        public <T extends Record> Builder declare(Class<T> type) {
            return declare(EventType.of(type));
        }

        /** Declares an event type. */
        public Builder declare(EventType<?> type) {
            types.add(Objects.requireNonNull(type, "type"));
            return this;
        }

        /** Uses this fake clock (default: a new one). */
        public Builder clock(FakeClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Anything else about the bus (retry policy, capacity, transports...). */
        public Builder configure(Consumer<EventBus.Builder> configuration) {
            config.add(Objects.requireNonNull(configuration, "configuration"));
            return this;
        }

        /** Runs the bus as in production (handlers on their threads); use {@link RecordingBus#awaitIdle()}. */
        public Builder realThreads() {
            this.realThreads = true;
            return this;
        }

        /** The recording bus. */
        public RecordingBus build() {
            return new RecordingBus(this);
        }
    }
}
