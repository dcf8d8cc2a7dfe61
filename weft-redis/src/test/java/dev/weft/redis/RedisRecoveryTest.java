package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.Delivery;
import dev.weft.events.Envelope;
import dev.weft.events.TransportException;
import dev.weft.events.TransportMessage;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.redis.WorkerProcess.JobSubmitted;
import dev.weft.test.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis that comes back (issue 10, rule R2 and R4's "bounded retries"): each test pins one root
 * cause found by the chaos suite (RedisChaosTest) with a scenario that fails reliably
 * without its fix.
 */
class RedisRecoveryTest {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

    final JacksonEventCodec codec = new JacksonEventCodec();

    TransportMessage job(int n) {
        UUID id = UUID.randomUUID();
        return new TransportMessage(id.toString(), "job.submitted",
                codec.encode(new Envelope<>(id, "job.submitted", Instant.now(), Map.of(), new JobSubmitted(n))));
    }

    /**
     * Issue 10, item 4. Acknowledgements go out as a group commit whose next XACK is sent from the
     * reply's callback, on a Lettuce event-loop thread. When Redis died, that callback found the
     * shared connection "not open" (Lettuce was reconnecting it) and opened a new one, blocking the
     * event loop under the link's lock; the new channel could land on the same event loop, and then
     * nobody ever got the lock again. Here many consumers acknowledge continuously while Redis is
     * killed and restarted five times: every consumer must get going again after each restart, and
     * stop and close within their bounds.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void r2_acknowledgementsInFlightWhenRedisDies_neverDeadlockTheTransport() throws Exception {
        String stream = "acks:" + UUID.randomUUID();
        try (RedisServer redis = RedisServer.startDurable()) { // the group survives: this is about the acknowledgements only
            RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).commandTimeout(COMMAND_TIMEOUT)
                    .redeliverAfter(Duration.ofMillis(200)).logger(new LogCapture()).build();
            AtomicInteger acked = new AtomicInteger();
            AtomicInteger next = new AtomicInteger();
            List<Thread> consumers = new ArrayList<>();
            boolean[] stop = new boolean[1];
            for (int i = 0; i < 16; i++) {
                String consumer = "c" + i;
                consumers.add(Thread.ofVirtual().start(() -> {
                    while (!stop[0]) {
                        try {
                            t.publish(job(next.incrementAndGet()));
                            for (Delivery d : t.receive("g", consumer, 4, Duration.ZERO)) {
                                d.ack();
                                acked.incrementAndGet();
                            }
                        } catch (TransportException down) {
                            pace(); // Redis away: commands fail at once; try again shortly
                        }
                    }
                }));
            }
            try {
                for (int cycle = 1; cycle <= 5; cycle++) {
                    int before = acked.get();
                    Poll.until(() -> acked.get() >= before + 200, 20); // acknowledging in full swing
                    redis.kill();
                    redis.restart();
                    int atRestart = acked.get();
                    int c = cycle;
                    try {
                        Poll.until(() -> acked.get() >= atRestart + 200, 15);
                    } catch (AssertionError stuck) {
                        throw new AssertionError("after restart " + c + " no consumer acknowledged anything within 15 s: the transport is stuck; threads: "
                                + ThreadDump.toFile("acks-stuck"), stuck);
                    }
                }
            } finally {
                stop[0] = true;
            }
            for (Thread c : consumers) assertThat(c.join(Duration.ofSeconds(10))).as("consumer stopped").isTrue();
            Thread closer = Thread.ofVirtual().start(t::close);
            assertThat(closer.join(Duration.ofSeconds(6))).as("close() returned").isTrue();
        }
    }

    /**
     * Issue 10, item 5. After Redis restarted without its data, XREADGROUP says NOGROUP; the
     * transport remembered that it had made the group and never made it again, so a worker handled
     * nothing, forever. Now the group is made again (from the start of the new stream) and
     * consumption goes on; what Redis lost stays lost (docs/REDIS-OPERATIONS.md).
     */
    @Test
    void r2_aGroupLostWithRedisData_isCreatedAgain_andConsumptionGoesOn() throws Exception {
        String stream = "nogroup:" + UUID.randomUUID();
        LogCapture log = new LogCapture();
        try (RedisServer redis = RedisServer.start(); // no persistence
             RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream(stream).commandTimeout(COMMAND_TIMEOUT).logger(log).build()) {
            t.publish(job(1));
            List<Delivery> first = t.receive("g", "c1", 10, Duration.ZERO);
            assertThat(first).hasSize(1);
            first.get(0).ack();

            redis.kill();
            redis.restart(); // empty: no stream, no group
            TransportMessage after = job(2);
            Poll.until(() -> {
                try {
                    t.publish(after);
                    return true;
                } catch (TransportException reconnecting) {
                    return false;
                }
            }, 10);
            List<Delivery> got = new ArrayList<>();
            Poll.until(() -> {
                try {
                    got.addAll(t.receive("g", "c1", 10, Duration.ZERO));
                } catch (TransportException e) {
                    if (e.getMessage().contains("NOGROUP")) throw new AssertionError("the transport did not create the lost group again: " + e.getMessage(), e);
                }
                return !got.isEmpty();
            }, 10);
            assertThat(got).extracting(d -> d.message().id()).containsExactly(after.id());
            got.get(0).ack();
            assertThat(log.all()).contains("group 'g'").contains("no longer exists").contains("created it again");
        }
    }

    private static void pace() {
        try {
            Thread.sleep(5); // retry pacing, not an ordering step
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
