package dev.weft.batch;

import java.time.Duration;
import java.util.List;

/**
 * Called around each batch a {@link Loader} sends (B5), to attach metrics or tracing. Both
 * methods run on the batch's own thread: {@link #dispatched} right before the batch function,
 * {@link #completed} right after it.
 *
 * <pre>{@code
 * BatchListener metrics = new BatchListener() {
 *     public void completed(Batch b, Duration took, Throwable failure) {
 *         registry.timer("loader.batch", "loader", b.loader(), "reason", b.reason().name()).record(took);
 *     }
 * };
 * }</pre>
 *
 * <p>If {@link #dispatched} throws, the batch is not sent and its keys fail with that exception
 * as cause, so the failure reaches the callers. If {@link #completed} throws, the keys already
 * have their outcomes; the exception goes to the batch thread's uncaught-exception handler.
 */
public interface BatchListener {

    /** One batch: its loader, its number (1, 2, ... per loader), its keys and why it was sent. */
    record Batch(String loader, long number, List<?> keys, DispatchReason reason) {
        /** Copies {@code keys}. */
        public Batch {
            keys = List.copyOf(keys);
        }

        /** How many keys the batch holds. */
        public int size() {
            return keys.size();
        }
    }

    /** The batch is about to be sent. */
    default void dispatched(Batch batch) {}

    /**
     * The batch function returned or threw.
     *
     * @param elapsed how long it ran, on the clock of the scope tree it was sent for
     * @param failure what it threw (each key failed with it), or null if it returned
     */
    default void completed(Batch batch, Duration elapsed, Throwable failure) {}
}
