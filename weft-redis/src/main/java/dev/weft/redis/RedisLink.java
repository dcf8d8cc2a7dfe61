package dev.weft.redis;

import dev.weft.Weft;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The connections of one transport to one Redis: a shared, multiplexed connection for every
 * command that does not block, and a pool of connections for blocking reads (a blocking
 * {@code XREADGROUP} would stall every command queued behind it on a shared connection).
 */
// Implementer's note. Connections are opened lazily, so a transport can be built while Redis is
// down and starts working once it is up. Lettuce reconnects a dropped connection by itself; while
// it is disconnected, commands are rejected at once (DisconnectedBehavior.REJECT_COMMANDS) rather
// than queued, so publish fails fast and the caller's retry policy decides (R4). RESP2 keeps
// replies as plain arrays. Every Lettuce failure is turned into a TransportException whose message
// names the server by safeName(uri), which never includes the password (R4).
final class RedisLink implements AutoCloseable {
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final String transport;
    private final RedisURI uri;
    private final String where;
    private final Duration commandTimeout;
    private final ReentrantLock lock = new ReentrantLock();
    private RedisClient client;
    private StatefulRedisConnection<String, byte[]> shared;
    private StatefulRedisConnection<String, byte[]> batching;
    private final List<StatefulRedisConnection<String, byte[]>> idle = new ArrayList<>();
    private final List<StatefulRedisConnection<String, byte[]>> all = new ArrayList<>();
    private boolean closed;

    RedisLink(String transport, String raw, RedisURI uri, Duration commandTimeout) {
        this.transport = transport;
        this.uri = uri;
        this.where = safeName(raw, uri);
        this.commandTimeout = commandTimeout;
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
            // a form Lettuce reads and java.net.URI does not (a socket path): no user shown
        }
        String host = uri.getHost() != null ? uri.getHost() : (uri.getSocket() != null ? uri.getSocket() : "?");
        return (uri.isSsl() ? "rediss://" : "redis://") + (user != null ? user + "@" : "") + host + ":" + uri.getPort() + "/" + uri.getDatabase();
    }

    String where() {
        return where;
    }

    private RedisClient client() { // lock held
        if (closed) throw new TransportClosedException(transport);
        if (client == null) {
            client = RedisClient.create(uri);
            client.setOptions(ClientOptions.builder()
                    .protocolVersion(ProtocolVersion.RESP2)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .autoReconnect(true)
                    .build());
        }
        return client;
    }

    private StatefulRedisConnection<String, byte[]> open() { // lock held
        RedisClient c = client();
        try {
            StatefulRedisConnection<String, byte[]> conn = c.connect(CODEC);
            conn.setTimeout(commandTimeout);
            all.add(conn);
            return conn;
        } catch (RedisException e) {
            throw translate("connect to", e);
        }
    }

    /** The shared connection, opened if needed. */
    StatefulRedisConnection<String, byte[]> shared() {
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(transport);
            if (shared == null || !shared.isOpen()) shared = open();
            return shared;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The connection for pipelined batches, opened if needed: it does not flush each command, so
     * a caller queues its whole batch and then calls {@code flushCommands()}, which writes it in
     * one go. Every user must flush after queueing (a flush sends what other threads queued too,
     * which is harmless); nothing else may use it.
     */
    StatefulRedisConnection<String, byte[]> batching() {
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(transport);
            if (batching == null || !batching.isOpen()) {
                batching = open();
                batching.setAutoFlushCommands(false);
            }
            return batching;
        } finally {
            lock.unlock();
        }
    }

    /** A new publish/subscribe connection (closed with the link). */
    io.lettuce.core.pubsub.StatefulRedisPubSubConnection<String, byte[]> openPubSub() {
        lock.lock();
        try {
            RedisClient c = client();
            try {
                var conn = c.connectPubSub(CODEC);
                conn.setTimeout(commandTimeout);
                all.add(conn);
                return conn;
            } catch (RedisException e) {
                throw translate("connect to", e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code command} on the shared connection; Lettuce failures become TransportExceptions. */
    <T> T call(String what, Function<io.lettuce.core.api.sync.RedisCommands<String, byte[]>, T> command) {
        StatefulRedisConnection<String, byte[]> c = shared();
        try {
            return command.apply(c.sync());
        } catch (RedisException e) {
            throw translate(what, e);
        }
    }

    /** A connection of its own for one blocking command; give it back with {@link #release}. */
    StatefulRedisConnection<String, byte[]> borrow() {
        lock.lock();
        try {
            if (closed) throw new TransportClosedException(transport);
            while (!idle.isEmpty()) {
                StatefulRedisConnection<String, byte[]> c = idle.remove(idle.size() - 1);
                if (c.isOpen()) return c;
                all.remove(c);
            }
            return open();
        } finally {
            lock.unlock();
        }
    }

    /** Gives a borrowed connection back; {@code broken} closes it (a blocking command may still be under way on it). */
    void release(StatefulRedisConnection<String, byte[]> c, boolean broken) {
        boolean close;
        lock.lock();
        try {
            close = closed || broken || !c.isOpen();
            if (close) all.remove(c);
            else idle.add(c);
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
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
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
        if (server != null) return new TransportException("Redis at " + where + " failed to " + what + ": " + firstLine(server), null);
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

    @Override
    public void close() {
        List<StatefulRedisConnection<String, byte[]>> conns;
        RedisClient c;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            conns = new ArrayList<>(all);
            all.clear();
            idle.clear();
            c = client;
            client = null;
            shared = null;
            batching = null;
        } finally {
            lock.unlock();
        }
        // Shutting the client down closes every connection it opened (closing them first as well
        // only makes Lettuce warn "already closed").
        if (c != null) c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        else for (StatefulRedisConnection<String, byte[]> conn : conns) conn.closeAsync();
    }

    @Override
    public String toString() {
        return "RedisLink[" + where + "]";
    }

    static <T> T nonNull(T t, String what) {
        return Objects.requireNonNull(t, what);
    }
}
