package dev.weft.events;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Where a bus parks events its handlers gave up on (rule E5), as typed {@link DeadLetter}s. The
 * default, {@link #inMemory()}, keeps them in memory: for tests and for programs that need not
 * keep them across a restart. For letters that survive a restart give the bus a durable store of
 * encoded letters instead ({@link EventBus.Builder#deadLetters(dev.weft.events.transport.EncodedDeadLetterStore)}:
 * weft-jdbc's {@code JdbcDeadLetterStore}, weft-redis' {@code RedisDeadLetterStore}; ADR 0042),
 * which the bus encodes and decodes with its codec and declared types. Implementations must be thread-safe.
 */
public interface DeadLetterStore {

    /** Keeps {@code letter}. Must not throw for an ordinary letter: the bus has nowhere else to put it. */
    void add(DeadLetter letter);

    /** Every letter kept, oldest first. */
    List<DeadLetter> list();

    /** Removes and returns the letter with this id, if it is kept. */
    Optional<DeadLetter> remove(UUID id);

    /** A thread-safe store in memory, unbounded (letters stay until replayed or removed). */
    static DeadLetterStore inMemory() {
        return new InMemoryDeadLetters();
    }
}
