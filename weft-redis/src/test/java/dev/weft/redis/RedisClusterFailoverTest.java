package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.worker.Worker;
import dev.weft.redis.WorkerProcess.JobSubmitted;
import dev.weft.test.LogCapture;
import dev.weft.test.Poll;
import dev.weft.test.RedisCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A master of the cluster dies (SIGKILL) while a worker consumes its stream and a publisher
 * writes to it (issue 15): its replica takes over, the worker goes on, and the test reports what
 * Redis' asynchronous replication lost: events whose publish was acknowledged by the old master
 * but had not reached the replica yet. Those are the only events a failover may lose; events
 * acknowledged after the failover must all be handled.
 */
class RedisClusterFailoverTest {
    static RedisCluster cluster;
    final JacksonEventCodec codec = new JacksonEventCodec();

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    TransportMessage job(int n) {
        UUID id = UUID.randomUUID();
        return new TransportMessage(id.toString(), "job.submitted",
                codec.encode(new Envelope<>(id, "job.submitted", Instant.now(), Map.of(), new JobSubmitted(n))));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aMasterDiesDuringConsumption_theReplicaTakesOver_andTheWorkerGoesOn() throws Exception {
        String stream = "failover:" + UUID.randomUUID();
        Duration commandTimeout = Duration.ofSeconds(2);
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(cluster.uri()).stream(stream).commandTimeout(commandTimeout)
                     .redeliverAfter(Duration.ofSeconds(5)).logger(new LogCapture()).build();
             RedisStreamsTransport publisher = RedisStreamsTransport.builder(cluster.uri()).stream(stream).commandTimeout(commandTimeout)
                     .logger(new LogCapture()).build()) {
            Set<Integer> handled = ConcurrentHashMap.newKeySet();
            AtomicInteger deliveries = new AtomicInteger();
            Worker w = Worker.builder(t, codec).group("g").consumer("w1").pollWait(Duration.ofMillis(100)).logger(new LogCapture())
                    .on(JobSubmitted.class, job -> {
                        deliveries.incrementAndGet();
                        handled.add(job.n());
                    }).build();
            Thread run = Thread.ofVirtual().start(w::run);

            // The publisher writes until told to stop; an event counts as acknowledged once publish returned.
            Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
            Set<Integer> refused = ConcurrentHashMap.newKeySet();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger afterFailover = new AtomicInteger(Integer.MAX_VALUE); // first n published once the replica took over
            AtomicInteger next = new AtomicInteger();
            Thread pub = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    int n = next.getAndIncrement();
                    try {
                        publisher.publish(job(n));
                        acknowledged.add(n);
                    } catch (TransportException e) {
                        refused.add(n);
                    }
                    pace();
                }
            });
            try {
                Poll.until(() -> handled.size() >= 300, 20);
                int master = cluster.masterOf(t.stream());
                int atKill = next.get();
                long killedAt = System.nanoTime();
                cluster.kill(master);
                int promoted = cluster.awaitFailover(master);
                long failedOverAt = System.nanoTime();
                afterFailover.set(next.get());
                assertThat(promoted).as("a replica serves the stream's slot").isNotIn(-1, master);
                Poll.until(() -> acknowledged.stream().filter(n -> n >= afterFailover.get()).count() >= 300, 30);
                stop.set(true);
                pub.join(Duration.ofSeconds(10));
                // Every event acknowledged after the failover is handled: the worker went on.
                try {
                    Poll.until(() -> acknowledged.stream().filter(n -> n >= afterFailover.get()).allMatch(handled::contains), 30);
                } catch (AssertionError stuck) {
                    throw new AssertionError("the worker did not handle every event acknowledged after the failover: " + w.statistics(), stuck);
                }
                // The worker has caught up with what the new master holds: what is missing now was lost.
                Poll.until(() -> t.info().groups().stream().allMatch(g -> g.pending() == 0 && g.lag() <= 0), 20);
                Set<Integer> lost = new TreeSet<>(acknowledged);
                lost.removeAll(handled);
                long lostBeforeKill = lost.stream().filter(n -> n < atKill).count();
                System.out.printf("failover: master on port %d killed, replica on port %d took over %d ms later; published %d, acknowledged %d, "
                                + "refused %d (during the failover); handled %d distinct in %d deliveries; acknowledged but lost: %d %s (%d of them acknowledged before the kill); %s%n",
                        master, promoted, TimeUnit.NANOSECONDS.toMillis(failedOverAt - killedAt), next.get(), acknowledged.size(), refused.size(),
                        handled.size(), deliveries.get(), lost.size(), lost.size() > 20 ? "" : lost, lostBeforeKill, w.statistics());
                assertThat(handled).as("handled only what was published").allMatch(n -> n < next.get());
                assertThat(lost).as("only writes acknowledged by the old master before it died can be lost").allMatch(n -> n < afterFailover.get());
            } finally {
                stop.set(true);
                Thread.ofVirtual().start(() -> {
                    try {
                        w.shutdown(Duration.ZERO);
                    } catch (InterruptedException ignored) {
                        // nobody waits for it
                    }
                });
                run.join(Duration.ofSeconds(5));
            }
        }
    }

    private static void pace() {
        try {
            Thread.sleep(1); // publishing pace, not an ordering step
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
