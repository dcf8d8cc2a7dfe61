package dev.weft.events;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/** {@link DeadLetterStore#inMemory()}: insertion-ordered, under a lock. */
final class InMemoryDeadLetters implements DeadLetterStore {
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<UUID, DeadLetter> letters = new LinkedHashMap<>();

    @Override
    public void add(DeadLetter letter) {
        lock.lock();
        try {
            letters.put(letter.id(), letter);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<DeadLetter> list() {
        lock.lock();
        try {
            return List.copyOf(letters.values());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<DeadLetter> remove(UUID id) {
        lock.lock();
        try {
            return Optional.ofNullable(letters.remove(id));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "DeadLetterStore[in memory, " + list().size() + " letters]";
    }
}
