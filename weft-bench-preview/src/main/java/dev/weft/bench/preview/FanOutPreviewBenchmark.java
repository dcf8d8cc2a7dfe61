package dev.weft.bench.preview;

import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.StructuredTaskScope.Subtask;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JDK 25 peer of {@code dev.weft.bench.FanOutBenchmark}: the same fan-out (fork
 * {@link #tasks} tasks, task {@code i} returns {@code i * 31}, wait for all, sum every result)
 * through the preview {@link StructuredTaskScope} of JEP 505.
 *
 * <p>Same modes, units and iteration counts as {@code FanOutBenchmark}, so the rows of both
 * classes compare directly; the ratio {@code weft / structuredTaskScope} is one of the targets
 * described there. Forks get {@code --enable-preview} from {@link Fork#jvmArgsAppend()}; start
 * the whole run with it as well, so one JMH run covers every variant:
 * <pre>
 * java --enable-preview -jar weft-bench-preview/target/benchmarks.jar FanOut -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = "--enable-preview")
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class FanOutPreviewBenchmark {

    /** Tasks forked per operation. */
    @Param("1000")
    int tasks;

    /** The same trivial work as {@code FanOutBenchmark.work}. */
    static int work(int i) {
        return i * 31;
    }

    /** StructuredTaskScope (default joiner: all must succeed): fork each, join, get each. */
    @Benchmark
    public long structuredTaskScope() throws InterruptedException {
        int n = tasks;
        @SuppressWarnings({"unchecked", "rawtypes"}) // generic array creation
        Subtask<Integer>[] subtasks = new Subtask[n];
        long sum = 0;
        try (StructuredTaskScope<Integer, Void> scope = StructuredTaskScope.open()) {
            for (int i = 0; i < n; i++) {
                int index = i;
                subtasks[i] = scope.fork(() -> work(index));
            }
            scope.join();
            for (Subtask<Integer> subtask : subtasks) {
                sum += subtask.get();
            }
        }
        return sum;
    }
}
