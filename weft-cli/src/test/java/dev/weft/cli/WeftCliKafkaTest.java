package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.transport.Delivery;
import dev.weft.kafka.KafkaTransport;
import dev.weft.kafka.TopicInfo;
import dev.weft.test.Poll;
import dev.weft.test.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 4: {@code weft show} and {@code weft dead} on a Kafka topic of weft-kafka, against
 * a real KRaft broker (weft-kafka's KafkaCluster: a JVM of its own, with Kafka's server on its class
 * path only; skipped with the reason when it cannot start, unless CI=true).
 */
class WeftCliKafkaTest {
    static String bootstrap;

    @BeforeAll
    @Timeout(150) // the broker's JVM starts in 10 to 30 s on a busy 2-core machine
    static void startKafka() throws Exception {
        // By reflection: this module's tests compile against the module dev.weft.kafka, which hides
        // the test jar's classes of the same package; at run time both are on the class path.
        Class<?> cluster = Class.forName("dev.weft.kafka.KafkaCluster");
        Object kafka;
        try {
            kafka = cluster.getMethod("shared").invoke(null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception x ? x : e; // a JUnit assumption (skip) comes out as it is
        }
        bootstrap = (String) cluster.getMethod("bootstrap").invoke(kafka);
    }

    static DeadLetterStoreCliTest.Run weft(Map<String, String> env, String... args) {
        return DeadLetterStoreCliTest.weft(env, args);
    }

    /** Receives until {@code n} deliveries came (the group's partitions are assigned in the background). */
    static List<Delivery> receive(KafkaTransport t, String group, int n) {
        List<Delivery> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (got.size() < n) {
            assertThat(System.nanoTime() - deadline).as("received %d of %d within 30 s", got.size(), n).isNegative();
            got.addAll(t.receive(group, "mailer-1", n - got.size(), Duration.ofMillis(500)));
        }
        return got;
    }

    static TopicInfo.Group group(KafkaTransport t, String name) {
        return t.info().groups().stream().filter(g -> g.name().equals(name)).findFirst().orElse(null);
    }

    @Test
    @Timeout(120)
    void showsTheTopicAndItsGroups_thenListsReplaysAndPurgesDeadLetters() throws Exception {
        String topic = "cli-" + UUID.randomUUID();
        try (KafkaTransport t = KafkaTransport.builder(bootstrap).topic(topic).partitions(2).maxDeliveries(1)
                .recordKey(m -> new String(m.body(), java.nio.charset.StandardCharsets.UTF_8)).build()) {
            for (int i = 0; i < 5; i++) t.publish(WeftCliTest.message("job " + i));
            List<Delivery> got = receive(t, "mailers", 5);
            got.get(0).ack();
            got.get(1).ack();
            got.get(2).ack();
            got.get(3).reject("smtp refused"); // maxDeliveries 1: a dead letter at once
            got.get(4).reject("smtp refused");
            // Every record is settled: the commit (within about 100 ms) reaches the end of the partitions.
            Poll.until(() -> {
                TopicInfo.Group g = group(t, "mailers");
                return g != null && g.lag() == 0 && g.committed().stream().mapToLong(TopicInfo.Committed::offset).sum() == 5;
            }, 30);

            DeadLetterStoreCliTest.Run show = weft(Map.of(), "show", "--kafka", bootstrap, "--topic", topic);
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(show.out())
                    .contains("topic " + topic + ": 2 partition(s), 5 records, 2 dead letters (" + topic + ".dead: 2 records")
                    .containsPattern("partition 0\\s+offsets 0 to [0-9]+\\s+leader 1\\s+replicas \\[1\\]\\s+in sync \\[1\\]")
                    .containsPattern("partition 1\\s+offsets 0 to [0-9]+\\s+leader 1")
                    .containsPattern("group mailers\\s+Stable\\s+lag\\s+0")
                    .containsPattern("partition [01]\\s+committed [1-5]\\s+lag 0")
                    .containsPattern("member \\S+ at \\S+\\s+partitions \\[0, 1\\]");

            // WEFT_KAFKA_BOOTSTRAP picks Kafka as --kafka does; --url and --kafka together are refused.
            DeadLetterStoreCliTest.Run list = weft(Map.of("WEFT_KAFKA_BOOTSTRAP", bootstrap), "dead", "list", "--topic", topic);
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out().lines().filter(l -> l.contains("job.submitted")).count()).isEqualTo(2);
            assertThat(list.out()).contains(topic + ".dead 0@0  job.submitted ").contains(topic + ".dead 0@1  job.submitted ")
                    .containsPattern("group mailers, consumer mailer-1, 1 deliveries, from " + topic + "-[01]@[0-9]+: smtp refused");
            DeadLetterStoreCliTest.Run both = weft(Map.of(), "show", "--kafka", bootstrap, "--url", "redis://127.0.0.1:6379");
            assertThat(both.code()).isEqualTo(2);
            assertThat(both.err()).contains("--kafka and --url name two transports");

            DeadLetterStoreCliTest.Run replay = weft(Map.of(), "dead", "replay", "--kafka", bootstrap, "--topic", topic, "--group", "mailers");
            assertThat(replay.code()).as(replay.err()).isZero();
            assertThat(replay.out()).contains("replayed 2 dead letter(s) to topic " + topic + ", each marked as replayed in " + topic + ".dead");
            assertThat(replay.err()).contains("[##############################] 2/2");
            TopicInfo after = t.info();
            assertThat(after.records()).isEqualTo(7);
            assertThat(after.deadLetters()).isZero();
            assertThat(after.deadLetterRecords()).isEqualTo(4); // two dead letters and their two marks
            List<Delivery> again = receive(t, "mailers", 2); // the replayed events, delivered to the group again
            assertThat(again).extracting(d -> d.message().id())
                    .containsExactlyInAnyOrderElementsOf(List.of(got.get(3).message().id(), got.get(4).message().id()));

            again.get(0).ack();
            again.get(1).reject("smtp still refused"); // a dead letter again
            Poll.until(() -> t.deadLetterRecords("mailers", 10).size() == 1, 30);
            DeadLetterStoreCliTest.Run noYes = weft(Map.of(), "dead", "purge", "--kafka", bootstrap, "--topic", topic);
            assertThat(noYes.code()).isEqualTo(2);
            assertThat(noYes.err()).contains("Kafka deletes them only with the topic's retention").contains("--yes");
            DeadLetterStoreCliTest.Run purge = weft(Map.of(), "dead", "purge", "--kafka", bootstrap, "--topic", topic, "--yes");
            assertThat(purge.code()).as(purge.err()).isZero();
            assertThat(purge.out()).contains("purged 1 dead letter(s): each is marked as purged in " + topic + ".dead")
                    .contains("Kafka deletes no single record").contains("retention");
            assertThat(weft(Map.of(), "dead", "list", "--kafka", bootstrap, "--topic", topic).out()).contains("no dead letters in " + topic + ".dead");
            assertThat(t.info().deadLetterRecords()).isEqualTo(6); // nothing deleted: three dead letters, three marks
        }
    }

    @Test
    @Timeout(60)
    void aMissingTopicIsNamedAndNotCreated_aBadSettingIsRefused_secretsAreNotShown(@TempDir Path dir) throws Exception {
        String topic = "cli-missing-" + UUID.randomUUID();
        DeadLetterStoreCliTest.Run show = weft(Map.of(), "show", "--kafka", bootstrap, "--topic", topic);
        assertThat(show.code()).isEqualTo(1);
        assertThat(show.err()).contains("topic '" + topic + "'").contains("does not exist");
        DeadLetterStoreCliTest.Run list = weft(Map.of(), "dead", "list", "--kafka", bootstrap, "--topic", topic);
        assertThat(list.code()).isEqualTo(1);
        assertThat(list.err()).contains(topic).contains("do not exist");
        Properties admin = new Properties();
        admin.put("bootstrap.servers", bootstrap);
        try (Admin a = Admin.create(admin)) {
            assertThat(a.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain(topic, topic + ".dead");
        }

        Path reserved = dir.resolve("reserved.properties");
        Files.writeString(reserved, "acks=1\n");
        DeadLetterStoreCliTest.Run refused = weft(Map.of(), "show", "--kafka", bootstrap, "--kafka-config", reserved.toString());
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("--kafka-config " + reserved + ": property 'acks' is set by KafkaTransport itself");

        String existing = "cli-secret-" + UUID.randomUUID();
        try (KafkaTransport t = KafkaTransport.builder(bootstrap).topic(existing).build()) {
            t.publish(WeftCliTest.message("job"));
        }
        Path secret = dir.resolve("client.properties");
        Files.writeString(secret, "security.protocol=PLAINTEXT\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"ops\" password=\"Kafka-Secret-77\";\n");
        DeadLetterStoreCliTest.Run withConfig = weft(Map.of(), "show", "--kafka", bootstrap, "--topic", existing, "--kafka-config", secret.toString());
        assertThat(withConfig.code()).as(withConfig.err()).isZero();
        assertThat(withConfig.out()).contains("topic " + existing + ": 3 partition(s), 1 records");
        assertThat(withConfig.out() + withConfig.err()).doesNotContain("Kafka-Secret-77");
    }

    @Test
    @Timeout(60)
    void aStoresWorkerLetterIsReplayedToAKafkaTopic() throws Exception {
        String topic = "cli-store-" + UUID.randomUUID();
        String url = "jdbc:h2:mem:cli-kafka-" + DeadLetterStoreCliTest.SEQ.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
        try (StoreCommands.OneConnection pool = new StoreCommands.OneConnection(url, null, null);
             KafkaTransport t = KafkaTransport.builder(bootstrap).topic(topic).partitions(1).build()) {
            t.publish(WeftCliTest.message("makes the topic"));
            var store = dev.weft.jdbc.JdbcDeadLetterStore.builder(pool).table("letters").createTable(true).build();
            DeadLetterStoreCliTest.Letters l = DeadLetterStoreCliTest.park(store);
            DeadLetterStoreCliTest.Run replay = weft(Map.of(), "dead", "replay", "--jdbc", url, "--table", "letters", "--kafka", bootstrap, "--topic", topic);
            assertThat(replay.code()).as(replay.err()).isZero();
            assertThat(replay.out()).contains("replayed 1 dead letter(s) from " + store.name() + " to topic " + topic);
            List<Delivery> got = receive(t, "mailers", 2);
            assertThat(got).extracting(Delivery::message).contains(l.worker().message()); // same id, name and bytes
            assertThat(store.find(l.worker().id())).as("removed once published").isEmpty();
        }
    }

    @Test
    @Timeout(60)
    void noBrokerIsAClearErrorWithinTheTimeout() throws Exception {
        int port = RedisServer.freePort();
        long t0 = System.nanoTime();
        DeadLetterStoreCliTest.Run down = weft(Map.of(), "show", "--kafka", "127.0.0.1:" + port, "--kafka-timeout", "3");
        assertThat(down.code()).isEqualTo(1);
        assertThat(down.err()).startsWith("weft: cannot ").contains("Kafka at 127.0.0.1:" + port);
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(30));
        assertThat(weft(Map.of(), "--help").out()).contains("--kafka").contains("--topic");
        assertThat(weft(Map.of(), "dead", "purge", "--help").out()).contains("Kafka deletes no single record");
    }
}
