package dev.weft.events.transport;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * SPI: a dead-letter store that keeps events as bytes, so its letters can outlive the process
 * (ADR 0042). weft-jdbc's {@code JdbcDeadLetterStore} keeps them in a table, weft-redis'
 * {@code RedisDeadLetterStore} in a stream; {@link #inMemory()} is for tests. Give one to a bus
 * with {@code EventBus.Builder.deadLetters(store)}: the bus encodes each letter with its codec on
 * the way in, and decodes it with its declared types when it lists or replays it, so the store
 * itself knows no event types. A {@code Worker} can park the events its handlers gave up on in one
 * too ({@code Worker.Builder.deadLetters}). Operators list, replay and purge them with {@code weft dead}.
 *
 * <h2>Contract</h2> (weft-test's {@code DeadLetterStoreContract} checks every rule)
 * <ul>
 *   <li>{@link #add} keeps the letter (bytes, handler, error, attempts, time to the millisecond)
 *   until it is removed or purged; a letter added is never lost by concurrent adds; a store that
 *   cannot keep it throws (the bus then logs the event's id and name with the error); a letter
 *   whose id it keeps already is kept once.</li>
 *   <li>{@link #list} returns letters oldest first (in the order they were added);
 *   {@link #find}, {@link #remove}, {@link #purge} and {@link #count} see every letter added
 *   before they started, also through another instance on the same storage (after a restart).</li>
 *   <li>{@link #remove} removes a letter once: of concurrent removers of one id, exactly one gets
 *   it, the others get nothing.</li>
 *   <li>Thread-safe.</li>
 * </ul>
 */
public interface EncodedDeadLetterStore {

    /** A short name for messages, e.g. {@code jdbc:weft_dead_letters}; never a password. */
    String name();

    /** Keeps {@code letter}. @throws RuntimeException if the store cannot keep it (say its database is down) */
    void add(EncodedDeadLetter letter);

    /**
     * The letters of {@code handler} (every handler's when null), oldest first, at most {@code limit}.
     *
     * @throws IllegalArgumentException if {@code limit} is below 1
     */
    List<EncodedDeadLetter> list(String handler, int limit);

    /** The letter with this id, if the store keeps it; it stays. */
    Optional<EncodedDeadLetter> find(UUID id);

    /** Removes and returns the letter with this id; empty if it is not kept (or another caller removed it first). */
    Optional<EncodedDeadLetter> remove(UUID id);

    /**
     * Removes every letter of {@code handler} (every letter when null).
     *
     * @return how many were removed
     */
    int purge(String handler);

    /** How many letters of {@code handler} (every handler's when null) the store keeps. */
    long count(String handler);

    /** A thread-safe store in memory, for tests: what it keeps is gone with the process. */
    static EncodedDeadLetterStore inMemory() {
        return new InMemoryEncodedDeadLetters();
    }
}
