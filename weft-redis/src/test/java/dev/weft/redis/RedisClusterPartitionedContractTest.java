package dev.weft.redis;

import dev.weft.events.transport.Transport;
import dev.weft.test.AtLeastOnceTransportContract;
import dev.weft.test.RedisCluster;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A partitioned Streams transport (4 partitions over a Redis Cluster of 3 masters and 3 replicas)
 * passes the at-least-once suite unchanged (issue 15, ADR 0064): one transport instance is one
 * member, so it reads every partition, and the suite's messages (no key) stay in its own
 * partition, in publish order.
 */
class RedisClusterPartitionedContractTest extends AtLeastOnceTransportContract {
    static RedisCluster cluster;
    static RedisClusterClient client;
    static StatefulRedisClusterConnection<String, String> admin;
    RedisStreamsTransport current;

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
        client = RedisClusterClient.create(cluster.uri().replace("redis-cluster://", "redis://").split(",")[0]);
        admin = client.connect();
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) admin.close();
        if (client != null) client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (cluster != null) cluster.close();
    }

    @Override
    protected Transport create(Settings s) {
        current = RedisStreamsTransport.builder(cluster.uri()).stream("contract:" + UUID.randomUUID()).partitions(4)
                .maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).build();
        return current;
    }

    /** Redis keeps time itself: every partition's pending entries are aged ({@link Admin#age}). */
    @Override
    protected void passTime(Duration d) {
        for (String stream : current.streams()) {
            if (admin.sync().exists(stream) > 0) Admin.age(admin.sync(), stream, d);
        }
    }
}
