package dev.weft.events;

import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.Envelope;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.TransportMessage;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bus's view of an {@link EncodedDeadLetterStore} (ADR 0042): encodes letters on the way in with
 * the bus's codec, decodes them on the way out with its declared types. A letter this bus cannot
 * decode (a name it does not declare, a payload that no longer fits its record) is left in the
 * store untouched: not listed by the bus, refused by {@link #claim} with the reason, and still
 * visible to the store itself and to {@code weft dead list}.
 */
// Implementer's note. Replay from a durable store must not lose the letter if the process dies
// while the handler runs, so the bus claims it (reads it and marks its id as being replayed here),
// dispatches it, and removes it from the store only when the handler is done with it (handled, or
// parked again as a new letter). A crash in between replays it again later: at least once, like
// any redelivery. The claim only keeps one bus from replaying a letter twice at once; two
// processes replaying the same letter at the same moment both run it.
final class EncodedDeadLetters implements DeadLetterStore {
    private static final System.Logger LOG = System.getLogger(EventBus.class.getName());

    private final EncodedDeadLetterStore store;
    private final EventCodec codec;
    private final Map<String, EventType<?>> types;
    private final Set<UUID> replaying = ConcurrentHashMap.newKeySet();

    EncodedDeadLetters(EncodedDeadLetterStore store, EventCodec codec, Map<String, EventType<?>> types) {
        this.store = store;
        this.codec = codec;
        this.types = types;
    }

    @Override
    public void add(DeadLetter letter) {
        Envelope<?> e = letter.event();
        String error = letter.error() instanceof StoredError s ? s.text() : EncodedDeadLetter.errorText(letter.error());
        TransportMessage m = new TransportMessage(e.id().toString(), e.name(), codec.encode(e));
        store.add(new EncodedDeadLetter(letter.id(), letter.handler(), m, error, Math.max(1, letter.attempts()), letter.time()));
    }

    @Override
    public List<DeadLetter> list() {
        List<DeadLetter> out = new ArrayList<>();
        int undecodable = 0;
        for (EncodedDeadLetter l : store.list(null, Integer.MAX_VALUE)) {
            try {
                out.add(decode(l));
            } catch (RuntimeException cannot) {
                undecodable++;
            }
        }
        if (undecodable > 0) {
            LOG.log(Level.WARNING, "{0} dead letter(s) in store {1} name events this bus does not declare or cannot decode;"
                    + " they stay in the store: see them with weft dead list, replay them where they are declared, or purge them", undecodable, store.name());
        }
        return out;
    }

    @Override
    public Optional<DeadLetter> remove(UUID id) {
        return store.remove(id).map(this::decodeOrNull);
    }

    private DeadLetter decodeOrNull(EncodedDeadLetter l) {
        try {
            return decode(l);
        } catch (RuntimeException cannot) {
            return null;
        }
    }

    /** How many letters the store keeps, without reading them. */
    int count() {
        long n = store.count(null);
        return n > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    }

    /**
     * Reads letter {@code id} for a replay by this bus and marks it as being replayed; it stays in
     * the store until {@link #replayed} (or {@link #release}).
     *
     * @throws IllegalArgumentException if the store does not keep it, or this bus is replaying it already
     * @throws IllegalStateException    if this bus cannot decode it (it stays)
     */
    DeadLetter claim(UUID id) {
        if (!replaying.add(id)) throw new IllegalArgumentException("dead letter " + id + " is being replayed already");
        try {
            EncodedDeadLetter l = store.find(id).orElseThrow(() -> new IllegalArgumentException("no dead letter with id " + id + " in store " + store.name()));
            try {
                return decode(l);
            } catch (RuntimeException cannot) {
                throw new IllegalStateException("cannot replay dead letter " + id + " of handler '" + l.handler() + "': this bus cannot decode its event '"
                        + l.message().name() + "' (" + cannot.getMessage() + "); it stays in store " + store.name()
                        + ": replay it with a bus that declares that event, or purge it", cannot);
            }
        } catch (RuntimeException e) {
            replaying.remove(id);
            throw e;
        }
    }

    /** The replay of {@code id} is over (handled, or parked again as a new letter): remove it. */
    void replayed(UUID id) {
        try {
            store.remove(id);
        } catch (RuntimeException storeFailed) {
            LOG.log(Level.ERROR, "dead letter " + id + " was replayed, but store " + store.name()
                    + " could not remove it; it will be replayed again if asked (handlers see the event twice)", storeFailed);
        } finally {
            replaying.remove(id);
        }
    }

    /** The replay of {@code id} did not start: it stays, and may be replayed again. */
    void release(UUID id) {
        replaying.remove(id);
    }

    private DeadLetter decode(EncodedDeadLetter l) {
        Envelope<?> e = codec.decode(l.message().body(), name -> {
            EventType<?> t = types.get(name);
            return t == null ? null : t.type();
        });
        return new DeadLetter(l.id(), l.handler(), e, new StoredError(l.error()), l.attempts(), l.time());
    }

    EncodedDeadLetterStore store() {
        return store;
    }

    @Override
    public String toString() {
        return "DeadLetterStore[" + store.name() + "]";
    }
}
