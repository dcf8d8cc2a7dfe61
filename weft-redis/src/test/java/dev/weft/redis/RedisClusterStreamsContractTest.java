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

/** The Redis Streams transport on a Redis Cluster (3 masters, 3 replicas) passes the at-least-once suite unchanged (issue 15). */
class RedisClusterStreamsContractTest extends AtLeastOnceTransportContract {
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
        current = RedisStreamsTransport.builder(cluster.uri()).stream("contract:" + UUID.randomUUID())
                .maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).build();
        return current;
    }

    /** Redis keeps time itself: see {@link Admin#age}; the stream's key is hash-tagged on a cluster. */
    @Override
    protected void passTime(Duration d) {
        Admin.age(admin.sync(), current.stream(), d);
    }
}
