package dev.weft;

import dev.weft.internal.TreeWatcher;

/** The tree watcher of an autojumping {@link FakeClock}: a tree that may be quiescent asks the clock to jump. */
final class AutoJump implements TreeWatcher {
    private final FakeClock clock;

    AutoJump(FakeClock clock) {
        this.clock = clock;
    }

    @Override
    public void onQuiescenceChance() {
        clock.jumpIfQuiescent();
    }
}
