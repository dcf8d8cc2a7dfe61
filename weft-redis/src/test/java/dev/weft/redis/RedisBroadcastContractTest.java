package dev.weft.redis;

import dev.weft.events.transport.Transport;
import dev.weft.test.RedisServer;
import dev.weft.test.TransportContract;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Pub/sub broadcast passes the rules every transport has (R3), against a real Redis; not the
 * at-least-once ones: it never delivers a message twice ({@code RedisBroadcastTest} pins that).
 */
class RedisBroadcastContractTest extends TransportContract {
    static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) redis.close();
    }

    @Override
    protected Transport create(Settings s) {
        return RedisBroadcast.builder(redis.uri()).channel("contract:" + UUID.randomUUID()).build();
    }
}
