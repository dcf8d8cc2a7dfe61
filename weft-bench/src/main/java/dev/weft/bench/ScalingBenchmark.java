package dev.weft.bench;

import dev.weft.Scope;
import dev.weft.batch.Loader;
import dev.weft.channels.Channel;
import dev.weft.events.Event;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How cost grows with size (issue 12, item 5): each benchmark does {@code n} units of one kind of
 * work per operation, so the score divided by {@code n} is the cost of one unit, and a flat
 * per-unit cost across {@code n} = 100, 1,000, 10,000 means the machinery scales linearly. (Fan-out
 * is {@code FanOutBenchmark} with {@code -p tasks=1000,10000,100000,1000000}.)
 * <ul>
 *   <li>{@link #channelParkedReceivers()}: {@code n} tasks wait on one rendezvous channel, most of
 *       them parked, and the scope's body hands each an element;</li>
 *   <li>{@link #eventHandlers()}: one {@code Event.fire} to {@code n} subscribers;</li>
 *   <li>{@link #loaderLeaves()}: a two-level loader tree: {@code n / 10} parents each load their
 *       key, then fork 10 leaves that load theirs: two batches, of {@code n / 10} and {@code n}
 *       keys, sent by quiescence.</li>
 * </ul>
 * Results and what they show are in docs/BENCHMARKS.md ("How cost grows").
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark) // not dev.weft.Scope
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class ScalingBenchmark {

    /** Units of work per operation. */
    @Param({"100", "1000", "10000"})
    int n;

    private Event<Long> event;
    private final LongAdder handled = new LongAdder();
    private Loader<Long, Long> parents;
    private Loader<Long, Long> leaves;

    @Setup
    public void setUp() {
        event = new Event<>("scaling");
        for (int i = 0; i < n; i++) event.subscribe(handled::add);
        // A delay that never fires within an operation: only quiescence sends (B1).
        Duration noDelay = Duration.ofSeconds(10);
        parents = Loader.<Long, Long>builder(keys -> identity(keys)).name("parents").maxBatchSize(Integer.MAX_VALUE).maxDelay(noDelay).build();
        leaves = Loader.<Long, Long>builder(keys -> identity(keys)).name("leaves").maxBatchSize(Integer.MAX_VALUE).maxDelay(noDelay).build();
    }

    private static Map<Long, Long> identity(Iterable<Long> keys) {
        Map<Long, Long> m = new HashMap<>();
        for (Long k : keys) m.put(k, k);
        return m;
    }

    @Benchmark
    public long channelParkedReceivers() {
        int count = n;
        Channel<Integer> ch = Channel.rendezvous();
        var in = ch.receiver();
        var out = ch.sender();
        LongAdder sum = new LongAdder();
        Scope.run(scope -> {
            for (int i = 0; i < count; i++) {
                scope.fork(() -> {
                    sum.add(in.receive());
                    return null;
                });
            }
            for (int i = 0; i < count; i++) out.send(i);
            return null;
        });
        return sum.sum();
    }

    @Benchmark
    public long eventHandlers() {
        event.fire(1L);
        return handled.sum();
    }

    @Benchmark
    public long loaderLeaves() {
        int parentCount = n / 10;
        LongAdder sum = new LongAdder();
        Scope.run(request -> {
            for (long p = 0; p < parentCount; p++) {
                long parent = p;
                request.fork(() -> {
                    long base = parents.load(parent) * 10;
                    return Scope.run(children -> {
                        for (long c = 0; c < 10; c++) {
                            long leaf = base + c;
                            children.fork(() -> {
                                sum.add(leaves.load(leaf));
                                return null;
                            });
                        }
                        return null;
                    });
                });
            }
            return null;
        });
        return sum.sum();
    }
}
