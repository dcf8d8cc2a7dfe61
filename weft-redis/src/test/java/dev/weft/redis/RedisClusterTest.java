package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportMessage;
import dev.weft.test.LogCapture;
import dev.weft.test.RedisCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the contract suites do not show on a Redis Cluster: the slot layout, dead letters, the reliable queue (issue 15). */
class RedisClusterTest {
    static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    int slot(String key) {
        return Integer.parseInt(cluster.cli(cluster.ports().get(0), "CLUSTER", "KEYSLOT", key).trim());
    }

    @Test
    void aStreamItsDeadLettersAndErrorsShareASlot_onTheMasterThatServesIt() {
        String name = "orders:" + UUID.randomUUID();
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(cluster.uri()).stream(name).maxDeliveries(2)
                .redeliverAfter(Duration.ofMillis(1)).logger(new LogCapture()).build()) {
            assertThat(t.stream()).isEqualTo("{" + name + "}");
            t.publish(new TransportMessage("id-1", "order.placed", "{}".getBytes(StandardCharsets.UTF_8)));
            List<Delivery> first = t.receive("g", "c1", 10, Duration.ofSeconds(2));
            assertThat(first).hasSize(1);
            first.get(0).reject("boom");
            assertThat(slot(t.errorsKey("g"))).isEqualTo(slot(t.stream()));
            int port = cluster.masterOf(t.stream());
            assertThat(cluster.cli(port, "HEXISTS", t.errorsKey("g"), firstEntry(t)).trim())
                    .as("the error hash lives on the stream's master").isEqualTo("1");
            List<Delivery> second = t.receive("g", "c1", 10, Duration.ofSeconds(2));
            assertThat(second).hasSize(1);
            assertThat(second.get(0).deliveryCount()).isEqualTo(2);
            second.get(0).reject("boom again");
            assertThat(t.deadLetterEntries("g", 10)).singleElement().satisfies(d -> assertThat(d.error()).contains("boom again"));
            assertThat(slot(t.deadLetterStream())).isEqualTo(slot(t.stream()));
            assertThat(cluster.cli(port, "XLEN", t.deadLetterStream()).trim()).isEqualTo("1");
            assertThat(t.info().deadLetters()).isEqualTo(1);
            assertThat(t.replayDeadLetters("g", 10, null)).isEqualTo(1);
            assertThat(t.receive("g", "c1", 10, Duration.ofSeconds(2))).extracting(d -> d.message().id()).containsExactly("id-1");
        }
    }

    /** The id of the stream's first entry, read with redis-cli from the master that holds it. */
    private static String firstEntry(RedisStreamsTransport t) {
        String out = cluster.cli(cluster.masterOf(t.stream()), "XRANGE", t.stream(), "-", "+", "COUNT", "1");
        return out.lines().findFirst().orElseThrow().trim();
    }

    @Test
    void theReliableQueueWorksAcrossItsKeys_andReapsOnACluster() {
        String name = "jobs:" + UUID.randomUUID();
        try (RedisReliableQueue a = RedisReliableQueue.builder(cluster.uri()).queue(name).consumer("a").staleAfter(Duration.ofMillis(200))
                     .logger(new LogCapture()).build();
             RedisReliableQueue b = RedisReliableQueue.builder(cluster.uri()).queue(name).consumer("b").logger(new LogCapture()).build()) {
            a.push("one".getBytes(StandardCharsets.UTF_8));
            a.push("two".getBytes(StandardCharsets.UTF_8));
            Optional<RedisReliableQueue.Item> one = a.take(Duration.ofSeconds(2)); // BLMOVE between two keys of one slot
            assertThat(one).hasValueSatisfying(i -> assertThat(new String(i.value(), StandardCharsets.UTF_8)).isEqualTo("one"));
            assertThat(a.processing()).isEqualTo(1);
            one.get().ack();
            assertThat(a.processing()).isZero();
            assertThat(a.take(Duration.ofSeconds(2))).isPresent(); // "two", never acknowledged: a dies
            a.close();
            int port = cluster.masterOf("{" + name + "}");
            cluster.cli(port, "PEXPIRE", "{" + name + "}:alive:a", "1");
            dev.weft.test.Poll.until(() -> cluster.cli(port, "EXISTS", "{" + name + "}:alive:a").trim().equals("0"), 5);
            assertThat(b.reap()).isEqualTo(1);
            assertThat(b.take(Duration.ofSeconds(2))).hasValueSatisfying(i -> assertThat(new String(i.value(), StandardCharsets.UTF_8)).isEqualTo("two"));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
