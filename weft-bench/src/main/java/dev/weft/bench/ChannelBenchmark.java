package dev.weft.bench;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.SynchronousQueue;
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
import dev.weft.channels.SendChannel;

/**
 * One producer virtual thread hands {@value #ELEMENTS} ints to one consumer virtual thread;
 * the score is the average time per element (the invocation's time divided by
 * {@value #ELEMENTS} through {@code @OperationsPerInvocation}).
 *
 * <p>Weft's channels ({@code weftRendezvous}, {@code weftBuffered16}, {@code weftBuffered100})
 * beside Jox's ({@code com.softwaremill.jox:channels}, the lock-free Kotlin-channels algorithm)
 * and the JDK's blocking queues. Every variant does the same work: the producer sends 0..N-1,
 * the consumer sums what it receives, and the sum is checked, so nothing is dead code and a
 * broken channel fails the run instead of producing a score.
 *
 * <p>Targets (issue 3): {@code weftBuffered16} and {@code weftBuffered100} at least as fast as
 * Jox's and as {@code arrayBlockingQueue16}; {@code weftRendezvous} at least as fast as
 * {@code synchronousQueue} and within 1.25x of {@code joxRendezvous}. Figures:
 * {@code docs/BENCHMARKS.md}.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ChannelBenchmark {

    static final int ELEMENTS = 100_000;
    static final long EXPECTED_SUM = (long) ELEMENTS * (ELEMENTS - 1) / 2;

    /** The two ends of whatever is measured; each variant runs in its own fork, so calls stay monomorphic. */
    interface Pipe {
        void send(int v) throws InterruptedException;

        int receive() throws InterruptedException;
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long weftRendezvous() throws InterruptedException {
        return run(weft(Channel.rendezvous()));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long weftBuffered16() throws InterruptedException {
        return run(weft(Channel.bounded(16)));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long weftBuffered100() throws InterruptedException {
        return run(weft(Channel.bounded(100)));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long joxRendezvous() throws InterruptedException {
        return run(jox(com.softwaremill.jox.Channel.newRendezvousChannel()));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long joxBuffered16() throws InterruptedException {
        return run(jox(com.softwaremill.jox.Channel.newBufferedChannel(16)));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long joxBuffered100() throws InterruptedException {
        return run(jox(com.softwaremill.jox.Channel.newBufferedChannel(100)));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long arrayBlockingQueue16() throws InterruptedException {
        return run(queue(new ArrayBlockingQueue<>(16)));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long synchronousQueue() throws InterruptedException {
        return run(queue(new SynchronousQueue<>()));
    }

    @Benchmark
    @OperationsPerInvocation(ELEMENTS)
    public long linkedTransferQueue() throws InterruptedException {
        LinkedTransferQueue<Integer> q = new LinkedTransferQueue<>();
        // transfer() waits for the consumer, like a rendezvous channel.
        return run(new Pipe() {
            public void send(int v) throws InterruptedException {
                q.transfer(v);
            }

            public int receive() throws InterruptedException {
                return q.take();
            }
        });
    }

    static Pipe weft(Channel<Integer> ch) {
        SendChannel<Integer> tx = ch.sender();
        ReceiveChannel<Integer> rx = ch.receiver();
        return new Pipe() {
            public void send(int v) {
                tx.send(v);
            }

            public int receive() {
                return rx.receive();
            }
        };
    }

    static Pipe jox(com.softwaremill.jox.Channel<Integer> ch) {
        return new Pipe() {
            public void send(int v) throws InterruptedException {
                ch.send(v);
            }

            public int receive() throws InterruptedException {
                return ch.receive();
            }
        };
    }

    static Pipe queue(BlockingQueue<Integer> q) {
        return new Pipe() {
            public void send(int v) throws InterruptedException {
                q.put(v);
            }

            public int receive() throws InterruptedException {
                return q.take();
            }
        };
    }

    /** Producer and consumer on two virtual threads; returns the consumer's sum after checking it. */
    static long run(Pipe pipe) throws InterruptedException {
        long[] sum = new long[1];
        Thread producer = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < ELEMENTS; i++) pipe.send(i);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread consumer = Thread.ofVirtual().start(() -> {
            long s = 0;
            try {
                for (int i = 0; i < ELEMENTS; i++) s += pipe.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            sum[0] = s;
        });
        producer.join();
        consumer.join();
        if (sum[0] != EXPECTED_SUM) throw new IllegalStateException("consumer summed " + sum[0] + ", expected " + EXPECTED_SUM);
        return sum[0];
    }
}
