package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportMessage;
import dev.weft.test.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The lag of a partitioned stream is the sum over its partitions (ADR 0064, ADR 0074). */
class RedisPartitionedLagTest {

    @Test
    void aPartitionedStreamsLagSumsItsPartitions() {
        try (RedisServer redis = RedisServer.start()) {
            RedisStreamsTransport t = RedisStreamsTransport.builder(redis.uri()).stream("lag:" + UUID.randomUUID())
                    .partitions(3).partitionKey(m -> new String(m.body(), StandardCharsets.UTF_8)).build();
            try {
                List<TransportMessage> messages = new ArrayList<>();
                for (int i = 0; i < 9; i++) {
                    messages.add(new TransportMessage(UUID.randomUUID().toString(), "test.event", ("key-" + i).getBytes(StandardCharsets.UTF_8)));
                }
                t.publishAll(messages);
                assertThat(t.lag("readers")).as("no group yet: Redis cannot tell").isEmpty();
                List<Delivery> got = new ArrayList<>();
                // Each receive creates the group where it reads; keep receiving until all 9 are out.
                while (got.size() < 3) got.addAll(t.receive("readers", "r1", 3 - got.size(), Duration.ofMillis(50)));
                assertThat(t.lag("readers")).hasValueSatisfying(l -> {
                    assertThat(l.total()).as("nothing acknowledged: every entry still counts").isEqualTo(9);
                    assertThat(l.pending()).isEqualTo(3);
                });
                for (Delivery d : got) d.ack();
                while (got.size() < 9) {
                    List<Delivery> more = t.receive("readers", "r1", 9, Duration.ofMillis(50));
                    more.forEach(Delivery::ack);
                    got.addAll(more);
                }
                assertThat(t.lag("readers")).hasValueSatisfying(l -> assertThat(l.total()).isZero());
            } finally {
                t.close();
            }
        }
    }
}
