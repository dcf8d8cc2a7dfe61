package dev.weft.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import dev.weft.test.Poll;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three brokers, replication factor 3, {@code min.insync.replicas=2}: a broker killed with
 * SIGKILL while events are published and consumed loses nothing that a publish confirmed, and
 * every confirmed event is handled at least once (issue 15). Publishes that fail while the
 * partitions move to new leaders are retried, as the bus's outbox does.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KafkaFaultTest {
    static final int EVENTS = 3_000;
    static final int BATCH = 20;

    @Test
    void aBrokerKilledDuringPublishAndConsumeLosesNothingConfirmed() throws Exception {
        try (KafkaCluster cluster = KafkaCluster.start(3)) {
            String topic = "fault." + UUID.randomUUID();
            KafkaTransport.Builder b = KafkaTransport.builder(cluster.bootstrap()).topic(topic).partitions(6).replicationFactor(3)
                    .topicConfig("min.insync.replicas", "2").recordKey(TransportMessage::id).publishTimeout(Duration.ofSeconds(20));
            try (KafkaTransport publisher = b.build(); KafkaTransport consumer = b.build()) {
                Set<String> confirmed = ConcurrentHashMap.newKeySet();
                Map<String, Integer> handled = new ConcurrentHashMap<>();
                AtomicInteger failedPublishes = new AtomicInteger();
                AtomicReference<Throwable> broken = new AtomicReference<>();
                CountDownLatch aThirdConfirmed = new CountDownLatch(1);
                AtomicBoolean stop = new AtomicBoolean();

                Thread publishing = Thread.ofPlatform().name("publisher").start(() -> {
                    try {
                        for (int i = 0; i < EVENTS; i += BATCH) {
                            List<TransportMessage> batch = new ArrayList<>();
                            for (int k = i; k < i + BATCH; k++) {
                                batch.add(new TransportMessage(UUID.randomUUID().toString(), "fault.event", ("e" + k).getBytes(StandardCharsets.UTF_8)));
                            }
                            while (true) {
                                try {
                                    publisher.publishAll(batch);
                                    break;
                                } catch (TransportException notConfirmed) {
                                    failedPublishes.incrementAndGet(); // the outbox would publish it again: so do we
                                }
                            }
                            for (TransportMessage m : batch) confirmed.add(m.id());
                            if (confirmed.size() >= EVENTS / 3) aThirdConfirmed.countDown();
                        }
                    } catch (Throwable t) {
                        broken.set(t);
                        aThirdConfirmed.countDown();
                    }
                });
                Thread consuming = Thread.ofPlatform().name("consumer").start(() -> {
                    try {
                        while (!stop.get()) {
                            for (Delivery d : consumer.receive("g", "c1", 100, Duration.ofMillis(100))) {
                                handled.merge(d.message().id(), 1, Integer::sum);
                                d.ack();
                            }
                        }
                    } catch (Throwable t) {
                        broken.compareAndSet(null, t);
                    }
                });

                assertThat(aThirdConfirmed.await(60, TimeUnit.SECONDS)).as("a third of the events published within 60 s").isTrue();
                Poll.until(() -> !handled.isEmpty() || broken.get() != null, 60);
                assertThat(broken.get()).isNull();
                int victim = leaderOfPartitionZero(cluster, topic);
                int confirmedBefore = confirmed.size(), handledBefore = handled.size();
                cluster.kill(victim - 1);

                publishing.join(Duration.ofSeconds(90));
                assertThat(publishing.isAlive()).as("publishing finished within 90 s of the kill").isFalse();
                assertThat(broken.get()).isNull();
                assertThat(confirmed).hasSize(EVENTS);
                Poll.until(() -> handled.keySet().containsAll(confirmed) || broken.get() != null, 60);
                stop.set(true);
                consuming.join(Duration.ofSeconds(30));
                assertThat(broken.get()).isNull();
                assertThat(handled.keySet()).as("every confirmed event handled").containsAll(confirmed);
                long again = handled.values().stream().filter(n -> n > 1).count();
                System.out.printf("KafkaFaultTest: killed broker %d (leader of partition 0) after %d of %d events confirmed and %d handled; "
                        + "%d publish calls failed and were retried; %d events handled more than once; none lost%n",
                        victim, confirmedBefore, EVENTS, handledBefore, failedPublishes.get(), again);
            }
        }
    }

    static int leaderOfPartitionZero(KafkaCluster cluster, String topic) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", cluster.bootstrap());
        try (Admin a = Admin.create(p)) {
            TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
            return d.partitions().get(0).leader().id();
        }
    }
}
