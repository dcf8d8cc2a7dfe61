package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Redis Cluster URIs (issue 15): {@code redis-cluster://[user:password@]host:port,host:port}; bad ones name the problem and the fix, never the password. */
class RedisClusterUriTest {
    static final String PASSWORD = "s3cr3t-Pa55";

    static void refused(String uri, String... mentions) {
        assertThatThrownBy(() -> RedisStreamsTransport.builder(uri))
                .as(uri)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a Redis Cluster URI: ")
                .hasMessageContaining("expected redis-cluster://")
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain(PASSWORD);
                    for (String m : mentions) assertThat(e.getMessage()).contains(m);
                });
    }

    @Test
    void aClusterUriNamesSeedNodesWithSharedCredentialsAndOptions() {
        RedisUris.Target t = RedisStreamsTransport.builder("redis-cluster://alice:" + PASSWORD + "@10.0.0.1:7000,node-b:7001,[::1]:7002?timeout=3s").target();
        assertThat(t.cluster()).isTrue();
        assertThat(t.nodes()).extracting(RedisURI::getHost).containsExactly("10.0.0.1", "node-b", "[::1]");
        assertThat(t.nodes()).extracting(RedisURI::getPort).containsExactly(7000, 7001, 7002);
        for (RedisURI u : t.nodes()) {
            assertThat(RedisUriTest.credentials(u).getUsername()).isEqualTo("alice");
            assertThat(new String(RedisUriTest.credentials(u).getPassword())).isEqualTo(PASSWORD);
            assertThat(u.isSsl()).isFalse();
        }
        RedisUris.Target tls = RedisStreamsTransport.builder("REDISS-CLUSTER://h1,h2:7001/0").target();
        assertThat(tls.nodes()).allSatisfy(u -> assertThat(u.isSsl()).isTrue());
        assertThat(tls.nodes()).extracting(RedisURI::getPort).containsExactly(6379, 7001);
        assertThat(RedisStreamsTransport.builder("redis://h:6379").target().cluster()).isFalse();
        // The other builders read the same URIs.
        assertThat(RedisBroadcast.builder("redis-cluster://h1:7000").build().toString()).contains("redis-cluster://h1:7000");
    }

    @Test
    void namesShownNeverHoldThePassword() {
        try (RedisStreamsTransport t = RedisStreamsTransport.builder("redis-cluster://alice:" + PASSWORD + "@h1:7000,h2:7001").commandTimeout(Duration.ofSeconds(1)).build()) {
            assertThat(t.toString()).contains("redis-cluster://alice@h1:7000,h2:7001").doesNotContain(PASSWORD);
            assertThat(t.stream()).as("the stream key is hash-tagged on a cluster").isEqualTo("{weft:events}");
            assertThat(t.deadLetterStream()).isEqualTo("{weft:events}:dead");
        }
        try (RedisStreamsTransport t = RedisStreamsTransport.builder("redis-cluster://h1:7000").stream("orders:{eu}").build()) {
            assertThat(t.stream()).as("a name with a hash tag of its own is kept").isEqualTo("orders:{eu}");
        }
        try (RedisStreamsTransport t = RedisStreamsTransport.builder("redis://h1:7000").build()) {
            assertThat(t.stream()).as("a single Redis keeps the plain layout").isEqualTo("weft:events");
        }
    }

    @Test
    void partitionedStreamsHaveAKeyOfTheirOwnPerPartition_andRefuseBadNumbersAndTaggedNames() {
        RedisStreamsTransport.Builder b = RedisStreamsTransport.builder("redis-cluster://h1:7000");
        assertThat(b.partitions(1)).isSameAs(b);
        assertThatThrownBy(() -> b.partitions(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> b.partitions(1025)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 1024");
        try (RedisStreamsTransport t = RedisStreamsTransport.builder("redis-cluster://h1:7000").stream("orders").partitions(3).build()) {
            assertThat(t.partitions()).isEqualTo(3);
            assertThat(t.streams()).hasSize(3).allSatisfy(k -> assertThat(k).matches("\\{orders:\\d:\\d+\\}"));
            for (int i = 0; i < 3; i++) {
                int slot = io.lettuce.core.cluster.SlotHash.getSlot(t.streams().get(i));
                assertThat(slot).as("partition %d is in the middle of the %d-th third of the slots", i, i).isBetween(i * 5461 + 2300, i * 5461 + 3200);
                assertThat(t.streams().get(i)).startsWith("{orders:" + i + ":");
            }
            assertThat(t.stream()).isEqualTo("{orders}");
            assertThat(t.deadLetterStream()).isEqualTo("{orders:*}:dead");
        }
        try (RedisStreamsTransport t = RedisStreamsTransport.builder("redis://h1:7000").stream("orders").partitions(2).build()) {
            assertThat(t.streams()).as("a single Redis keeps the plain layout").containsExactly("orders:0", "orders:1");
            assertThat(t.deadLetterStream()).isEqualTo("orders:*:dead");
        }
        assertThatThrownBy(() -> RedisStreamsTransport.builder("redis-cluster://h1:7000").stream("{orders}").partitions(4).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hash tag").hasMessageContaining("without braces");
    }

    @Test
    void hashTagsFollowRedisRules() {
        assertThat(RedisLink.hashTagged("weft:events")).isEqualTo("{weft:events}");
        assertThat(RedisLink.hashTagged("{a}b")).isEqualTo("{a}b");
        assertThat(RedisLink.hashTagged("a{}b")).as("an empty tag hashes the whole key").isEqualTo("{a{}b}");
        assertThat(RedisLink.hashTagged("a{b")).isEqualTo("{a{b}");
    }

    @Test
    void malformedClusterUrisAreRefusedWithTheFix() {
        refused("redis-cluster://", "names no node");
        refused("redis-cluster://alice:" + PASSWORD + "@h1:7000,,h2:7001", "node 2", "empty");
        refused("redis-cluster://h1:7000,", "node 2", "empty");
        refused("redis-cluster://alice:" + PASSWORD + "@h1:7000,h2:70x1", "node 2", "port");
        refused("redis-cluster://h1:7000,my host:7001", "not a valid URI");
        refused("redis-cluster://h1:7000/3", "only database 0", "/3");
        refused("redis-cluster://alice:p@ss" + PASSWORD + "/x@h1:7000", "'@'");
        // A redis:// URI with a list of hosts points to the cluster form.
        assertThatThrownBy(() -> RedisStreamsTransport.builder("redis://h1:7000,h2:7001"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis-cluster://host:port,host:port");
        assertThatThrownBy(() -> RedisStreamsTransport.builder("redis-sentinel://h:26379"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis-cluster://");
    }
}
