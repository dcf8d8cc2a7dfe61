package dev.weft.redis;

import dev.weft.test.Poll;
import dev.weft.events.worker.Worker;
import dev.weft.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.events.EventBus;
import dev.weft.events.EventRejectedException;
import dev.weft.events.FullPolicy;
import dev.weft.RetryPolicy;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.redis.WorkerProcess.JobSubmitted;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Faults against real redis-servers (issue 6, item 8; rules R2, R4): a worker process killed
 * with kill -9 mid-batch while another takes over, Redis killed and restarted with AOF between
 * publish and consume, Redis down at publish time, a poison event.
 */
class FaultTest {
    final JacksonEventCodec codec = new JacksonEventCodec();

    TransportMessage job(int n) {
        UUID id = UUID.randomUUID();
        return new TransportMessage(id.toString(), "job.submitted",
                codec.encode(new dev.weft.events.transport.Envelope<>(id, "job.submitted", Instant.now(), Map.of(), new JobSubmitted(n))));
    }

    static RedisCommands<String, String> admin(RedisServer redis, List<AutoCloseable> toClose) {
        RedisClient c = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> conn = c.connect();
        toClose.add(conn);
        toClose.add(() -> c.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
        return conn.sync();
    }

    @Test
    void r2_aWorkerKilledMidBatchLosesNothing_anotherTakesOverAndEveryEventIsHandled() throws Exception {
        int n = 200;
        String stream = "jobs:" + UUID.randomUUID();
        List<AutoCloseable> toClose = new ArrayList<>();
        try (RedisServer redis = RedisServer.start();
             RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).redeliverAfter(Duration.ofMillis(500)).build()) {
            RedisCommands<String, String> r = admin(redis, toClose);
            for (int i = 0; i < n / 2; i++) t.publish(job(i));

            String javaExe = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            Process a = new ProcessBuilder(javaExe, "-cp", System.getProperty("java.class.path"), WorkerProcess.class.getName(),
                    redis.uri(), stream, "workers", "worker-a", "30").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Set<Integer> handledByB = ConcurrentHashMap.newKeySet();
            Worker b = Worker.builder(t, codec).group("workers").consumer("worker-b").pollWait(Duration.ofMillis(100))
                    .on(JobSubmitted.class, job -> {
                        handledByB.add(job.n());
                        r.rpush(stream + ":handled", Integer.toString(job.n()));
                    }).build();
            try {
                Scope.run(scope -> {
                    // The process writes this key when its handlers hang; nothing else announces it.
                    Poll.until(() -> r.get(stream + ":hung") != null, 30);
                    long pendingOfA = r.xpending(stream, io.lettuce.core.Consumer.from("workers", "worker-a"),
                            io.lettuce.core.Range.create("-", "+"), io.lettuce.core.Limit.from(1000)).size();
                    assertThat(pendingOfA).as("worker-a holds unacknowledged deliveries in the middle of a batch").isPositive();
                    // Worker b starts while a is alive, holding deliveries in the middle of a batch.
                    scope.fork(() -> {
                        b.run();
                        return null;
                    });
                    for (int i = n / 2; i < n; i++) t.publish(job(i));
                    a.destroyForcibly(); // SIGKILL: no shutdown hook, no acknowledgement
                    assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
                    // a's entries come to b through XAUTOCLAIM once idle 500 ms (some may have before the kill: a hangs). Everything handled
                    // and nothing pending: Redis state, polled.
                    Poll.until(() -> distinct(r.lrange(stream + ":handled", 0, -1)).size() == n && r.xpending(stream, "workers").getCount() == 0, 30);
                    b.shutdown(Duration.ofSeconds(5));
                    return null;
                });
            } finally {
                a.destroyForcibly();
                a.waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(a.isAlive()).isFalse();
            List<String> log = r.lrange(stream + ":handled", 0, -1);
            Set<String> all = distinct(log);
            assertThat(all).hasSize(n); // every event handled at least once: none lost
            assertThat(handledByB).isNotEmpty();
            assertThat(r.xpending(stream, "workers").getCount()).isZero();
            assertThat(t.deadLetters("workers")).isEmpty();
        } finally {
            for (AutoCloseable c : toClose.reversed()) c.close();
        }
    }

    @Test
    void r2_redisKilledAndRestartedWithAofLosesNoAcknowledgedEvent() throws Exception {
        String stream = "aof:" + UUID.randomUUID();
        List<AutoCloseable> toClose = new ArrayList<>();
        try (RedisServer redis = RedisServer.startDurable();
             RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).commandTimeout(Duration.ofSeconds(2)).build()) {
            Set<String> published = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                TransportMessage m = job(i);
                t.publish(m); // returned: Redis confirmed it, and with appendfsync always it is on disk
                published.add(m.id());
            }
            // Half of them handled and acknowledged before the crash.
            Set<String> handledBefore = new HashSet<>();
            for (var d : t.receive("workers", "c1", 50, Duration.ZERO)) {
                handledBefore.add(d.message().id());
                d.ack();
            }
            assertThat(handledBefore).hasSize(50);

            redis.kill(); // SIGKILL: no clean shutdown
            redis.restart();

            // The same transport reconnects by itself; the rest arrive once, the acknowledged ones do not come back.
            Set<String> handledAfter = new HashSet<>();
            Scope.run(scope -> {
                Poll.until(() -> {
                    try {
                        for (var d : t.receive("workers", "c1", 100, Duration.ZERO)) {
                            handledAfter.add(d.message().id());
                            d.ack();
                        }
                    } catch (dev.weft.events.transport.TransportException reconnecting) {
                        // Lettuce is still reconnecting: commands are refused until it is back
                    }
                    return handledAfter.size() >= 50;
                }, 30);
                return null;
            });
            assertThat(handledAfter).hasSize(50).doesNotContainAnyElementsOf(handledBefore);
            Set<String> all = new HashSet<>(handledBefore);
            all.addAll(handledAfter);
            assertThat(all).isEqualTo(published);
            assertThat(admin(redis, toClose).xpending(stream, "workers").getCount()).isZero();
        } finally {
            for (AutoCloseable c : toClose.reversed()) c.close();
        }
    }

    @Test
    void r4_redisDownAtPublishTime_theBusRetriesIntoItsBoundedBuffer_thenEmitFailsClearly_andNothingAcceptedIsLost() throws Exception {
        String stream = "down:" + UUID.randomUUID();
        FakeClock clock = new FakeClock();
        List<AutoCloseable> toClose = new ArrayList<>();
        try (RedisServer redis = RedisServer.startDurable();
             RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).commandTimeout(Duration.ofSeconds(2)).build()) {
            t.publish(job(-1)); // connected once, then Redis goes away
            redis.stop();
            EventBus bus = EventBus.builder().declare(JobSubmitted.class).codec(codec).clock(clock)
                    .capacity(3).whenFull(FullPolicy.FAIL)
                    .transport(t, "*", RetryPolicy.exponential(100, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                    .build();
            for (int i = 0; i < 3; i++) bus.emit(new JobSubmitted(i)); // accepted: held in the outbox, retrying
            clock.awaitTimers(1); // the outbox failed its first publish and waits to retry; the others queue behind it
            assertThatThrownBy(() -> bus.emit(new JobSubmitted(3)))
                    .isInstanceOf(EventRejectedException.class)
                    .hasMessageContaining("full");
            redis.restart();
            RedisCommands<String, String> r = admin(redis, toClose);
            // Retry until the reconnect is through; each advance lets every waiting retry run once.
            Poll.until(() -> {
                clock.advance(Duration.ofSeconds(1));
                return r.xlen(stream) == 4;
            }, 30);
            assertThat(bus.awaitIdle(Duration.ofSeconds(20))).isTrue();
            assertThat(bus.deadLetters()).isEmpty();
            assertThat(r.xlen(stream)).isEqualTo(4); // the one before, and the three accepted while Redis was down
        } finally {
            for (AutoCloseable c : toClose.reversed()) c.close();
        }
    }

    @Test
    void r1_aPoisonEventEndsInTheDeadLetterStreamWithItsErrorAndCount() throws Exception {
        String stream = "poison:" + UUID.randomUUID();
        try (RedisServer redis = RedisServer.start();
             RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).maxDeliveries(3).build()) {
            t.publish(job(13));
            t.publish(job(14));
            Set<Integer> fine = ConcurrentHashMap.newKeySet();
            Worker w = Worker.builder(t, codec).group("workers").consumer("w1").pollWait(Duration.ofMillis(50)).retry(RetryPolicy.none())
                    .on(JobSubmitted.class, job -> {
                        if (job.n() == 13) throw new IllegalArgumentException("job 13 is cursed");
                        fine.add(job.n());
                    }).build();
            Scope.run(scope -> {
                scope.fork(() -> {
                    w.run();
                    return null;
                });
                Poll.until(() -> !t.deadLetterEntries("workers", 10).isEmpty(), 30);
                w.shutdown(Duration.ofSeconds(5));
                return null;
            });
            DeadLetterEntry d = t.deadLetterEntries("workers", 10).get(0);
            assertThat(d.deliveries()).isEqualTo(3);
            assertThat(d.error()).contains("IllegalArgumentException: job 13 is cursed");
            assertThat(d.message().name()).isEqualTo("job.submitted");
            assertThat(fine).containsExactly(14);
            assertThat(w.statistics().rejected()).isEqualTo(3);
        }
    }

    static Set<String> distinct(List<String> xs) {
        return new HashSet<>(xs);
    }
}
