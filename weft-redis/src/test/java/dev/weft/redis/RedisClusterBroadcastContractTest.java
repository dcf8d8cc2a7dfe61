package dev.weft.redis;

import dev.weft.events.transport.Transport;
import dev.weft.test.RedisCluster;
import dev.weft.test.TransportContract;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Pub/sub broadcast on a Redis Cluster passes the rules every transport has (R3), unchanged (issue 15). */
class RedisClusterBroadcastContractTest extends TransportContract {
    static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Override
    protected Transport create(Settings s) {
        return RedisBroadcast.builder(cluster.uri()).channel("contract:" + UUID.randomUUID()).build();
    }
}
