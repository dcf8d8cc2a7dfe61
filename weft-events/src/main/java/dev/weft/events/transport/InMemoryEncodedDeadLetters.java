package dev.weft.events.transport;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/** {@link EncodedDeadLetterStore#inMemory()}: insertion-ordered, under a lock. */
final class InMemoryEncodedDeadLetters implements EncodedDeadLetterStore {
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<UUID, EncodedDeadLetter> letters = new LinkedHashMap<>();

    @Override
    public String name() {
        return "in-memory";
    }

    @Override
    public void add(EncodedDeadLetter letter) {
        Objects.requireNonNull(letter, "letter");
        // Stores keep the time to the millisecond (the contract); so does this one, to behave alike.
        EncodedDeadLetter kept = new EncodedDeadLetter(letter.id(), letter.handler(), letter.message(), letter.error(), letter.attempts(),
                letter.time().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        lock.lock();
        try {
            letters.putIfAbsent(letter.id(), kept);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<EncodedDeadLetter> list(String handler, int limit) {
        if (limit < 1) throw new IllegalArgumentException("limit is " + limit + ": at least 1");
        lock.lock();
        try {
            List<EncodedDeadLetter> out = new ArrayList<>();
            for (EncodedDeadLetter l : letters.values()) {
                if (out.size() >= limit) break;
                if (handler == null || handler.equals(l.handler())) out.add(l);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<EncodedDeadLetter> find(UUID id) {
        Objects.requireNonNull(id, "id");
        lock.lock();
        try {
            return Optional.ofNullable(letters.get(id));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<EncodedDeadLetter> remove(UUID id) {
        Objects.requireNonNull(id, "id");
        lock.lock();
        try {
            return Optional.ofNullable(letters.remove(id));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int purge(String handler) {
        lock.lock();
        try {
            int before = letters.size();
            letters.values().removeIf(l -> handler == null || handler.equals(l.handler()));
            return before - letters.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long count(String handler) {
        lock.lock();
        try {
            return handler == null ? letters.size() : letters.values().stream().filter(l -> handler.equals(l.handler())).count();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "EncodedDeadLetterStore[in memory, " + count(null) + " letters]";
    }
}
