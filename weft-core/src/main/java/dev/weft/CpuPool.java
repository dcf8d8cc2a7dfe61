package dev.weft;

import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of platform threads for {@link Scope#forkCpu} (S9): CPU-bound work runs here so
 * it cannot occupy the few carrier threads that all virtual threads share.
 *
 * <p>{@link #shared()} has one thread per core, or {@code -Dweft.cpu.threads=N}. Tasks wait in an
 * unbounded FIFO queue; a task cancelled while queued is removed and never runs. Pool threads are
 * daemons, so a forgotten pool does not keep the JVM alive; still, {@link #close()} pools you create.
 */
public final class CpuPool implements AutoCloseable {

    private static final class Shared {
        static final CpuPool INSTANCE = new CpuPool("weft-cpu",
                Integer.getInteger("weft.cpu.threads", Runtime.getRuntime().availableProcessors()), true);
    }

    private final String name;
    private final int threads;
    private final boolean shared;
    private final ThreadPoolExecutor executor;

    private CpuPool(String name, int threads, boolean shared) {
        if (threads < 1) {
            throw new IllegalArgumentException("a CPU pool needs at least 1 thread, got " + threads
                    + (shared ? " from -Dweft.cpu.threads" : ""));
        }
        this.name = name;
        this.threads = threads;
        this.shared = shared;
        AtomicInteger ids = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, name + "-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The process-wide pool: one platform thread per core, or {@code -Dweft.cpu.threads}. */
    public static CpuPool shared() {
        return Shared.INSTANCE;
    }

    /** A new pool of {@code threads} platform threads named {@code name-1}, {@code name-2}, ... */
    public static CpuPool create(String name, int threads) {
        Objects.requireNonNull(name, "name");
        return new CpuPool(name, threads, false);
    }

    /** The pool's name. */
    public String name() {
        return name;
    }

    /** How many threads it has: at most this many CPU tasks run at once. */
    public int threads() {
        return threads;
    }

    void execute(Runnable r) {
        executor.execute(r);
    }

    void remove(Runnable r) {
        executor.remove(r);
    }

    /**
     * Stops the pool once the tasks already given to it have run; later forks onto it fail with
     * a clear {@link IllegalStateException}.
     *
     * @throws UnsupportedOperationException for {@link #shared()}, which lives as long as the JVM
     */
    @Override
    public void close() {
        if (shared) throw new UnsupportedOperationException("the shared CPU pool lives as long as the JVM and cannot be closed");
        executor.shutdown();
    }

    @Override
    public String toString() {
        return "CpuPool[" + name + ", " + threads + " threads]";
    }
}
