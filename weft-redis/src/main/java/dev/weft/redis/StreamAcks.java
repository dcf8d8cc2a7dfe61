package dev.weft.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Acknowledgements of one consumer group, sent as a group commit: while one {@code XACK} is on its
 * way to Redis, the acknowledgements that come in meanwhile queue up, and go together in the next
 * {@code XACK} (one command with many ids) as soon as the reply arrives. A caller of
 * {@link #ack} returns only once Redis confirmed its entry, as before; under concurrency (a
 * {@link Worker} settles many deliveries at once) it shares the round trip with the others.
 */
// Implementer's note. No thread of its own: the caller that finds nothing in flight sends; the
// reply's callback (on Lettuce's event loop, which must not block: it only completes futures and
// issues the next async command) sends whatever queued up meanwhile. At most one XACK per group is
// in flight, so the batch grows with the load and shrinks to one id when acks are rare.
final class StreamAcks {
    private final String stream;
    private final String group;
    private final String errorsKey;
    private final RedisLink link;
    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock();
    private List<Pending> queued = new ArrayList<>(); // guarded by lock
    private boolean sending;                          // guarded by lock

    private record Pending(String entryId, boolean mayHaveError, CompletableFuture<Void> done) {}

    StreamAcks(String stream, String group, String errorsKey, RedisLink link, Duration timeout) {
        this.stream = stream;
        this.group = group;
        this.errorsKey = errorsKey;
        this.link = link;
        this.timeout = timeout;
    }

    /**
     * Acknowledges {@code entryId} (and forgets its recorded error, if it may have one); returns
     * once Redis confirmed it.
     *
     * @throws dev.weft.events.transport.TransportException if Redis did not confirm it
     */
    void ack(String entryId, boolean mayHaveError) {
        Pending p = new Pending(entryId, mayHaveError, new CompletableFuture<>());
        List<Pending> batch = null;
        lock.lock();
        try {
            queued.add(p);
            if (!sending) {
                sending = true;
                batch = takeQueued();
            }
        } finally {
            lock.unlock();
        }
        if (batch != null) send(batch);
        link.await("acknowledge entry " + entryId + " of group '" + group + "'", p.done, timeout);
    }

    private List<Pending> takeQueued() {
        List<Pending> batch = queued;
        queued = new ArrayList<>(Math.max(4, batch.size()));
        return batch;
    }

    /** Sends one XACK with every id of {@code batch} (and the HDELs it needs), pipelined; the reply sends the next batch. */
    private void send(List<Pending> batch) {
        String[] ids = new String[batch.size()];
        List<String> withError = new ArrayList<>(0);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = batch.get(i).entryId;
            if (batch.get(i).mayHaveError) withError.add(ids[i]);
        }
        RedisFuture<Long> acked;
        try {
            StatefulRedisConnection<String, byte[]> c = link.shared();
            if (!withError.isEmpty()) c.async().hdel(errorsKey, withError.toArray(String[]::new)); // same connection: done before the XACK reply
            acked = c.async().xack(stream, group, ids);
        } catch (RuntimeException e) {
            finish(batch, e);
            return;
        }
        acked.whenComplete((n, e) -> finish(batch, e));
    }

    /** Completes {@code batch} and sends what queued up meanwhile, or marks the group idle. */
    private void finish(List<Pending> batch, Throwable failure) {
        for (Pending p : batch) {
            if (failure == null) p.done.complete(null);
            else p.done.completeExceptionally(failure);
        }
        List<Pending> next;
        lock.lock();
        try {
            if (queued.isEmpty()) {
                sending = false;
                return;
            }
            next = takeQueued();
        } finally {
            lock.unlock();
        }
        send(next);
    }
}
