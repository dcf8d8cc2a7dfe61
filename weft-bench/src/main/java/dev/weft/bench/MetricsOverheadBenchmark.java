package dev.weft.bench;

import dev.weft.RetryPolicy;
import dev.weft.Task;
import dev.weft.events.EventBus;
import dev.weft.events.HandlerMode;
import dev.weft.micrometer.WeftMicrometer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.util.concurrent.TimeUnit;
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
 * What weft-micrometer costs (issue 14: at most 1.10x with meters on): {@link FanOutBenchmark}'s
 * {@code weft} and {@link EventBenchmark}'s {@code weftBusSync}, each plain, with meters (a
 * {@code SimpleMeterRegistry}), and with meters and observations (an {@code ObservationRegistry}
 * with one handler that does nothing, so every observation is made, started and stopped, but no
 * tracer's cost is counted), in the same run so the ratios compare like with like.
 *
 * <ul>
 *   <li>{@code fanOut*}: one operation forks 1,000 trivial tasks in one scope and sums their
 *   results; meters add a counter per fork and a timer per scope; observations add a
 *   {@code weft.scope} observation and, per task, the current observation opened around it.</li>
 *   <li>{@code bus*}: one operation emits an event outside any scope to 4 SYNC handlers (run
 *   inline); meters time each of the 4 handler tries; observations add an emit observation and a
 *   handle observation per try (and the envelope they need). {@code busMetersWithoutHandlerTimer}:
 *   meters with {@code WeftMicrometer.Builder.busHandlerTimer(false)} and the bus bound
 *   ({@code bindBus}, read only when scraped): what the bus pays when tries are counted, not timed.</li>
 * </ul>
 *
 * <pre>
 * java -jar weft-bench/target/benchmarks.jar MetricsOverhead -f 2 -wi 5 -i 5 -w 1s -r 1s -rf json -rff metrics.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class MetricsOverheadBenchmark {
    static final int TASKS = 1000;
    static final int HANDLERS = 4;

    /** The event. */
    public record Tick(long value) {}

    private WeftMicrometer meters;
    private WeftMicrometer metersAndObservations;
    private WeftMicrometer metersWithoutHandlerTimer;
    private EventBus plainBus, meteredBus, observedBus, countedBus;
    long sum;
    long next;

    @Setup
    public void setUp() {
        meters = WeftMicrometer.builder().meterRegistry(new SimpleMeterRegistry()).build();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        metersAndObservations = WeftMicrometer.builder().meterRegistry(new SimpleMeterRegistry())
                .observationRegistry(observations).build();
        metersWithoutHandlerTimer = WeftMicrometer.builder().meterRegistry(new SimpleMeterRegistry()).busHandlerTimer(false).build();
        plainBus = bus(null);
        countedBus = bus(metersWithoutHandlerTimer);
        metersWithoutHandlerTimer.bindBus(countedBus, "bench");
        meteredBus = bus(meters);
        observedBus = bus(metersAndObservations);
    }

    private EventBus bus(WeftMicrometer weft) {
        EventBus.Builder b = EventBus.builder().declare(Tick.class).defaultHandlerMode(HandlerMode.SYNC).retry(RetryPolicy.none());
        if (weft != null) b.observer(weft.eventObserver("bench"));
        EventBus bus = b.build();
        for (int i = 0; i < HANDLERS; i++) bus.subscribe(Tick.class, t -> sum += t.value());
        return bus;
    }

    private static long fanOut(dev.weft.Scope.Builder scope) {
        @SuppressWarnings({"unchecked", "rawtypes"}) // generic array creation
        Task<Integer>[] forked = new Task[TASKS];
        scope.run(s -> {
            for (int i = 0; i < TASKS; i++) {
                int index = i;
                forked[i] = s.fork(() -> FanOutBenchmark.work(index));
            }
            return null;
        });
        long sum = 0;
        for (Task<Integer> t : forked) sum += t.result();
        return sum;
    }

    @Benchmark
    public long fanOutPlain() {
        return fanOut(dev.weft.Scope.builder());
    }

    @Benchmark
    public long fanOutMeters() {
        return fanOut(dev.weft.Scope.builder().observer(meters.scopeObserver()));
    }

    @Benchmark
    public long fanOutMetersAndObservations() {
        return fanOut(dev.weft.Scope.builder().observer(metersAndObservations.scopeObserver()));
    }

    @Benchmark
    public long busPlain() {
        plainBus.emit(new Tick(next++));
        return sum;
    }

    @Benchmark
    public long busMeters() {
        meteredBus.emit(new Tick(next++));
        return sum;
    }

    @Benchmark
    public long busMetersWithoutHandlerTimer() {
        countedBus.emit(new Tick(next++));
        return sum;
    }

    @Benchmark
    public long busMetersAndObservations() {
        observedBus.emit(new Tick(next++));
        return sum;
    }
}
