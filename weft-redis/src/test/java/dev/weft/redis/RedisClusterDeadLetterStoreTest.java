package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.EventCodec;
import dev.weft.test.DeadLetterStoreContract;
import dev.weft.test.RedisCluster;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisDeadLetterStore} on a Redis Cluster (3 masters, 3 replicas) passes the same
 * {@link DeadLetterStoreContract}: its key is hash-tagged, so the stream and its index share the
 * slot its scripts need.
 */
class RedisClusterDeadLetterStoreTest extends DeadLetterStoreContract {
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
    protected EncodedDeadLetterStore create() {
        return RedisDeadLetterStore.builder(cluster.uri()).key("dead:" + UUID.randomUUID()).build();
    }

    @Override
    protected EncodedDeadLetterStore reopen(EncodedDeadLetterStore store) {
        String key = ((RedisDeadLetterStore) store).key();
        return RedisDeadLetterStore.builder(cluster.uri()).key(key).build();
    }

    @Override
    protected void close(EncodedDeadLetterStore store) {
        ((RedisDeadLetterStore) store).close();
    }

    @Override
    protected EventCodec codec() {
        return new JacksonEventCodec();
    }

    @Test
    void theKeyIsHashTagged_aTaggedKeyIsKept() {
        assertThat(((RedisDeadLetterStore) store).key()).startsWith("{dead:").endsWith("}");
        try (RedisDeadLetterStore tagged = RedisDeadLetterStore.builder(cluster.uri()).key("{svc}:dead-letters").build()) {
            assertThat(tagged.key()).isEqualTo("{svc}:dead-letters");
        }
    }
}
