package dev.weft.bench;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.weft.Scope;
import dev.weft.Task;

/**
 * The cost of structured fan-out: fork {@link #tasks} trivial tasks, each on its own virtual
 * thread, wait until every one has finished, then read every result.
 *
 * <h2>What one operation is</h2>
 * One benchmark operation forks {@code tasks} (1,000) tasks. Task {@code i} returns
 * {@code i * 31}; every variant sums the results into a {@code long} and returns it, so all
 * variants do the same work and none of it can be removed as dead code. The variants differ
 * only in the machinery that starts, awaits and hands back the tasks:
 * <ul>
 *   <li>{@link #weft()}: {@code Scope.run} + {@code scope.fork}, Weft's own fan-out;</li>
 *   <li>{@link #virtualThreads()}: the floor: {@code Thread.ofVirtual().start} for each task,
 *       {@code join} each, results in an array (no futures, no scope, no failure handling);</li>
 *   <li>{@link #virtualExecutor()}: {@code Executors.newVirtualThreadPerTaskExecutor()},
 *       {@code submit} each, {@code get} each, then close the executor;</li>
 *   <li>{@code structuredTaskScope} in {@code weft-bench-preview}
 *       ({@code dev.weft.bench.preview.FanOutPreviewBenchmark}): the JDK 25 preview
 *       {@code StructuredTaskScope} (JEP 505), built only on JDK 25.</li>
 * </ul>
 *
 * <h2>Targets (issue 2)</h2>
 * {@code weft} no slower than {@code structuredTaskScope}; within 1.3x of
 * {@code virtualThreads}; allocating no more than 1.5x what {@code virtualThreads} allocates
 * per task. The measured figures, which targets are met and why the others miss, are in
 * {@code docs/BENCHMARKS.md}.
 *
 * <h2>What is reported</h2>
 * <ul>
 *   <li>Time: average microseconds per operation, i.e. per 1,000 tasks; divide by 1,000 for
 *       the cost of one task (the score in µs/op is numerically the cost per task in ns).</li>
 *   <li>Allocation: run with {@code -prof gc}; {@code gc.alloc.rate.norm} is bytes allocated
 *       per operation, so {@code gc.alloc.rate.norm / 1000} is bytes per task.</li>
 * </ul>
 *
 * <h2>Targets</h2>
 * The numbers that matter are ratios against the JDK peers measured in the same run, on the
 * same machine:
 * <ul>
 *   <li>{@code weft / virtualThreads} (time): what Weft's scope, task objects and failure
 *       handling cost on top of bare virtual threads;</li>
 *   <li>{@code weft / structuredTaskScope} (time): Weft against the JDK's own structured
 *       concurrency;</li>
 *   <li>{@code alloc(weft) / alloc(virtualThreads)} (bytes per task): Weft's extra
 *       allocation per forked task.</li>
 * </ul>
 *
 * <h2>Running</h2>
 * <pre>
 * # JDK 21+, Weft and the JDK 21 peers only:
 * java -jar weft-bench/target/benchmarks.jar FanOut -prof gc
 * # JDK 25, every peer including StructuredTaskScope, in one run:
 * java --enable-preview -jar weft-bench-preview/target/benchmarks.jar FanOut -prof gc
 * </pre>
 * Run on a quiet machine: the variants spend their time creating and scheduling virtual
 * threads, which any other load on the carrier cores distorts.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark) // not dev.weft.Scope
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class FanOutBenchmark {

    /** Tasks forked per operation. */
    @Param("1000")
    int tasks;

    /** The trivial work every variant forks: a small value derived from the task's index. */
    static int work(int i) {
        return i * 31;
    }

    /**
     * Weft: fork every task in one scope; {@code Scope.run} returns once all have finished, then
     * each value is read with {@link Task#result()} (no further waiting, like
     * {@code Subtask.get()} after {@code StructuredTaskScope.join()}).
     */
    @Benchmark
    public long weft() {
        int n = tasks;
        @SuppressWarnings({"unchecked", "rawtypes"}) // generic array creation
        Task<Integer>[] forked = new Task[n];
        Scope.run(scope -> {
            for (int i = 0; i < n; i++) {
                int index = i;
                forked[i] = scope.fork(() -> work(index));
            }
            return null;
        });
        long sum = 0;
        for (Task<Integer> task : forked) {
            sum += task.result();
        }
        return sum;
    }

    /** Bare virtual threads: start one per task, join each, read the results array. */
    @Benchmark
    public long virtualThreads() throws InterruptedException {
        int n = tasks;
        int[] results = new int[n];
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            int index = i;
            threads[i] = Thread.ofVirtual().start(() -> results[index] = work(index));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long sum = 0;
        for (int result : results) {
            sum += result;
        }
        return sum;
    }

    /** A virtual-thread-per-task executor: submit each, get each, close (waits for all). */
    @Benchmark
    public long virtualExecutor() throws InterruptedException, ExecutionException {
        int n = tasks;
        @SuppressWarnings({"unchecked", "rawtypes"}) // generic array creation
        Future<Integer>[] futures = new Future[n];
        long sum = 0;
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int index = i;
                futures[i] = executor.submit(() -> work(index));
            }
            for (Future<Integer> future : futures) {
                sum += future.get();
            }
        }
        return sum;
    }
}
