package dev.weft.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.weft.channels.Channel;
import dev.weft.channels.ReceiveChannel;
import dev.weft.channels.Select;

/**
 * One consumer virtual thread receives, with a two-clause select, from whichever of two
 * rendezvous channels is ready, while two producer virtual threads each send
 * {@value #PER_PRODUCER} ints into their own channel. The score is the average time per element
 * received (2 x {@value #PER_PRODUCER} per invocation). The sum is checked.
 *
 * <p>Target (issue 3): {@code weftSelect2} at least as fast as {@code joxSelect2}. Figures:
 * {@code docs/BENCHMARKS.md}.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SelectBenchmark {

    static final int PER_PRODUCER = 50_000;
    static final int ELEMENTS = 2 * PER_PRODUCER;
    static final long EXPECTED_SUM = 2L * PER_PRODUCER * (PER_PRODUCER - 1) / 2;

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long weftSelect2() throws InterruptedException {
        Channel<Integer> a = Channel.rendezvous();
        Channel<Integer> b = Channel.rendezvous();
        Thread pa = producer(v -> a.sender().send(v));
        Thread pb = producer(v -> b.sender().send(v));
        ReceiveChannel<Integer> ra = a.receiver();
        ReceiveChannel<Integer> rb = b.receiver();
        long[] sum = new long[1];
        Thread consumer = Thread.ofVirtual().start(() -> {
            long s = 0;
            // New clauses per select, as in the Jox variant (both could reuse them).
            for (int i = 0; i < ELEMENTS; i++) s += Select.select(ra.onReceive(), rb.onReceive());
            sum[0] = s;
        });
        return finish(pa, pb, consumer, sum);
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long joxSelect2() throws InterruptedException {
        com.softwaremill.jox.Channel<Integer> a = com.softwaremill.jox.Channel.newRendezvousChannel();
        com.softwaremill.jox.Channel<Integer> b = com.softwaremill.jox.Channel.newRendezvousChannel();
        Thread pa = producer(a::send);
        Thread pb = producer(b::send);
        long[] sum = new long[1];
        Thread consumer = Thread.ofVirtual().start(() -> {
            long s = 0;
            try {
                for (int i = 0; i < ELEMENTS; i++) s += com.softwaremill.jox.Select.select(a.receiveClause(), b.receiveClause());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            sum[0] = s;
        });
        return finish(pa, pb, consumer, sum);
    }

    interface Sender {
        void send(int v) throws InterruptedException;
    }

    private static Thread producer(Sender s) {
        return Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < PER_PRODUCER; i++) s.send(i);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static long finish(Thread pa, Thread pb, Thread consumer, long[] sum) throws InterruptedException {
        pa.join();
        pb.join();
        consumer.join();
        if (sum[0] != EXPECTED_SUM) throw new IllegalStateException("consumer summed " + sum[0] + ", expected " + EXPECTED_SUM);
        return sum[0];
    }
}
