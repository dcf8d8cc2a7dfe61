package dev.weft.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;

/**
 * R4: the builders promise an IllegalArgumentException for a bad Redis URI (issue 10, item 7):
 * the message names the problem and the fix and never repeats the password. Lettuce alone took
 * {@code redis://alice:pw@127.0.0.1:63790x} as host {@code 127.0.0.1:63790x} on port 6379.
 */
class RedisUriTest {
    /** Two halves that appear nowhere in any message unless the password leaked. */
    static final String P1 = "Xq7Zk", P2 = "W9pRv";
    static final String PASSWORD = P1 + P2;

    static RedisCredentials credentials(RedisURI u) {
        return u.getCredentialsProvider().resolveCredentials().block();
    }

    static void refused(String uri, String... mentions) {
        assertThatThrownBy(() -> RedisStreamsTransport.builder(uri))
                .as(uri)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a Redis URI: ")
                .hasMessageContaining("expected redis://")
                .satisfies(e -> {
                    String all = SecurityAndLimitsTest.everyMessage(e);
                    assertThat(all).as("the message of " + uri).doesNotContain(P1).doesNotContain(P2);
                    for (String m : mentions) assertThat(e.getMessage()).as(uri).contains(m);
                });
    }

    @Test
    void r4_aPortThatIsNotANumberFrom1To65535IsRefused() {
        refused("redis://alice:" + PASSWORD + "@127.0.0.1:63790x", "port", "'127.0.0.1'", "1 to 65535", "redis://127.0.0.1:6379");
        refused("redis://alice:" + PASSWORD + "@127.0.0.1:0", "port", "1 to 65535");
        refused("redis://alice:" + PASSWORD + "@127.0.0.1:65536", "port");
        refused("redis://alice:" + PASSWORD + "@127.0.0.1:99999999999", "port");
        refused("redis://alice:" + PASSWORD + "@127.0.0.1:-1", "port");
        refused("redis://127.0.0.1:6379:6380", "host");
        refused("redis://[::1]:63a9", "port");
    }

    @Test
    void r4_aMissingOrMalformedHostIsRefused() {
        refused("redis://:6379", "no host");
        refused("redis://alice:" + PASSWORD + "@:6379", "no host");
        refused("redis://alice:" + PASSWORD + "@", "no host");
        refused("redis://ho$t:6379", "host 'ho$t'");
        refused("redis://-host:6379", "host");
        refused("redis://[::1:6379", "IPv6");
        refused("redis://[zz]:6379", "IPv6");
        refused("redis://alice:" + PASSWORD + "@ho st:6379", "not a valid URI");
    }

    @Test
    void r4_otherSchemesAreRefused_sayingWhichAreSupported() {
        refused("http://alice:" + PASSWORD + "@host:6379", "scheme 'http'", "redis://", "rediss://");
        refused("redis-sentinel://host:26379#mymaster", "scheme 'redis-sentinel'", "Sentinel");
        refused("redis-socket:///tmp/redis.sock", "scheme 'redis-socket'");
        refused("127.0.0.1:6379", "does not start with redis://");
        refused("alice:" + PASSWORD + "@host:6379", "does not start with redis://");
        refused("", "empty");
        refused("   ", "empty");
    }

    @Test
    void r4_unencodedSpecialCharactersInThePasswordAreRefusedWithoutRepeatingIt() {
        refused("redis://alice:" + P1 + "/" + P2 + "@host:6379", "percent-encode", "%2F");
        refused("redis://alice:" + P1 + "?" + P2 + "@host:6379", "percent-encode");
        refused("redis://alice:" + P1 + "#" + P2 + "@host:6379", "percent-encode");
        refused("redis://alice:" + P1 + "%zz" + P2 + "@host:6379", "percent-encode");
        refused("redis://" + P1 + "/" + P2 + "@host", "percent-encode"); // a password alone
    }

    @Test
    void r4_aDatabaseThatIsNotANumberIsRefused() {
        refused("redis://alice:" + PASSWORD + "@host:6379/abc", "database number", "redis://host:6379/0");
        refused("redis://host:6379/-1", "database number");
        refused("redis://host:6379/0/1", "database number");
        refused("redis://host:6379/0#frag", "'#'");
    }

    @Test
    void r4_wellFormedUrisAreReadAsWritten() {
        RedisURI u = RedisStreamsTransport.builder("redis://alice:p%40ss%2Fw@127.0.0.1:6380/2").uri();
        assertThat(u.getHost()).isEqualTo("127.0.0.1");
        assertThat(u.getPort()).isEqualTo(6380);
        assertThat(u.getDatabase()).isEqualTo(2);
        assertThat(credentials(u).getUsername()).isEqualTo("alice");
        assertThat(new String(credentials(u).getPassword())).isEqualTo("p@ss/w");
        assertThat(u.isSsl()).isFalse();

        // Lettuce alone reads these as host "my_redis:6380" on port 6379.
        u = RedisStreamsTransport.builder("redis://my_redis:6380").uri();
        assertThat(u.getHost()).isEqualTo("my_redis");
        assertThat(u.getPort()).isEqualTo(6380);
        u = RedisStreamsTransport.builder("redis://bob:" + PASSWORD + "@redis_1.internal:6390/1").uri();
        assertThat(u.getHost()).isEqualTo("redis_1.internal");
        assertThat(u.getPort()).isEqualTo(6390);
        assertThat(new String(credentials(u).getPassword())).isEqualTo(PASSWORD);

        u = RedisStreamsTransport.builder("redis://[::1]:6390").uri();
        assertThat(u.getHost()).isEqualTo("[::1]");
        assertThat(u.getPort()).isEqualTo(6390);

        u = RedisStreamsTransport.builder("REDIS://host").uri();
        assertThat(u.getHost()).isEqualTo("host");
        assertThat(u.getPort()).isEqualTo(6379);
        assertThat(u.getDatabase()).isZero();

        u = RedisStreamsTransport.builder("rediss://host:6380/0?verifyPeer=NONE").uri();
        assertThat(u.isSsl()).isTrue();
        assertThat(u.getPort()).isEqualTo(6380);

        // An '@' inside the password, unencoded: the last '@' before the host ends the user info.
        u = RedisStreamsTransport.builder("redis://alice:p@ss@host:6379").uri();
        assertThat(u.getHost()).isEqualTo("host");
        assertThat(new String(credentials(u).getPassword())).isEqualTo("p@ss");

        u = RedisStreamsTransport.builder("redis://host:").uri();
        assertThat(u.getPort()).isEqualTo(6379);
    }

    @Test
    void r4_theOtherRedisBuildersFollowTheSameRules() {
        assertThatThrownBy(() -> RedisBroadcast.builder("redis://alice:" + PASSWORD + "@127.0.0.1:63790x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port").satisfies(e -> assertThat(e.getMessage()).doesNotContain(P1));
        assertThatThrownBy(() -> RedisReliableQueue.builder("redis://alice:" + PASSWORD + "@127.0.0.1:63790x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port").satisfies(e -> assertThat(e.getMessage()).doesNotContain(P1));
    }
}
