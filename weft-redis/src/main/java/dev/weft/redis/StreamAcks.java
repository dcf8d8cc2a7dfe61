package dev.weft.redis;

import dev.weft.events.transport.TransportException;
import io.lettuce.core.RedisFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Acknowledgements of one consumer group, sent as a group commit: while one {@code XACK} is on its
 * way to Redis, the acknowledgements that come in meanwhile queue up, and go together in the next
 * {@code XACK} (one command with many ids) as soon as the reply arrives. A caller of
 * {@link #ack} returns only once Redis confirmed its entry, as before; under concurrency (a
 * {@link dev.weft.events.worker.Worker Worker} settles many deliveries at once) it shares the round trip with the others.
 */
// Implementer's note. No thread of its own: the caller that finds nothing in flight sends; the
// reply's callback (on Lettuce's event loop) sends whatever queued up meanwhile. At most one XACK per
// group is in flight, so the batch grows with the load and shrinks to one id when acks are rare.
// The callback must never block the event loop (issue 10: it once connected from there and
// deadlocked): it only completes futures, takes the queue's lock for a list swap, and issues the next
// async command on the shared connection as it is (RedisLink.sharedIfConnected: no connect, no
// wait). While Redis is away that command is refused at once and its batch fails like any other.
// Sends that complete at once are handled in a loop, not by recursion.
final class StreamAcks {
    private final String stream;
    private final String group;
    private final String errorsKey;
    private final RedisLink link;
    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock(); // held for list swaps only
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
        if (batch != null) {
            // The caller's own thread: it may connect (the first ack of a link) and wait for that.
            RedisLink.Conn c = null;
            Throwable failure = null;
            try {
                c = link.shared();
            } catch (RuntimeException e) {
                failure = e;
            }
            pump(c, batch, failure);
        }
        link.await("acknowledge entry " + entryId + " of group '" + group + "'", p.done, timeout);
    }

    private List<Pending> takeQueued() {
        List<Pending> batch = queued;
        queued = new ArrayList<>(Math.max(4, batch.size()));
        return batch;
    }

    /** What queued up meanwhile, or null after marking the group idle. */
    private List<Pending> nextOrIdle() {
        lock.lock();
        try {
            if (queued.isEmpty()) {
                sending = false;
                return null;
            }
            return takeQueued();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends {@code batch} on {@code c} (or fails it with {@code failure}), then what queued up
     * meanwhile, until a reply is outstanding or nothing is queued. Never blocks.
     */
    private void pump(RedisLink.Conn c, List<Pending> batch, Throwable failure) {
        while (batch != null) {
            if (failure == null && c == null) c = link.sharedIfConnected();
            if (failure == null && c == null) failure = new TransportException("not connected to Redis at " + link.where() + " to acknowledge in group '" + group + "'");
            if (failure == null) {
                RedisFuture<Long> reply;
                try {
                    reply = send(c, batch);
                } catch (RuntimeException e) {
                    reply = null;
                    failure = e;
                }
                if (reply != null) {
                    if (!reply.isDone()) {
                        List<Pending> sent = batch;
                        RedisLink.Conn on = c;
                        // On Lettuce's event loop: complete, then send what queued meanwhile, never blocking.
                        reply.whenComplete((n, e) -> {
                            complete(sent, e);
                            pump(on, nextOrIdle(), null);
                        });
                        return;
                    }
                    failure = failureOf(reply); // refused at once (Redis away) or already answered
                }
            }
            complete(batch, failure);
            batch = nextOrIdle();
            failure = null;
        }
    }

    /** One XACK with every id of {@code batch} (and the HDEL it needs, on the same connection, so it is done first). */
    private RedisFuture<Long> send(RedisLink.Conn c, List<Pending> batch) {
        String[] ids = new String[batch.size()];
        List<String> withError = new ArrayList<>(0);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = batch.get(i).entryId;
            if (batch.get(i).mayHaveError) withError.add(ids[i]);
        }
        if (!withError.isEmpty()) c.async().hdel(errorsKey, withError.toArray(String[]::new));
        return c.async().xack(stream, group, ids);
    }

    private static Throwable failureOf(RedisFuture<Long> done) {
        try {
            done.toCompletableFuture().getNow(null);
            return null;
        } catch (CompletionException | CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    private static void complete(List<Pending> batch, Throwable failure) {
        for (Pending p : batch) {
            if (failure == null) p.done.complete(null);
            else p.done.completeExceptionally(failure);
        }
    }
}
