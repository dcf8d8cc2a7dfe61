package dev.weft.redis;

import dev.weft.Weft;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The connections of one transport to one Redis: a shared, multiplexed connection for every
 * command that does not block, and a pool of connections for blocking reads (a blocking
 * {@code XREADGROUP} would stall every command queued behind it on a shared connection).
 *
 * <p>Guarantees: no lock is held across a connect, a command or a wait, and nothing here blocks
 * a Lettuce event-loop thread (callbacks on it may use {@link #sharedIfConnected()}, which never
 * connects or waits). A connection, once made, is kept for the link's life: Lettuce reconnects it
 * by itself, waiting at most {@code reconnectBackoff} between tries. Every connect and every
 * handshake is bounded by {@code commandTimeout}.
 */
// Implementer's note. Connections are opened lazily, so a transport can be built while Redis is
// down and starts working once it is up. Lettuce reconnects a dropped connection by itself; while
// it is disconnected, commands are rejected at once (DisconnectedBehavior.REJECT_COMMANDS) rather
// than queued, so publish fails fast and the caller's retry policy decides (R4). RESP2 keeps
// replies as plain arrays. Every Lettuce failure is turned into a TransportException whose message
// names the server by safeName(uri), which never includes the password (R4).
//
// Issue 10 (a worker deadlocked after a Redis restart): shared() used to open a new connection
// whenever the old one was not isOpen(), which is also the case while Lettuce is reconnecting it,
// and it connected synchronously while holding the lock. An XACK failing on the event loop then
// connected from the event loop; the new channel could be registered on that same loop, so the
// connect never completed and every caller queued on the lock. Now: (1) the shared and batching
// connections are made once (one connect in flight, shared by every caller, as a future) and never
// replaced, since Lettuce restores them; (2) connects start outside the lock and callers wait for
// them outside it, as a cancellation point, bounded; (3) StreamAcks' callbacks take the shared
// connection with sharedIfConnected(), which does not connect.
//
// Lettuce's CommandEncoder prints every byte it sends at TRACE, AUTH's password included; the
// NettyCustomizer of our ClientResources replaces it in every channel's pipeline (plain, TLS, and
// each reconnect) with QuietCommandEncoder, so no logging configuration can make a Weft
// connection log the password (issue 10, item 7).
//
// Redis Cluster (issue 15, ADR 0063): one mechanism for both. The link holds a RedisClient or a
// RedisClusterClient and hands out Conn, which wraps either kind of connection behind Lettuce's
// common command interfaces (RedisClusterCommands, RedisClusterAsyncCommands: a standalone
// connection's commands extend them). Everything above (sharing, batching, the blocking pool,
// timeouts, translation of errors) is the same; a cluster connection routes each command to the
// master of its key's slot and follows MOVED and ASK. Its topology is refreshed when Lettuce sees
// a redirect or a node it cannot reach (adaptive triggers) and every few seconds, so after a
// failover commands go to the promoted replica.
final class RedisLink implements AutoCloseable {
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    /** Lettuce's longest wait between reconnect tries unless the builder says otherwise. */
    static final Duration DEFAULT_RECONNECT_BACKOFF = Duration.ofSeconds(1);
    /** How often a cluster client reloads the cluster's topology besides when it sees a redirect or an unreachable node. */
    static final Duration CLUSTER_REFRESH = Duration.ofSeconds(5);

    /**
     * A connection to a Redis or to a Redis Cluster, with the commands both have. {@code sync()}
     * and {@code async()} are Lettuce's common interfaces; a cluster connection routes each
     * command by its key.
     */
    record Conn(StatefulConnection<String, byte[]> raw, RedisClusterCommands<String, byte[]> sync, RedisClusterAsyncCommands<String, byte[]> async) {
        static Conn of(StatefulRedisConnection<String, byte[]> c) {
            return new Conn(c, c.sync(), c.async());
        }

        static Conn of(StatefulRedisClusterConnection<String, byte[]> c) {
            return new Conn(c, c.sync(), c.async());
        }

        void flushCommands() {
            raw.flushCommands();
        }

        void setAutoFlushCommands(boolean on) {
            raw.setAutoFlushCommands(on);
        }

        void setTimeout(Duration d) {
            raw.setTimeout(d);
        }

        boolean isOpen() {
            return raw.isOpen();
        }

        CompletableFuture<Void> closeAsync() {
            return raw.closeAsync();
        }
    }

    private final String transport;
    private final RedisUris.Target target;
    private final String where;
    private final Duration commandTimeout;
    private final Duration reconnectBackoff;
    private final ReentrantLock lock = new ReentrantLock(); // guards the fields below; held for bookkeeping only
    private ClientResources resources;
    private AbstractRedisClient client;
    /** The shared connection: a connect in flight or done; replaced only when the connect failed. */
    private volatile CompletableFuture<Conn> shared;
    private CompletableFuture<Conn> batching;
    private final List<Conn> idle = new ArrayList<>();
    private volatile boolean closed;

    RedisLink(String transport, String raw, RedisURI uri, Duration commandTimeout) {
        this(transport, raw, uri, commandTimeout, DEFAULT_RECONNECT_BACKOFF);
    }

    RedisLink(String transport, String raw, RedisURI uri, Duration commandTimeout, Duration reconnectBackoff) {
        this(transport, raw, RedisUris.Target.single(uri), commandTimeout, reconnectBackoff);
    }

    RedisLink(String transport, String raw, RedisUris.Target target, Duration commandTimeout) {
        this(transport, raw, target, commandTimeout, DEFAULT_RECONNECT_BACKOFF);
    }

    RedisLink(String transport, String raw, RedisUris.Target target, Duration commandTimeout, Duration reconnectBackoff) {
        this.transport = transport;
        // Copies: the handshake of every connect (AUTH, HELLO, PING) is bounded by the URI's timeout.
        this.target = new RedisUris.Target(target.nodes().stream().map(u -> RedisURI.builder(u).withTimeout(commandTimeout).build()).toList(), target.cluster());
        this.where = safeName(raw, target);
        this.commandTimeout = commandTimeout;
        this.reconnectBackoff = reconnectBackoff;
    }

    /** Whether this link talks to a Redis Cluster. */
    boolean cluster() {
        return target.cluster();
    }

    /**
     * The key to use for {@code name}, so that it and every key made by appending to it
     * ({@code <key>:dead}, {@code <key>:errors:<group>}, ...) hash to one slot of a cluster:
     * {@code name} itself on a single Redis (the layout is unchanged), else {@link #hashTagged}.
     */
    String slotKey(String name) {
        return target.cluster() ? hashTagged(name) : name;
    }

    /**
     * {@code name} if it already has a Redis Cluster hash tag (a '{' followed later by a '}' with
     * something between the first such pair), else {@code {name}}: Redis hashes only what is between
     * the braces, so {@code {weft:events}} and {@code {weft:events}:dead} share a slot.
     */
    static String hashTagged(String name) {
        int open = name.indexOf('{');
        if (open >= 0) {
            int close = name.indexOf('}', open + 1);
            if (close > open + 1) return name;
        }
        return "{" + name + "}";
    }

    /**
     * As {@link #safeName(String, RedisURI)}, for every node: {@code redis-cluster://alice@h1:7000,h2:7001}
     * for a cluster.
     */
    static String safeName(String raw, RedisUris.Target target) {
        if (!target.cluster()) return safeName(raw, target.first());
        // java.net.URI reads no user info from a list of hosts: the user name is read here, by hand.
        String user = null;
        int sep = raw.indexOf("://");
        String rest = sep < 0 ? "" : raw.substring(sep + 3);
        int end = 0;
        while (end < rest.length() && "/?#".indexOf(rest.charAt(end)) < 0) end++;
        int at = rest.lastIndexOf('@', end - 1);
        if (at > 0) {
            String info = rest.substring(0, at);
            int colon = info.indexOf(':');
            if (colon > 0) {
                try {
                    user = java.net.URLDecoder.decode(info.substring(0, colon), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException badEncoding) {
                    user = null; // not shown rather than shown wrong
                }
            }
        }
        StringBuilder b = new StringBuilder(target.first().isSsl() ? "rediss-cluster://" : "redis-cluster://");
        if (user != null) b.append(user).append('@');
        for (int i = 0; i < target.nodes().size(); i++) {
            RedisURI u = target.nodes().get(i);
            if (i > 0) b.append(',');
            b.append(u.getHost()).append(':').append(u.getPort());
        }
        return b.toString();
    }

    /**
     * The URI without credentials: {@code rediss://alice@host:6380/0}. The user name comes from
     * {@code raw} (Lettuce reads {@code redis://secret@host} as a password alone and
     * {@code redis://alice:secret@host} as user and password); the password is never kept.
     */
    static String safeName(String raw, RedisURI uri) {
        String user = null;
        try {
            String info = java.net.URI.create(raw).getRawUserInfo();
            int colon = info == null ? -1 : info.indexOf(':');
            if (colon > 0) user = java.net.URLDecoder.decode(info.substring(0, colon), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notAUri) {
            // not after RedisUris.parse, which reads raw with java.net.URI first; no user shown
        }
        String host = uri.getHost() != null ? uri.getHost() : (uri.getSocket() != null ? uri.getSocket() : "?");
        return (uri.isSsl() ? "rediss://" : "redis://") + (user != null ? user + "@" : "") + host + ":" + uri.getPort() + "/" + uri.getDatabase();
    }

    String where() {
        return where;
    }

    /** The most Lettuce waits between two reconnect tries. */
    Duration reconnectBackoff() {
        return reconnectBackoff;
    }

    private AbstractRedisClient client() { // lock held; creates objects, no I/O
        if (closed) throw new TransportClosedException(transport);
        if (client == null) {
            resources = DefaultClientResources.builder()
                    // Full jitter between half and all of min(2^attempt ms, reconnectBackoff): quick
                    // first tries after a blip, never more than reconnectBackoff apart (issue 10).
                    .reconnectDelay(Delay.fullJitter(Duration.ZERO, reconnectBackoff, 1, TimeUnit.MILLISECONDS))
                    // Lettuce's encoder logs every byte sent at TRACE, passwords included: ours does not.
                    .nettyCustomizer(QuietCommandEncoder.CUSTOMIZER)
                    .build();
            SocketOptions socket = SocketOptions.builder().connectTimeout(commandTimeout).build();
            if (target.cluster()) {
                RedisClusterClient c = RedisClusterClient.create(resources, target.nodes());
                c.setOptions(ClusterClientOptions.builder()
                        .protocolVersion(ProtocolVersion.RESP2)
                        // Not REJECT_COMMANDS: Lettuce 7.7 then rejects every keyed command on a cluster
                        // connection (its node connections count as disconnected). So a command for a node
                        // that is away waits, bounded by commandTimeout, for it or for the replica that
                        // replaces it (Lettuce sends commands buffered for a removed node to the new owner).
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                        .autoReconnect(true)
                        .socketOptions(socket)
                        .topologyRefreshOptions(topologyRefresh())
                        .build());
                client = c;
            } else {
                RedisClient c = RedisClient.create(resources, target.first());
                c.setOptions(ClientOptions.builder()
                        .protocolVersion(ProtocolVersion.RESP2)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .autoReconnect(true)
                        .socketOptions(socket)
                        .build());
                client = c;
            }
        }
        return client;
    }

    /**
     * When a cluster client reloads the topology: on every redirect and unreachable node (after two
     * failed reconnects), at most every 500 ms, and every {@link #CLUSTER_REFRESH} anyway.
     */
    // Lettuce 7 deprecates choosing adaptive triggers in favour of a coming replacement; until then
    // this is the only way to react to a failover before the next periodic refresh.
    @SuppressWarnings("deprecation")
    private static ClusterTopologyRefreshOptions topologyRefresh() {
        return ClusterTopologyRefreshOptions.builder()
                .enablePeriodicRefresh(CLUSTER_REFRESH)
                .enableAllAdaptiveRefreshTriggers()
                .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
                .refreshTriggersReconnectAttempts(2)
                .build();
    }

    /** Starts a connect of a command connection on {@code c} (no waiting). */
    private CompletionStage<Conn> connectAsync(AbstractRedisClient c) {
        // Lettuce's connectAsync needs the topology loaded; refreshPartitionsAsync loads it without
        // blocking (from the seed nodes the first time, then from the known ones).
        if (c instanceof RedisClusterClient cluster) return cluster.refreshPartitionsAsync().thenCompose(v -> cluster.connectAsync(CODEC)).thenApply(Conn::of);
        return ((RedisClient) c).connectAsync(CODEC, target.first()).thenApply(Conn::of);
    }

    /** Starts a connect of a publish/subscribe connection on {@code c} (no waiting). */
    private CompletionStage<StatefulRedisPubSubConnection<String, byte[]>> connectPubSubAsync(AbstractRedisClient c) {
        if (c instanceof RedisClusterClient cluster) return cluster.refreshPartitionsAsync().thenCompose(v -> cluster.connectPubSubAsync(CODEC)).thenApply(p -> p);
        return ((RedisClient) c).connectPubSubAsync(CODEC, target.first());
    }

    /**
     * Starts a connect (outside the lock) whose outcome completes {@code into}; {@code prepare}
     * runs on the new connection before anyone can use it (on Lettuce's thread: it must not block).
     */
    private <C> void startConnect(Supplier<CompletionStage<C>> connect, Consumer<C> prepare, Function<C, CompletableFuture<Void>> closer,
                                  CompletableFuture<C> into) {
        CompletionStage<C> started;
        try {
            started = connect.get();
        } catch (RuntimeException e) {
            into.completeExceptionally(e);
            return;
        }
        started.whenComplete((conn, e) -> {
            if (e != null) {
                into.completeExceptionally(e);
                return;
            }
            if (closed) { // closed while connecting: nobody will close it
                closer.apply(conn);
                into.completeExceptionally(new TransportClosedException(transport));
                return;
            }
            try {
                prepare.accept(conn);
            } catch (RuntimeException failed) {
                closer.apply(conn);
                into.completeExceptionally(failed);
                return;
            }
            into.complete(conn);
        });
    }

    /** Waits for a connect as a cancellation point; bounded by the connect and handshake timeouts (each commandTimeout). */
    private <C> C awaitConnect(CompletableFuture<C> f) {
        return await("connect to", f, commandTimeout.multipliedBy(2).plusMillis(500));
    }

    /**
     * The shared connection, connected if needed (the caller waits for the one connect in flight).
     * Once connected it is kept: while Redis is away Lettuce reconnects it and commands on it fail
     * at once.
     */
    Conn shared() {
        CompletableFuture<Conn> f;
        AbstractRedisClient c = null;
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(transport);
            f = shared;
            if (f == null || f.isCompletedExceptionally()) {
                c = client();
                shared = f = new CompletableFuture<>();
            }
        } finally {
            lock.unlock();
        }
        AbstractRedisClient cl = c;
        if (cl != null) startConnect(() -> connectAsync(cl), conn -> {}, Conn::closeAsync, f);
        return awaitConnect(f);
    }

    /**
     * The shared connection if it is connected (or reconnecting) now, else null; never connects,
     * waits or takes a lock, so Lettuce's event-loop threads may call it.
     */
    Conn sharedIfConnected() {
        CompletableFuture<Conn> f = shared;
        if (closed || f == null || !f.isDone() || f.isCompletedExceptionally()) return null;
        return f.getNow(null);
    }

    /**
     * The connection for pipelined batches, opened if needed: it does not flush each command, so
     * a caller queues its whole batch and then calls {@code flushCommands()}, which writes it in
     * one go. Every user must flush after queueing (a flush sends what other threads queued too,
     * which is harmless); nothing else may use it.
     */
    Conn batching() {
        CompletableFuture<Conn> f;
        AbstractRedisClient c = null;
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(transport);
            f = batching;
            if (f == null || f.isCompletedExceptionally()) {
                c = client();
                batching = f = new CompletableFuture<>();
            }
        } finally {
            lock.unlock();
        }
        AbstractRedisClient cl = c;
        if (cl != null) startConnect(() -> connectAsync(cl), conn -> conn.setAutoFlushCommands(false), Conn::closeAsync, f);
        return awaitConnect(f);
    }

    /** A new publish/subscribe connection (closed with the link). */
    StatefulRedisPubSubConnection<String, byte[]> openPubSub() {
        AbstractRedisClient c;
        lock.lock();
        try {
            c = client();
        } finally {
            lock.unlock();
        }
        CompletableFuture<StatefulRedisPubSubConnection<String, byte[]>> f = new CompletableFuture<>();
        startConnect(() -> connectPubSubAsync(c), conn -> {}, StatefulConnection::closeAsync, f);
        return awaitConnect(f);
    }

    /** Runs {@code command} on the shared connection; Lettuce failures become TransportExceptions. */
    <T> T call(String what, Function<RedisClusterCommands<String, byte[]>, T> command) {
        Conn c = shared();
        try {
            return command.apply(c.sync());
        } catch (RedisException e) {
            throw translate(what, e);
        }
    }

    /** A connection of its own for one blocking command; give it back with {@link #release}. */
    Conn borrow() {
        List<Conn> dropped = new ArrayList<>();
        Conn found = null;
        AbstractRedisClient c = null;
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(transport);
            while (found == null && !idle.isEmpty()) {
                Conn i = idle.remove(idle.size() - 1);
                if (i.isOpen()) found = i;
                else dropped.add(i); // disconnected: a fresh connect is quicker than Lettuce's reconnect
            }
            if (found == null) c = client();
        } finally {
            lock.unlock();
        }
        for (Conn d : dropped) d.closeAsync();
        if (found != null) return found;
        CompletableFuture<Conn> f = new CompletableFuture<>();
        AbstractRedisClient cl = c;
        startConnect(() -> connectAsync(cl), conn -> {}, Conn::closeAsync, f);
        try {
            return awaitConnect(f);
        } catch (RuntimeException e) {
            // Gave up waiting (time, cancellation): the connect may still succeed; then it is not ours to keep.
            f.thenAccept(Conn::closeAsync);
            throw e;
        }
    }

    /** Gives a borrowed connection back; {@code broken} closes it (a blocking command may still be under way on it). */
    void release(Conn c, boolean broken) {
        boolean close;
        lock.lock();
        try {
            close = closed || broken || !c.isOpen();
            if (!close) idle.add(c);
        } finally {
            lock.unlock();
        }
        if (close) c.closeAsync();
    }

    /**
     * Waits for a command's reply as a cancellation point: a cancelled Weft task (an interrupt)
     * stops waiting at once; the caller then closes the connection the command runs on.
     */
    <T> T await(String what, Future<T> reply, Duration max) {
        // Lettuce's connect and sync calls may swallow an interrupt; the scope still knows (S3).
        Weft.checkpoint();
        try {
            return reply.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Weft.checkpoint();
            throw new TransportException("interrupted while waiting for Redis at " + where + " to " + what, e);
        } catch (ExecutionException e) {
            if (closedNow()) throw new TransportClosedException(transport);
            if (e.getCause() instanceof TransportException te) throw new TransportException(te.getMessage(), te);
            throw e.getCause() instanceof RedisException re ? translate(what, re) : new TransportException("Redis at " + where + " failed to " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new TransportException("Redis at " + where + " did not answer within " + max.toMillis() + " ms to " + what, e);
        }
    }

    boolean closedNow() {
        return closed;
    }

    /** A TransportException that says what failed, where, and what to do; never the password. */
    TransportException translate(String what, RedisException e) {
        if (closedNow()) return new TransportClosedException(transport);
        // Lettuce reports an interrupt (a Weft cancellation) as a connection or command failure.
        Weft.checkpoint();
        if (Thread.currentThread().isInterrupted()) return new TransportException("interrupted while waiting for Redis at " + where + " to " + what, e);
        String server = serverError(e);
        if (server != null && server.startsWith("NOPERM")) {
            return new TransportException("Redis at " + where + " accepted the user of the Redis URI but its ACL does not allow it to " + what
                    + " (" + firstLine(server) + "): grant the user this command and key pattern (ACL SETUSER), or use another user", null);
        }
        if (server != null && (server.startsWith("WRONGPASS") || server.startsWith("NOAUTH") || server.contains("invalid password"))) {
            return new TransportException("Redis at " + where + " refused the credentials of the Redis URI (" + firstLine(server)
                    + "): check the user and password in the URI (redis://user:password@host:port)", null);
        }
        if (e instanceof RedisConnectionException) {
            return new TransportException("cannot " + what + " Redis at " + where + ": " + (server != null ? firstLine(server) : "connection refused or unreachable")
                    + "; is redis-server running and reachable? (rediss:// for TLS)", null);
        }
        if (server != null) return new RedisServerError("Redis at " + where + " failed to " + what + ": " + firstLine(server), RedisServerError.codeOf(server));
        return new TransportException("Redis at " + where + " failed to " + what + ": " + e.getClass().getSimpleName() + ": " + firstLine(String.valueOf(e.getMessage())), null);
    }

    /** The error the server sent, if that is what failed. */
    private static String serverError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisCommandExecutionException x) return String.valueOf(x.getMessage());
        }
        return null;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Closes every connection and the client's threads; idempotent. Waits at most about 6 s (two
     * Lettuce shutdowns of at most 3 s each); callers waiting for a reply or a connect fail with
     * {@link TransportClosedException}.
     */
    @Override
    public void close() {
        AbstractRedisClient c;
        ClientResources r;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            idle.clear();
            c = client;
            r = resources;
            client = null;
            resources = null;
        } finally {
            lock.unlock();
        }
        // Shutting the client down closes every connection it opened (closing them first as well
        // only makes Lettuce warn "already closed"); then the event loops of our own resources.
        // Lettuce's shutdown(quiet, timeout) bounds only the event loops' shutdown: it waits for
        // closing the connections without a limit, and a cluster connection whose master was just
        // killed was seen to hang there (RedisClusterFailoverTest under CI). So the wait is ours.
        if (c != null) awaitShutdown(c.shutdownAsync(0, 2, TimeUnit.SECONDS), "client");
        if (r != null) awaitShutdown(r.shutdown(0, 2, TimeUnit.SECONDS), "event loops");
    }

    /** Waits at most 3 s for a shutdown; past that, its threads are left to end by themselves. */
    private static void awaitShutdown(Future<?> shutdown, String what) {
        try {
            shutdown.get(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            System.getLogger(RedisLink.class.getName()).log(System.Logger.Level.WARNING,
                    "Lettuce's " + what + " did not shut down cleanly within 3 s (" + e + "); going on");
        }
    }

    @Override
    public String toString() {
        return "RedisLink[" + where + "]";
    }

    static <T> T nonNull(T t, String what) {
        return Objects.requireNonNull(t, what);
    }
}
