package dev.weft.redis;

import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.TransportClosedException;
import dev.weft.events.transport.TransportMessage;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Dead letters on a Redis stream, so they survive a restart (ADR 0042): give it to a bus
 * ({@code EventBus.builder()...deadLetters(store)}), to a {@code Worker}
 * ({@code Worker.Builder.deadLetters(store)}), and look at it with
 * {@code weft dead list --key weft:dead-letters}.
 *
 * <pre>{@code
 * try (RedisDeadLetterStore deadLetters = RedisDeadLetterStore.builder("redis://redis.internal:6379").key("sightings:dead-letters").build()) {
 *     EventBus bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec())
 *             .deadLetters(deadLetters).build();
 *     ...
 * }
 * }</pre>
 *
 * <p>One stream entry per letter, in the order they were parked, on the key {@code weft:dead-letters}
 * unless {@link Builder#key} says otherwise, and a hash {@code <key>:index} from each letter's id to
 * its entry (docs/WIRE.md). An entry has the fields of an event entry on the transport's stream
 * ({@code v}, {@code id}, {@code name}, {@code body}) and of a dead letter ({@code error}), plus
 * {@code letter}, {@code handler}, {@code attempts} and {@code time}; the store knows no event
 * types, the bus decodes the body with its codec. Nothing is trimmed: letters stay until they are
 * replayed or purged. A letter is kept when {@link #add} returns as durably as the server's
 * persistence keeps writes ({@code appendonly yes}; docs/REDIS-OPERATIONS.md).
 *
 * <p>Adding and removing run as Lua scripts ({@code EVALSHA}), so a letter and its index entry
 * are written and removed together; an ACL user needs {@code +@scripting} besides the stream and
 * hash commands. A Redis failure comes out as a {@link dev.weft.events.transport.TransportException}
 * naming the server (never the password) and the problem. Thread-safe; any number of stores
 * (processes) may share a key. Needs Redis 6.2 or newer.
 */
// Implementer's note. The stream gives the order (entry ids grow), the hash finds a letter by its
// id without a scan: find is HGET + XRANGE of one id; remove is one script (HGET, XRANGE, XDEL,
// HDEL), so of concurrent removers of a letter exactly one reads it and the others find no index
// entry. Lists and per-handler counts scan the stream in pages (XRANGE with an exclusive start).
public final class RedisDeadLetterStore implements EncodedDeadLetterStore, AutoCloseable {
    static final String DEFAULT_KEY = "weft:dead-letters";
    static final String LETTER = "letter", HANDLER = "handler", ATTEMPTS = "attempts", TIME = "time";
    private static final int PAGE = 500;

    /** KEYS: stream, index; ARGV: letter id, then the entry's fields and values. Returns 1 if added, 0 if the id was kept already. */
    private static final Script ADD = new Script("""
            if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
            local sid = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
            redis.call('HSET', KEYS[2], ARGV[1], sid)
            return 1""");
    /** KEYS: stream, index; ARGV: letter ids. Returns, per id removed, its fields and values as one flat list, lists concatenated with the id first. */
    private static final Script REMOVE = new Script("""
            local out = {}
            for i = 1, #ARGV do
              local sid = redis.call('HGET', KEYS[2], ARGV[i])
              if sid then
                local e = redis.call('XRANGE', KEYS[1], sid, sid)
                redis.call('XDEL', KEYS[1], sid)
                redis.call('HDEL', KEYS[2], ARGV[i])
                if #e == 1 then
                  out[#out + 1] = ARGV[i]
                  out[#out + 1] = e[1][2]
                end
              end
            end
            return out""");
    /** KEYS: stream, index. Deletes both; returns how many letters there were. */
    private static final Script PURGE_ALL = new Script("""
            local n = redis.call('XLEN', KEYS[1])
            redis.call('DEL', KEYS[1], KEYS[2])
            return n""");

    private final String key;
    private final String index;
    private final RedisLink link;
    private volatile boolean closed;

    private RedisDeadLetterStore(Builder b) {
        this.link = new RedisLink("redis:" + b.key, b.rawUri, b.target, b.commandTimeout);
        this.key = link.slotKey(b.key); // on a cluster {<key>}, so the index shares its slot (the scripts need both)
        this.index = this.key + ":index";
    }

    /**
     * A builder for a store on the Redis at {@code redisUri} (the URIs of
     * {@link RedisStreamsTransport#builder}: TLS, ACL user and password). Nothing is connected
     * until the first call.
     *
     * @throws IllegalArgumentException if it is not such a URI; the message never repeats the password
     */
    public static Builder builder(String redisUri) {
        return new Builder(redisUri);
    }

    @Override
    public String name() {
        return "redis:" + key;
    }

    /** The stream's key. */
    public String key() {
        return key;
    }

    /**
     * Adds the letter as a stream entry and indexes it, in one script; kept when this returns. A
     * letter whose id the store keeps already is not added twice.
     *
     * @throws dev.weft.events.transport.TransportException if Redis did not confirm it
     */
    @Override
    public void add(EncodedDeadLetter letter) {
        Objects.requireNonNull(letter, "letter");
        checkOpen();
        TransportMessage m = letter.message();
        Map<String, byte[]> f = StreamEntries.fields(m);
        f.put(StreamEntries.ERROR, StreamEntries.bytes(letter.error()));
        f.put(LETTER, StreamEntries.bytes(letter.id().toString()));
        f.put(HANDLER, StreamEntries.bytes(letter.handler()));
        f.put(ATTEMPTS, StreamEntries.bytes(Integer.toString(letter.attempts())));
        f.put(TIME, StreamEntries.bytes(Long.toString(letter.time().toEpochMilli())));
        byte[][] args = new byte[1 + 2 * f.size()][];
        args[0] = StreamEntries.bytes(letter.id().toString());
        int i = 1;
        for (Map.Entry<String, byte[]> e : f.entrySet()) {
            args[i++] = StreamEntries.bytes(e.getKey());
            args[i++] = e.getValue();
        }
        run("keep dead letter " + letter.id(), ADD, ScriptOutputType.INTEGER, args);
    }

    /** @throws dev.weft.events.transport.TransportException if Redis fails */
    @Override
    public List<EncodedDeadLetter> list(String handler, int limit) {
        if (limit < 1) throw new IllegalArgumentException("limit is " + limit + ": at least 1");
        checkOpen();
        List<EncodedDeadLetter> out = new ArrayList<>();
        scan(handler, l -> {
            out.add(l);
            return out.size() < limit;
        });
        return out;
    }

    @Override
    public Optional<EncodedDeadLetter> find(UUID id) {
        Objects.requireNonNull(id, "id");
        checkOpen();
        String what = "read dead letter " + id;
        byte[] sid = link.call(what, r -> r.hget(index, id.toString()));
        if (sid == null) return Optional.empty();
        String entry = StreamEntries.text(sid);
        List<StreamMessage<String, byte[]>> found = link.call(what, r -> r.xrange(key, Range.create(entry, entry)));
        return found.isEmpty() ? Optional.empty() : Optional.ofNullable(letter(found.get(0).getBody()));
    }

    @Override
    public Optional<EncodedDeadLetter> remove(UUID id) {
        Objects.requireNonNull(id, "id");
        checkOpen();
        List<EncodedDeadLetter> removed = removeAll("remove dead letter " + id, List.of(id.toString()));
        return removed.isEmpty() ? Optional.empty() : Optional.of(removed.get(0));
    }

    @Override
    public int purge(String handler) {
        checkOpen();
        if (handler == null) return ((Long) run("purge dead letters", PURGE_ALL, ScriptOutputType.INTEGER)).intValue();
        int n = 0;
        while (true) {
            List<String> ids = new ArrayList<>();
            scan(handler, l -> {
                ids.add(l.id().toString());
                return ids.size() < PAGE;
            });
            if (ids.isEmpty()) return n;
            n += removeAll("purge the dead letters of " + handler, ids).size();
        }
    }

    @Override
    public long count(String handler) {
        checkOpen();
        if (handler == null) return link.call("count dead letters", r -> r.xlen(key));
        long[] n = {0};
        scan(handler, l -> {
            n[0]++;
            return true;
        });
        return n[0];
    }

    /** Runs {@code each} on the letters of {@code handler} (every handler's when null), oldest first, while it returns true. */
    private void scan(String handler, Function<EncodedDeadLetter, Boolean> each) {
        Range.Boundary<String> from = Range.Boundary.unbounded();
        while (true) {
            Range<String> range = Range.from(from, Range.Boundary.unbounded());
            List<StreamMessage<String, byte[]>> page = link.call("read the dead letters", r -> r.xrange(key, range, Limit.from(PAGE)));
            for (StreamMessage<String, byte[]> m : page) {
                EncodedDeadLetter l = letter(m.getBody());
                if (l == null || (handler != null && !handler.equals(l.handler()))) continue;
                if (!each.apply(l)) return;
            }
            if (page.size() < PAGE) return;
            from = Range.Boundary.excluding(page.get(page.size() - 1).getId());
        }
    }

    private List<EncodedDeadLetter> removeAll(String what, List<String> ids) {
        byte[][] args = ids.stream().map(StreamEntries::bytes).toArray(byte[][]::new);
        List<?> reply = (List<?>) run(what, REMOVE, ScriptOutputType.MULTI, args);
        List<EncodedDeadLetter> out = new ArrayList<>();
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            List<?> kv = (List<?>) reply.get(i + 1);
            Map<String, byte[]> f = new LinkedHashMap<>();
            for (int j = 0; j + 1 < kv.size(); j += 2) f.put(StreamEntries.text((byte[]) kv.get(j)), (byte[]) kv.get(j + 1));
            EncodedDeadLetter l = letter(f);
            if (l != null) out.add(l);
        }
        return out;
    }

    /** The letter in an entry's fields, or null if the entry is not a letter of this layout (then lists skip it). */
    static EncodedDeadLetter letter(Map<String, byte[]> f) {
        try {
            TransportMessage m = StreamEntries.message(f, Integer.MAX_VALUE);
            String letter = StreamEntries.text(f.get(LETTER)), handler = StreamEntries.text(f.get(HANDLER));
            String error = StreamEntries.text(f.get(StreamEntries.ERROR)), attempts = StreamEntries.text(f.get(ATTEMPTS)), time = StreamEntries.text(f.get(TIME));
            if (letter == null || handler == null || error == null || attempts == null || time == null) return null;
            return new EncodedDeadLetter(UUID.fromString(letter), handler, m, error, Integer.parseInt(attempts), Instant.ofEpochMilli(Long.parseLong(time)));
        } catch (StreamEntries.Malformed | IllegalArgumentException notALetter) {
            return null; // NumberFormatException is an IllegalArgumentException
        }
    }

    private Object run(String what, Script script, ScriptOutputType type, byte[]... args) {
        String[] keys = {key, index};
        return link.call(what, r -> script.run(r, type, keys, args));
    }

    private void checkOpen() {
        if (closed) throw new TransportClosedException(name());
    }

    /** Closes the connection; idempotent. Calls after it throw {@link TransportClosedException}. */
    @Override
    public void close() {
        closed = true;
        link.close();
    }

    /** Names the key and the server, never the password. */
    @Override
    public String toString() {
        return "RedisDeadLetterStore[" + key + " at " + link.where() + "]";
    }

    /** A Lua script run by its digest ({@code EVALSHA}), sent again ({@code EVAL}) when the server does not have it. */
    private record Script(String source, String sha) {
        Script(String source) {
            this(source, sha1(source));
        }

        Object run(RedisClusterCommands<String, byte[]> r, ScriptOutputType type, String[] keys, byte[][] args) {
            try {
                return r.evalsha(sha, type, keys, args);
            } catch (io.lettuce.core.RedisNoScriptException notLoaded) {
                return r.eval(source, type, keys, args);
            }
        }

        private static String sha1(String s) {
            try {
                byte[] d = java.security.MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
                return java.util.HexFormat.of().formatHex(d);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-1", e);
            }
        }
    }

    /** Configures a {@link RedisDeadLetterStore}. */
    public static final class Builder {
        private final String rawUri;
        private final RedisUris.Target target;
        private String key = DEFAULT_KEY;
        private Duration commandTimeout = Duration.ofSeconds(10);

        private Builder(String redisUri) {
            this.target = RedisStreamsTransport.builder(redisUri).target(); // same URI rules and messages
            this.rawUri = redisUri;
        }

        /**
         * The stream's key; default {@code weft:dead-letters}. One key per service (its bus's
         * handler names are what tells letters apart). The index is {@code <key>:index}; on a
         * Redis Cluster ({@code redis-cluster://}) a key without a hash tag becomes {@code {<key>}},
         * as the transport's stream does, so both are in one slot.
         */
        public Builder key(String key) {
            Objects.requireNonNull(key, "key");
            if (key.isBlank()) throw new IllegalArgumentException("key is blank");
            this.key = key;
            return this;
        }

        /** How long one command may take before it fails; default 10 s. */
        public Builder commandTimeout(Duration d) {
            Objects.requireNonNull(d, "d");
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("commandTimeout must be positive, is " + d);
            this.commandTimeout = d;
            return this;
        }

        /** The store; connects on first use. */
        public RedisDeadLetterStore build() {
            return new RedisDeadLetterStore(this);
        }
    }
}
