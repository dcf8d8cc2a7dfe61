package dev.weft.redis;

import dev.weft.Weft;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import io.lettuce.core.LMoveArgs;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A reliable work queue on Redis lists (rule R3): producers {@link #push}; each consumer
 * {@link #take}s an item, which moves atomically ({@code BLMOVE}) into the consumer's own
 * processing list, and removes it from there ({@code LREM}) when {@link Item#ack() done}. A
 * consumer that dies leaves its items in its processing list; {@link #reap()} moves the items of
 * consumers not seen for {@code staleAfter} back to the queue. At least once; competing
 * consumers (each item goes to one of them), FIFO.
 *
 * <pre>{@code
 * RedisReliableQueue q = RedisReliableQueue.builder("redis://localhost:6379").queue("thumbnails").consumer("worker-1").build();
 * q.push("photo-42".getBytes(UTF_8));
 * scope.forkBackground(() -> q.runReaper(Duration.ofSeconds(10)));
 * q.take(Duration.ofSeconds(5)).ifPresent(item -> { render(item.value()); item.ack(); });
 * }</pre>
 *
 * <p>Keys: {@code <queue>} (the list; push at the left, take from the right),
 * {@code <queue>:processing:<consumer>}, {@code <queue>:alive:<consumer>} (set on every take and
 * ack with a time to live of {@code staleAfter}), {@code <queue>:consumers} (a set). An item that
 * takes longer than {@code staleAfter} should {@link Item#touch()} now and then, or it may be
 * handed to another consumer too. Unlike the streams transport there are no consumer groups, no
 * delivery counts and no dead letters; use {@link RedisStreamsTransport} for events. Thread-safe.
 */
// Implementer's note. The classic RPOPLPUSH pattern with BLMOVE (Redis 6.2+). Equal values are
// fine: LREM removes one occurrence. reap() moves items back one LMOVE at a time (each atomic), so
// a consumer that comes back late and acks finds nothing to remove: the item runs twice, at least once.
public final class RedisReliableQueue implements AutoCloseable {
    private final String queue;
    private final String consumer;
    private final String processing;
    private final String alive;
    private final String consumers;
    private final Duration staleAfter;
    private final Duration commandTimeout;
    private final RedisLink link;
    private final System.Logger log;
    private volatile boolean closed;

    private RedisReliableQueue(Builder b) {
        this.link = new RedisLink("redis-queue:" + b.queue, b.rawUri, b.target, b.commandTimeout);
        // On a cluster {<queue>}: BLMOVE and LMOVE between the queue and a processing list need one slot.
        this.queue = link.slotKey(b.queue);
        this.consumer = b.consumer;
        this.processing = queue + ":processing:" + b.consumer;
        this.alive = queue + ":alive:" + b.consumer;
        this.consumers = queue + ":consumers";
        this.staleAfter = b.staleAfter;
        this.commandTimeout = b.commandTimeout;
        this.log = b.logger;
    }

    /** A builder for a queue on the Redis at {@code redisUri} (as {@link RedisStreamsTransport#builder}). */
    public static Builder builder(String redisUri) {
        return new Builder(redisUri);
    }

    /** Adds {@code value} at the tail of the queue ({@code LPUSH}); returns once Redis confirmed it. @throws TransportException if not */
    public void push(byte[] value) {
        Objects.requireNonNull(value, "value");
        checkOpen();
        link.call("push to queue '" + queue + "'", r -> r.lpush(queue, value));
    }

    /**
     * Takes the oldest item into this consumer's processing list, waiting up to {@code wait} for
     * one (a cancellation point). Settle it with {@link Item#ack()} or {@link Item#requeue()}.
     *
     * @return the item, or empty if none came in time
     * @throws TransportException if Redis fails or the queue is closed
     */
    public Optional<Item> take(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        checkOpen();
        heartbeat();
        byte[] v;
        if (wait.toMillis() <= 0) {
            v = link.call("take from queue '" + queue + "'", r -> r.lmove(queue, processing, LMoveArgs.Builder.rightLeft()));
        } else {
            RedisLink.Conn c = link.borrow();
            boolean broken = true;
            try {
                c.setTimeout(wait.plus(commandTimeout));
                RedisFuture<byte[]> f;
                try {
                    f = c.async().blmove(queue, processing, LMoveArgs.Builder.rightLeft(), wait.toMillis() / 1000.0);
                } catch (io.lettuce.core.RedisException e) {
                    throw link.translate("take from queue '" + queue + "'", e);
                }
                v = link.await("take from queue '" + queue + "'", f, wait.plus(commandTimeout));
                broken = false;
            } finally {
                link.release(c, broken);
            }
        }
        return v == null ? Optional.empty() : Optional.of(new Item(v));
    }

    private void heartbeat() {
        link.call("mark consumer alive", r -> {
            r.sadd(consumers, consumer.getBytes(StandardCharsets.UTF_8));
            return r.set(alive, new byte[] {1}, SetArgs.Builder.px(staleAfter.toMillis()));
        });
    }

    /**
     * Moves every item of consumers not seen for {@code staleAfter} (their alive key expired) back
     * to the head of the queue, to be taken next. Any consumer may run it; it is safe to run twice.
     *
     * @return how many items were moved back
     */
    public int reap() {
        checkOpen();
        int moved = 0;
        for (byte[] raw : link.call("list consumers", r -> r.smembers(consumers))) {
            String other = new String(raw, StandardCharsets.UTF_8);
            String otherAlive = queue + ":alive:" + other;
            if (link.call("check consumer " + other, r -> r.exists(otherAlive)) > 0) continue;
            String otherProcessing = queue + ":processing:" + other;
            int n = 0;
            while (link.call("re-queue an item of " + other, r -> r.lmove(otherProcessing, queue, LMoveArgs.Builder.rightRight())) != null) n++;
            if (n > 0) log.log(Level.WARNING, "queue ''{0}'': consumer {1} not seen for {2} ms; {3} item(s) it held are queued again",
                    queue, other, staleAfter.toMillis(), n);
            link.call("forget consumer " + other, r -> r.srem(consumers, raw));
            moved += n;
        }
        return moved;
    }

    /** Runs {@link #reap()} every {@code every} until cancelled or closed; meant for a background task. */
    public void runReaper(Duration every) {
        while (!closed) {
            try {
                reap();
            } catch (TransportClosedException e) {
                return;
            } catch (TransportException down) {
                log.log(Level.WARNING, "queue ''{0}'': reaper failed: {1}", queue, down.getMessage());
            }
            Weft.sleep(every);
        }
    }

    /** Items waiting in the queue. */
    public long size() {
        checkOpen();
        return link.call("read queue length", r -> r.llen(queue));
    }

    /** Items this consumer has taken and not settled. */
    public long processing() {
        checkOpen();
        return link.call("read processing length", r -> r.llen(processing));
    }

    private void checkOpen() {
        if (closed) throw new TransportClosedException("redis-queue:" + queue);
    }

    @Override
    public void close() {
        closed = true;
        link.close();
    }

    @Override
    public String toString() {
        return "RedisReliableQueue[" + queue + ", consumer " + consumer + " at " + link.where() + "]";
    }

    /** One taken item: {@link #ack()} when done, {@link #requeue()} to give it back. Settled once. */
    public final class Item {
        private final byte[] value;
        private final AtomicBoolean settled = new AtomicBoolean();

        private Item(byte[] value) {
            this.value = value;
        }

        /** The item; not copied, do not change it. */
        public byte[] value() {
            return value;
        }

        /** Done: removes it from the processing list ({@code LREM}). Idempotent. */
        public void ack() {
            if (!settled.compareAndSet(false, true)) return;
            link.call("acknowledge an item", r -> {
                r.lrem(processing, 1, value);
                return r.set(alive, new byte[] {1}, SetArgs.Builder.px(staleAfter.toMillis()));
            });
        }

        /** Not done: moves it back to the head of the queue, to be taken next. Idempotent; ignored after ack. */
        public void requeue() {
            if (!settled.compareAndSet(false, true)) return;
            link.call("re-queue an item", r -> {
                if (r.lrem(processing, 1, value) > 0) r.rpush(queue, value);
                return null;
            });
        }

        /** Still working on it: keeps this consumer from being reaped for another {@code staleAfter}. */
        public void touch() {
            heartbeat();
        }

        @Override
        public String toString() {
            return "Item[" + value.length + " bytes from " + queue + "]";
        }
    }

    /** Configures a {@link RedisReliableQueue}. */
    public static final class Builder {
        private final String rawUri;
        private final RedisUris.Target target;
        private String queue = "weft:queue";
        private String consumer = "consumer-" + ProcessHandle.current().pid();
        private Duration staleAfter = Duration.ofSeconds(60);
        private Duration commandTimeout = Duration.ofSeconds(10);
        private System.Logger logger = System.getLogger(RedisReliableQueue.class.getName());

        private Builder(String redisUri) {
            this.target = RedisStreamsTransport.builder(redisUri).target(); // same URI rules and messages
            this.rawUri = redisUri;
        }

        /** The list's key; default {@code weft:queue}. */
        public Builder queue(String key) {
            Objects.requireNonNull(key, "key");
            if (key.isBlank()) throw new IllegalArgumentException("queue key is blank");
            this.queue = key;
            return this;
        }

        /** This consumer's name, unique among the queue's consumers; default {@code consumer-<pid>}. */
        public Builder consumer(String name) {
            this.consumer = Objects.requireNonNull(name, "name");
            return this;
        }

        /** How long a consumer may go without taking, acknowledging or touching before its items are reaped; default 60 s. */
        public Builder staleAfter(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.toMillis() < 1) throw new IllegalArgumentException("staleAfter must be at least 1 ms, is " + d);
            this.staleAfter = d;
            return this;
        }

        /** How long one command may take; default 10 s. */
        public Builder commandTimeout(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("commandTimeout must be positive, is " + d);
            this.commandTimeout = d;
            return this;
        }

        /** Where reaped items are reported; default the System.Logger named after this class. */
        public Builder logger(System.Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /** The queue; connects on first use. */
        public RedisReliableQueue build() {
            return new RedisReliableQueue(this);
        }
    }
}
