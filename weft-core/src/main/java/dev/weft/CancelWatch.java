package dev.weft;

/**
 * A child of a node that only listens: when the node becomes effectively cancelled, it runs an
 * action, on the cancelling thread. It has no thread and no tasks, so quiescence walks and a
 * scope's wait for its tasks pass over it. Used while a thread runs a loader's batch for its own
 * wait ({@link KernelImpl#runDetached}).
 */
final class CancelWatch extends CancelNode {

    private final Runnable onCancelled;

    CancelWatch(CancelNode watched, Runnable onCancelled) {
        super(watched, false, watched.clock);
        this.onCancelled = onCancelled;
    }

    @Override
    String describe() {
        return "a cancellation watch on " + parent.describe();
    }

    @Override
    void onEffectivelyCancelled() {
        onCancelled.run();
    }
}
