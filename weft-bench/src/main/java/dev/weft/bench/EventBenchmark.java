package dev.weft.bench;

import dev.weft.events.Event;
import dev.weft.events.EventBus;
import dev.weft.events.HandlerMode;
import dev.weft.RetryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.greenrobot.eventbus.Subscribe;
import org.greenrobot.eventbus.ThreadMode;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 5: one event delivered to 4 subscribers, each adding the event's value to a field.
 * Every method allocates the event object (a one-field record), so the figures compare the
 * delivery, not the payload.
 *
 * <ul>
 *   <li>{@code plainLoop}: a for loop over a {@code List<Consumer>}: the lower bound.</li>
 *   <li>{@code weftEvent}: {@link Event#fire}. Target: within 2x of plainLoop, and no allocation
 *   beyond the event itself ({@code -prof gc}: about 16-24 B/op, the record).</li>
 *   <li>{@code weftBusSync}: {@link EventBus#emit} outside a scope, 4 SYNC handlers (declared
 *   type, validation, envelope with id and time, routing). Target: at least 3x faster than
 *   guavaEventBus and faster than greenrobotEventBus.</li>
 *   <li>{@code guavaEventBus}: Guava's synchronous {@code EventBus}, default subscribers.</li>
 *   <li>{@code greenrobotEventBus}: greenrobot EventBus 3.3.1, {@code ThreadMode.POSTING}, no index.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar weft-bench/target/benchmarks.jar Event -prof gc}; see docs/BENCHMARKS.md.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Thread)
public class EventBenchmark {

    /** The event. */
    public record Tick(long value) {}

    static final int SUBSCRIBERS = 4;

    long sum;
    long next;

    private final List<Consumer<Tick>> plain = new ArrayList<>();
    private final Event<Tick> event = new Event<>("tick");
    private EventBus bus;
    private com.google.common.eventbus.EventBus guava;
    private org.greenrobot.eventbus.EventBus greenrobot;

    /** A Guava subscriber. */
    public final class GuavaSubscriber {
        @com.google.common.eventbus.Subscribe
        public void on(Tick t) {
            sum += t.value();
        }
    }

    /** A greenrobot subscriber. */
    public final class GreenrobotSubscriber {
        @Subscribe(threadMode = ThreadMode.POSTING)
        public void on(Tick t) {
            sum += t.value();
        }
    }

    @Setup
    public void setUp() {
        bus = EventBus.builder().declare(Tick.class).defaultHandlerMode(HandlerMode.SYNC).retry(RetryPolicy.none()).build();
        guava = new com.google.common.eventbus.EventBus("bench");
        greenrobot = org.greenrobot.eventbus.EventBus.builder().logNoSubscriberMessages(false).sendNoSubscriberEvent(false).build();
        for (int i = 0; i < SUBSCRIBERS; i++) {
            plain.add(t -> sum += t.value());
            event.subscribe(t -> sum += t.value());
            bus.subscribe(Tick.class, t -> sum += t.value());
            guava.register(new GuavaSubscriber());
            greenrobot.register(new GreenrobotSubscriber());
        }
    }

    @Benchmark
    public long plainLoop() {
        Tick t = new Tick(next++);
        for (int i = 0; i < plain.size(); i++) plain.get(i).accept(t);
        return sum;
    }

    @Benchmark
    public long weftEvent() {
        event.fire(new Tick(next++));
        return sum;
    }

    @Benchmark
    public long weftBusSync() {
        bus.emit(new Tick(next++));
        return sum;
    }

    @Benchmark
    public long guavaEventBus() {
        guava.post(new Tick(next++));
        return sum;
    }

    @Benchmark
    public long greenrobotEventBus() {
        greenrobot.post(new Tick(next++));
        return sum;
    }
}
