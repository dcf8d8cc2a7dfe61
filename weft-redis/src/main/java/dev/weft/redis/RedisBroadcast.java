package dev.weft.redis;

import dev.weft.Weft;
import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Broadcast through Redis pub/sub (rule R3): every subscribed group gets every message published
 * while it is subscribed. <b>At most once</b>: a message published while no one listens, while a
 * subscriber is disconnected, or that overflows a group's buffer is gone; nothing is stored,
 * acknowledged or delivered again. Use it for cache invalidation, live dashboards, "something
 * changed, look again"; use {@link RedisStreamsTransport} for anything that must not be lost.
 *
 * <pre>{@code
 * try (RedisBroadcast b = RedisBroadcast.builder("redis://localhost:6379").channel("weft:cache").build()) {
 *     EventBus bus = EventBus.builder().declare(PriceChanged.class).codec(new JacksonEventCodec()).transport(b).build();
 *     scope.forkBackground(() -> bus.consume(b, "node-" + pid, "node-" + pid)); // one group per process: each gets all
 * }
 * }</pre>
 *
 * <p>As a {@link Transport}: {@link #publish} returns once Redis accepted the message (not once
 * anyone received it); {@link #receive} subscribes the group on its first call and returns only
 * once Redis confirmed the subscription (a subscription Redis refused fails that receive and is
 * asked for again by the next), then hands out what arrived since, in the order Redis got it,
 * blocking up to {@code wait} (a cancellation point); within a group each message goes to one
 * consumer. {@link Delivery#ack()} and {@link Delivery#reject(String)} do nothing,
 * {@link Delivery#deliveryCount()} is always 1, {@link #deadLetters} is always empty. It passes
 * the rules every transport has ({@code TransportContract} in weft-test, for groups that made
 * their first receive before the publish), not the at-least-once ones
 * ({@code AtLeastOnceTransportContract}: redelivery and dead letters). Each group buffers at most
 * {@code bufferSize} messages; when full, the oldest is dropped, logged and counted
 * ({@link #dropped()}). The channel message is {@code weft1 <id> <name>\n<body>} (docs/WIRE.md).
 * Thread-safe.
 */
// Implementer's note. One pub/sub connection per transport, subscribed to the channel once the
// first group asks; its listener (a Lettuce event-loop thread, which must not block) appends to
// every group's bounded buffer under the transport's lock and signals waiting receivers. The
// first receive SUBSCRIBEs; receives that come while it waits for Redis' confirmation wait for the
// same future (otherwise they would return before the subscription exists, and what their caller
// publishes next could be lost); a failed SUBSCRIBE leaves a failed future, which the next
// receive replaces by subscribing again.
public final class RedisBroadcast implements Transport {
    private static final String MAGIC = "weft1";

    private final String name;
    private final String channel;
    private final int bufferSize;
    private final RedisLink link;
    private final System.Logger log;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final Map<String, ArrayDeque<TransportMessage>> groups = new HashMap<>();
    private final LongAdder dropped = new LongAdder();
    private StatefulRedisPubSubConnection<String, byte[]> subscription;
    /** Completes once Redis confirmed the SUBSCRIBE; failed: the next receive subscribes again. */
    private CompletableFuture<Void> subscribed;
    private volatile boolean closed;

    private RedisBroadcast(Builder b) {
        this.channel = b.channel;
        this.name = b.name != null ? b.name : "redis-broadcast:" + b.channel;
        this.bufferSize = b.bufferSize;
        this.link = new RedisLink(name, b.rawUri, b.target, b.commandTimeout);
        this.log = b.logger;
    }

    /** A builder for broadcast through the Redis at {@code redisUri} (as {@link RedisStreamsTransport#builder}). */
    public static Builder builder(String redisUri) {
        return new Builder(redisUri);
    }

    @Override
    public String name() {
        return name;
    }

    /** Messages dropped so far because a group's buffer was full or a message was not a Weft message. */
    public long dropped() {
        return dropped.sum();
    }

    /**
     * Sends {@code message} to every group subscribed now ({@code PUBLISH}).
     *
     * @throws TransportException if Redis did not accept it
     */
    @Override
    public void publish(TransportMessage message) {
        Objects.requireNonNull(message, "message");
        if (closed) throw new TransportClosedException(name);
        byte[] head = (MAGIC + " " + message.id() + " " + message.name() + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[head.length + message.body().length];
        System.arraycopy(head, 0, frame, 0, head.length);
        System.arraycopy(message.body(), 0, frame, head.length, message.body().length);
        link.call("publish to channel '" + channel + "'", r -> r.publish(channel, frame));
    }

    @Override
    public List<Delivery> receive(String group, String consumer, int max, Duration wait) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(consumer, "consumer");
        if (max < 0) throw new IllegalArgumentException("max is negative");
        if (closed) throw new TransportClosedException(name);
        subscribe(group);
        long remaining = wait.toNanos();
        List<Delivery> out = new ArrayList<>();
        lock.lock();
        try {
            ArrayDeque<TransportMessage> q = groups.get(group);
            while (true) {
                if (closed) throw new TransportClosedException(name);
                while (out.size() < max && !q.isEmpty()) out.add(new Broadcast(q.poll()));
                if (!out.isEmpty() || max == 0 || remaining <= 0) return out;
                try {
                    remaining = arrived.awaitNanos(remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    Weft.checkpoint();
                    throw new TransportException("interrupted while receiving from '" + name + "'", e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds {@code group} and returns once Redis confirmed the subscription to the channel, so the
     * group gets everything published after this returns. One caller subscribes; the others wait
     * for its answer, and try themselves if it failed.
     */
    private void subscribe(String group) {
        while (true) {
            CompletableFuture<Void> confirmed;
            boolean mine;
            lock.lock();
            try {
                if (closed) throw new TransportClosedException(name);
                groups.computeIfAbsent(group, g -> new ArrayDeque<>());
                mine = subscribed == null || subscribed.isCompletedExceptionally();
                if (mine) subscribed = new CompletableFuture<>();
                confirmed = subscribed;
            } finally {
                lock.unlock();
            }
            if (mine) {
                subscribeNow(confirmed);
                return;
            }
            if (confirmed.isDone() && !confirmed.isCompletedExceptionally()) return;
            try {
                confirmed.get(); // the subscriber's SUBSCRIBE is bounded by the command timeout
                return;
            } catch (ExecutionException e) {
                // That subscriber failed (or was cancelled): the next round tries again, as this caller.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Weft.checkpoint();
                throw new TransportException("interrupted while waiting for the subscription to channel '" + channel + "' of '" + name + "'", e);
            }
        }
    }

    private void subscribeNow(CompletableFuture<Void> confirmed) {
        try {
            StatefulRedisPubSubConnection<String, byte[]> c = pubSub();
            // Returns once Redis confirmed the subscription: what is published after it arrives.
            c.sync().subscribe(channel);
            confirmed.complete(null);
        } catch (Throwable e) {
            confirmed.completeExceptionally(e); // the next receive asks again: never a group that silently gets nothing
            if (e instanceof io.lettuce.core.RedisException re) throw link.translate("subscribe to channel '" + channel + "'", re);
            throw e;
        }
    }

    /** The pub/sub connection, opened by the first subscriber and kept (Lettuce subscribes it again after a reconnect). */
    private StatefulRedisPubSubConnection<String, byte[]> pubSub() {
        lock.lock();
        try {
            if (subscription != null) return subscription;
        } finally {
            lock.unlock();
        }
        StatefulRedisPubSubConnection<String, byte[]> c = link.openPubSub(); // only one subscriber at a time gets here
        c.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, byte[] frame) {
                arrive(frame);
            }
        });
        lock.lock();
        try {
            subscription = c;
        } finally {
            lock.unlock();
        }
        return c;
    }

    private void arrive(byte[] frame) {
        TransportMessage m = parse(frame);
        if (m == null) {
            dropped.increment();
            log.log(Level.WARNING, "broadcast ''{0}'': a message that is not a Weft message was ignored ({1} bytes)", channel, frame.length);
            return;
        }
        lock.lock();
        try {
            for (var e : groups.entrySet()) {
                ArrayDeque<TransportMessage> q = e.getValue();
                if (q.size() >= bufferSize) {
                    q.poll();
                    dropped.increment();
                    log.log(Level.WARNING, "broadcast ''{0}'': group ''{1}'' is {2} messages behind; the oldest was dropped (at most once)",
                            channel, e.getKey(), bufferSize);
                }
                q.add(m);
            }
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    static TransportMessage parse(byte[] frame) {
        int nl = -1;
        for (int i = 0; i < frame.length && i < 512; i++) {
            if (frame[i] == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) return null;
        String[] head = new String(frame, 0, nl, StandardCharsets.UTF_8).split(" ");
        if (head.length != 3 || !MAGIC.equals(head[0]) || head[1].isEmpty() || head[2].isEmpty()) return null;
        byte[] body = new byte[frame.length - nl - 1];
        System.arraycopy(frame, nl + 1, body, 0, body.length);
        return new TransportMessage(head[1], head[2], body);
    }

    /** Always empty: broadcast keeps nothing. */
    @Override
    public List<TransportMessage> deadLetters(String group) {
        return List.of();
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        link.close();
    }

    @Override
    public String toString() {
        return "RedisBroadcast[" + name + ", channel " + channel + " at " + link.where() + ", at most once]";
    }

    private record Broadcast(TransportMessage message) implements Delivery {
        @Override
        public int deliveryCount() {
            return 1;
        }

        @Override
        public void ack() {
            // at most once: nothing to settle
        }

        @Override
        public void reject(String reason) {
            // at most once: never delivered again
        }
    }

    /** Configures a {@link RedisBroadcast}. */
    public static final class Builder {
        private final String rawUri;
        private final RedisUris.Target target;
        private String channel = "weft:broadcast";
        private String name;
        private int bufferSize = 10_000;
        private Duration commandTimeout = Duration.ofSeconds(10);
        private System.Logger logger = System.getLogger(RedisBroadcast.class.getName());

        private Builder(String redisUri) {
            RedisStreamsTransport.Builder parsed = RedisStreamsTransport.builder(redisUri); // same URI rules and messages
            this.rawUri = redisUri;
            this.target = parsed.target();
        }

        /** The pub/sub channel; default {@code weft:broadcast}. */
        public Builder channel(String channel) {
            Objects.requireNonNull(channel, "channel");
            if (channel.isBlank()) throw new IllegalArgumentException("channel is blank");
            this.channel = channel;
            return this;
        }

        /** Its name; default {@code redis-broadcast:<channel>}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Messages each group may hold before the oldest is dropped; default 10,000. */
        public Builder bufferSize(int n) {
            if (n < 1) throw new IllegalArgumentException("bufferSize is " + n + ": at least 1");
            this.bufferSize = n;
            return this;
        }

        /** How long one command may take; default 10 s. */
        public Builder commandTimeout(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("commandTimeout must be positive, is " + d);
            this.commandTimeout = d;
            return this;
        }

        /** Where dropped messages are reported; default the System.Logger named after this class. */
        public Builder logger(System.Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /** The broadcast transport; connects on first use. */
        public RedisBroadcast build() {
            return new RedisBroadcast(this);
        }
    }
}
