package dev.weft.redis;

import dev.weft.test.RedisServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** R4: TLS and ACL credentials from the URI, secrets never shown, payload limits, clear errors. */
class SecurityAndLimitsTest {
    static final String PASSWORD = "s3cr3t-Pw-4711";
    static RedisServer redis;

    @BeforeAll
    static void startRedisWithAnAclUser() {
        // An ACL user 'weft' with a password; the default user needs one too (not ours).
        // And 'reader', who may log in and read but not write.
        redis = RedisServer.start("--user", "weft", "on", ">" + PASSWORD, "~*", "&*", "+@all",
                "--user", "reader", "on", ">" + PASSWORD, "~*", "&*", "+@read", "+@connection",
                "--requirepass", "other-" + PASSWORD);
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) redis.close();
    }

    String uri(String user, String password) {
        return "redis://" + user + ":" + password + "@127.0.0.1:" + redis.port();
    }

    static TransportMessage message(int bytes) {
        return new TransportMessage(UUID.randomUUID().toString(), "test.event", "x".repeat(bytes).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void r4_anAclUserAndPasswordFromTheUriWork() {
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri("weft", PASSWORD)).stream("acl:" + UUID.randomUUID()).build()) {
            t.publish(message(10));
            List<Delivery> got = t.receive("g", "c1", 10, Duration.ZERO);
            assertThat(got).hasSize(1);
            got.get(0).ack();
        }
    }

    @Test
    void r4_aWrongPasswordGivesAClearErrorThatDoesNotRepeatIt() {
        String wrong = "not-the-password-9981";
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri("weft", wrong)).stream("acl:x").build()) {
            assertThatThrownBy(() -> t.publish(message(10)))
                    .isInstanceOf(TransportException.class)
                    .hasMessageContaining("refused the credentials")
                    .hasMessageContaining("check the user and password")
                    .hasMessageContaining("redis://weft@127.0.0.1:" + redis.port())
                    .satisfies(e -> assertThat(everyMessage(e)).doesNotContain(wrong));
        }
    }

    @Test
    void r4_aUserTheAclDoesNotAllowToWriteGetsAnErrorAboutPermissionsNotThePassword() {
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri("reader", PASSWORD)).stream("acl:" + UUID.randomUUID()).build()) {
            assertThatThrownBy(() -> t.publish(message(10)))
                    .isInstanceOf(TransportException.class)
                    .hasMessageContaining("ACL does not allow")
                    .hasMessageContaining("NOPERM")
                    .satisfies(e -> assertThat(everyMessage(e)).doesNotContain(PASSWORD).doesNotContain("refused the credentials"));
        }
    }

    @Test
    void r4_thePasswordIsNeverInToStringOrMessages() throws Exception {
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri("weft", PASSWORD)).stream("acl:" + UUID.randomUUID()).maxPayloadBytes(100).build()) {
            assertThat(t.toString()).contains("weft@127.0.0.1").doesNotContain(PASSWORD);
            assertThatThrownBy(() -> t.publish(message(101))).satisfies(e -> assertThat(everyMessage(e)).doesNotContain(PASSWORD));
            t.publish(message(10));
        }
        assertThatThrownBy(() -> RedisStreamsTransport.builder("http://weft:" + PASSWORD + "@host"))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(everyMessage(e)).doesNotContain(PASSWORD));
        try (RedisStreamsTransport down = RedisStreamsTransport.builder("redis://weft:" + PASSWORD + "@127.0.0.1:" + closedPort()).build()) {
            assertThatThrownBy(() -> down.publish(message(10))).satisfies(e -> assertThat(everyMessage(e)).doesNotContain(PASSWORD));
        }
    }

    /**
     * Issue 10, item 7. Lettuce's command encoder logs every byte it sends at TRACE, the
     * handshake's {@code AUTH weft <password>} included; anyone debugging with TRACE on would have
     * the password in their logs. Weft's connections use an encoder that does not log, so with
     * Lettuce at TRACE (through JUL, where Netty's logging goes when no SLF4J binding is present,
     * as here; an SLF4J binding gets the same calls) the log shows traffic but never the password,
     * on success and on a refused login.
     */
    @Test
    void r4_withLettuceLoggingAtTraceTheLogNeverHoldsThePassword() {
        java.util.logging.Logger lettuce = java.util.logging.Logger.getLogger("io.lettuce"); // held: JUL keeps loggers weakly
        java.util.logging.Level before = lettuce.getLevel();
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getLoggerName() + " " + r.getLevel() + " " + new java.util.logging.SimpleFormatter().formatMessage(r)
                        + (r.getThrown() != null ? " " + everyMessage(r.getThrown()) : ""));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        capture.setLevel(java.util.logging.Level.ALL);
        lettuce.setLevel(java.util.logging.Level.FINEST);
        lettuce.addHandler(capture);
        try {
            try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri("weft", PASSWORD)).stream("trace:" + UUID.randomUUID()).build()) {
                t.publish(message(10));
                for (Delivery d : t.receive("g", "c1", 10, Duration.ZERO)) d.ack();
            }
            String wrong = "wrong-" + PASSWORD;
            try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri("weft", wrong)).stream("trace:x").build()) {
                assertThatThrownBy(() -> t.publish(message(10))).isInstanceOf(TransportException.class);
            }
        } finally {
            lettuce.removeHandler(capture);
            lettuce.setLevel(before);
        }
        String log = String.join("\n", lines);
        // TRACE really was on and captured: Lettuce logged the bytes it received.
        assertThat(log).contains("Buffer:").contains("XADD");
        assertThat(log).doesNotContain(PASSWORD);
    }

    @Test
    void r4_aPayloadOverTheLimitIsRefusedAtPublishWithAClearError() {
        try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri("weft", PASSWORD)).stream("limit:" + UUID.randomUUID()).maxPayloadBytes(100).build()) {
            assertThatThrownBy(() -> t.publish(message(101)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("101 bytes, over the limit of 100 bytes");
            assertThatThrownBy(() -> t.publishAll(List.of(message(1), message(101)))).isInstanceOf(IllegalArgumentException.class);
            t.publish(message(100));
            assertThat(t.receive("g", "c1", 10, Duration.ZERO)).hasSize(1); // only the one that fits: publishAll sent nothing
        }
    }

    @Test
    void r4_redisDownGivesAClearError() throws Exception {
        try (RedisStreamsTransport t = RedisStreamsTransport.builder("redis://127.0.0.1:" + closedPort()).build()) {
            assertThatThrownBy(() -> t.publish(message(10)))
                    .isInstanceOf(TransportException.class)
                    .hasMessageContaining("cannot connect to Redis at redis://127.0.0.1:")
                    .hasMessageContaining("is redis-server running");
        }
    }

    @Test
    void r4_tlsFromARedissUri() throws Exception {
        assumeTrue(new File("/usr/bin/openssl").canExecute(), "openssl is needed to make a test certificate");
        Path dir = Files.createTempDirectory("weft-tls");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString(), "-days", "1", "-subj", "/CN=localhost").redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        try (RedisServer tls = RedisServer.startTls(dir.resolve("cert.pem"), dir.resolve("key.pem"),
                "--user", "weft", "on", ">" + PASSWORD, "~*", "&*", "+@all")) {
            assertThat(tls.pid()).isPositive();
            int tlsPort = tls.tlsPort();
            // A self-signed test certificate: peer verification off here; in production the JVM's truststore verifies it.
            String uri = "rediss://weft:" + PASSWORD + "@127.0.0.1:" + tlsPort + "?verifyPeer=NONE";
            try (RedisStreamsTransport t = RedisStreamsTransport.builder(uri).stream("tls:" + UUID.randomUUID()).build()) {
                assertThat(t.toString()).contains("rediss://weft@127.0.0.1:" + tlsPort).doesNotContain(PASSWORD);
                t.publish(message(10));
                assertThat(t.receive("g", "c1", 10, Duration.ZERO)).hasSize(1);
            }
            // The same server without TLS on its TLS port: a clear error, not a hang.
            try (RedisStreamsTransport plain = RedisStreamsTransport.builder("redis://127.0.0.1:" + tlsPort).commandTimeout(Duration.ofSeconds(2)).build()) {
                assertThatThrownBy(() -> plain.publish(message(10))).isInstanceOf(TransportException.class);
            }
        }
    }

    static String everyMessage(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append('\n');
            for (Throwable s : t.getSuppressed()) b.append(s).append('\n');
        }
        return b.toString();
    }

    static int closedPort() throws java.io.IOException {
        return RedisServer.freePort(); // free now: nothing listens there
    }
}
