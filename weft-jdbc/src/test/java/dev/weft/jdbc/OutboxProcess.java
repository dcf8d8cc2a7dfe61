package dev.weft.jdbc;

import dev.weft.events.transport.Delivery;
import dev.weft.events.EventBus;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.jdbc.Events.SightingReported;
import dev.weft.redis.RedisStreamsTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A service in a JVM of its own, for the crash tests ({@link CrashTest}): it commits {@code n}
 * transactions that each insert a sighting row (ids 1..n) and emit its event through the
 * outbox, then {@code rollbacks} transactions (ids 100001..) that emit and then fail, and then,
 * by {@code mode}, stops at the step the test kills it in:
 * <ul>
 *   <li>{@code committed}: no relay has run;</li>
 *   <li>{@code mid-batch}: a relay's transport has published the first half of a batch and hangs;</li>
 *   <li>{@code confirmed}: the transport confirmed the whole batch, and the relay hangs before marking it;</li>
 *   <li>{@code redis-down}: the relay runs while Redis is down (the test stopped it) and has failed at least once.</li>
 * </ul>
 * It writes the step it reached into the marker file, then waits to be killed with SIGKILL.
 *
 * <p>Arguments: jdbc url, user (or "-"), outbox table, sightings table, redis URI, stream, mode, n, rollbacks, marker file.
 */
public final class OutboxProcess {
    private OutboxProcess() {}

    public static void main(String[] a) throws Exception {
        String url = a[0], user = a[1].equals("-") ? null : a[1], table = a[2], sightings = a[3], redis = a[4], stream = a[5], mode = a[6];
        int n = Integer.parseInt(a[7]), rollbacks = Integer.parseInt(a[8]);
        Path marker = Path.of(a[9]);
        SimplePool pool = new SimplePool(url, user, user == null ? null : "");
        JdbcOutbox outbox = JdbcOutbox.builder(pool).table(table).build();
        EventBus bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec()).outbox(outbox).build();
        for (int i = 1; i <= n; i++) report(outbox, bus, sightings, i, false);
        for (int i = 1; i <= rollbacks; i++) {
            try {
                report(outbox, bus, sightings, 100_000 + i, true);
            } catch (IllegalStateException expected) {
                // rolled back after the emit
            }
        }
        if (mode.equals("committed")) {
            mark(marker, "committed");
            new CountDownLatch(1).await(); // until killed
        }
        RedisStreamsTransport redisStreams = RedisStreamsTransport.builder(redis).stream(stream).commandTimeout(Duration.ofSeconds(2)).build();
        Transport t = new Transport() {
            @Override public String name() { return redisStreams.name(); }
            @Override public void publish(TransportMessage m) { publishAll(List.of(m)); }

            @Override
            public void publishAll(List<TransportMessage> ms) {
                try {
                    switch (mode) {
                        case "mid-batch" -> {
                            redisStreams.publishAll(ms.subList(0, ms.size() / 2));
                            hang(marker, "mid-batch");
                        }
                        case "confirmed" -> {
                            redisStreams.publishAll(ms);
                            hang(marker, "confirmed");
                        }
                        default -> redisStreams.publishAll(ms);
                    }
                } catch (TransportException down) {
                    if (mode.equals("redis-down")) mark(marker, "redis-down");
                    throw down;
                }
            }

            @Override public List<Delivery> receive(String g, String c, int max, Duration w) { return redisStreams.receive(g, c, max, w); }
            @Override public List<TransportMessage> deadLetters(String g) { return redisStreams.deadLetters(g); }
            @Override public void close() { redisStreams.close(); }
        };
        outbox.relay(t).batchSize(n).backoff(Duration.ofMillis(50), Duration.ofMillis(200)).build().run();
    }

    private static void report(JdbcOutbox outbox, EventBus bus, String sightings, long id, boolean fail) throws Exception {
        outbox.transaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + sightings + " (id, species, n) VALUES (?, 'kestrel', 1)")) {
                ps.setLong(1, id);
                ps.executeUpdate();
            }
            bus.emit(new SightingReported(id, "kestrel", 1));
            if (fail) throw new IllegalStateException("rolled back after the emit");
            return null;
        });
    }

    private static void hang(Path marker, String step) {
        mark(marker, step);
        try {
            new CountDownLatch(1).await(); // until killed
        } catch (InterruptedException e) {
            throw new TransportException("interrupted");
        }
    }

    private static void mark(Path marker, String step) {
        try {
            Files.writeString(marker, step + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
