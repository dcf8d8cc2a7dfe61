package dev.weft.events;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Where a bus parks events its handlers gave up on (rule E5). The default keeps them in memory;
 * implement this to keep them somewhere durable. Implementations must be thread-safe.
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
