package dev.weft.events;

import dev.weft.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The events one bus holds for one open scope (E4). Created by the first emit in the scope, which
 * registers {@link #completed} with {@link Scope#onCompletion} (ADR 0016).
 */
// Implementer's note: see docs/adr/0017-events-held-by-scopes.md for nesting. `token` is the
// unit-of-work marker visible where the buffer was created; when the scope ends, its completion
// action runs in the parent, and a different marker there means this scope was itself a unit of
// work (a dispatch boundary), so its events are dispatched instead of moving up.
final class ScopeBuffer {
    private final EventBus bus;
    private final Scope scope;
    private final Object token;
    private final ReentrantLock lock = new ReentrantLock();
    private List<InFlight> events = new ArrayList<>();

    ScopeBuffer(EventBus bus, Scope scope) {
        this.bus = bus;
        this.scope = scope;
        this.token = EventBus.UNIT_OF_WORK.find().orElse(null);
    }

    void add(InFlight f) {
        lock.lock();
        try {
            events.add(f);
        } finally {
            lock.unlock();
        }
    }

    void addAll(List<InFlight> fs) {
        lock.lock();
        try {
            events.addAll(fs);
        } finally {
            lock.unlock();
        }
    }

    /** The scope's completion action: runs on its owner thread, which is back in the parent. */
    void completed(Throwable failure) {
        bus.held.remove(scope);
        List<InFlight> all;
        lock.lock();
        try {
            all = events;
            events = List.of();
        } finally {
            lock.unlock();
        }
        bus.heldCount.add(-all.size());
        List<InFlight> keep;
        if (failure == null) {
            keep = all;
        } else {
            keep = new ArrayList<>();
            for (InFlight f : all) {
                if (bus.policyOf(f.type) == DispatchPolicy.ALWAYS) keep.add(f);
            }
            bus.discarded.add(all.size() - keep.size());
        }
        if (keep.isEmpty()) return;
        Scope parent = Scope.current().orElse(null);
        boolean boundary = parent == null || EventBus.UNIT_OF_WORK.find().orElse(null) != token;
        if (boundary) {
            bus.handOff(keep);
        } else {
            bus.heldCount.add(keep.size());
            bus.bufferOf(parent).addAll(keep);
        }
    }
}
