package dev.weft.redis;

import dev.weft.events.Transport;
import dev.weft.test.TransportContract;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Redis Streams transport passes the same transport suite as the in-memory one (R1). */
class RedisStreamsContractTest extends TransportContract {
    static RedisServer redis;
    static RedisClient client;
    static StatefulRedisConnection<String, String> admin;
    String stream;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        client = RedisClient.create(redis.uri());
        admin = client.connect();
    }

    @AfterAll
    static void stopRedis() {
        if (admin != null) admin.close();
        if (client != null) client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (redis != null) redis.close();
    }

    @Override
    protected Transport create(Settings s) {
        stream = "contract:" + UUID.randomUUID();
        return RedisStreamsTransport.builder(redis.uri()).stream(stream).maxDeliveries(s.maxDeliveries()).redeliverAfter(s.redeliverAfter()).build();
    }

    /**
     * Redis keeps time itself: time passes for the transport by ageing every pending entry of the
     * stream by {@code d} (XCLAIM to the same consumer with IDLE raised, JUSTID and RETRYCOUNT so
     * the delivery count stays), which is what the idle check of XAUTOCLAIM reads.
     */
    @Override
    protected void passTime(Duration d) {
        RedisCommands<String, String> r = admin.sync();
        for (Object g : r.xinfoGroups(stream)) {
            String group = groupName(g);
            for (PendingMessage p : r.xpending(stream, group, Range.create("-", "+"), Limit.from(10_000))) {
                List<StreamMessage<String, String>> ignored = r.xclaim(stream, Consumer.from(group, p.getConsumer()),
                        XClaimArgs.Builder.minIdleTime(0).idle(p.getMsSinceLastDelivery() + d.toMillis()).retryCount(p.getRedeliveryCount()).justid(), p.getId());
            }
        }
    }

    @SuppressWarnings("unchecked")
    static String groupName(Object xinfoGroup) {
        List<Object> kv = (List<Object>) xinfoGroup;
        for (int i = 0; i + 1 < kv.size(); i += 2) {
            if ("name".equals(String.valueOf(kv.get(i)))) return String.valueOf(kv.get(i + 1));
        }
        throw new IllegalStateException("no name in " + kv);
    }

}
