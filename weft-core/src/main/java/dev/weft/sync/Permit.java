package dev.weft.sync;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What {@link Mutex#lock()}, {@link Semaphore#permit()} and {@link CapacityLimiter#borrow()}
 * return: a held permit that {@link #close()} gives back, so try-with-resources releases it on
 * every path out of the block, exceptions and {@link dev.weft.Cancelled Cancelled} included.
 *
 * <pre>{@code
 * try (Permit held = mutex.lock()) {
 *     balance += amount;
 * }
 * }</pre>
 *
 * <p>{@code close()} releases once; closing again does nothing. It is not a cancellation point,
 * so it works in a cancelled scope. The primitive's own rules apply: a {@link Mutex} permit
 * must be closed by the thread that locked it.
 *
 * <p>{@code javac -Xlint:try} warns that the resource variable is never read in the block; that
 * is the idiom, not a mistake: add {@code @SuppressWarnings("try")}, or on Java 22+ name it
 * {@code _}.
 */
public final class Permit implements AutoCloseable {

    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    Permit(Runnable release) {
        this.release = release;
    }

    /**
     * Gives the permit back, once; later calls do nothing.
     *
     * @throws IllegalStateException if the primitive refuses the release (for example a
     *                               {@link Mutex} permit closed by another thread); the permit
     *                               then stays held and may be closed again by the right caller
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            release.run();
        } catch (RuntimeException | Error e) {
            closed.set(false);
            throw e;
        }
    }

    /** Whether {@link #close()} has given the permit back. */
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public String toString() {
        return closed.get() ? "Permit[closed]" : "Permit[held]";
    }
}
