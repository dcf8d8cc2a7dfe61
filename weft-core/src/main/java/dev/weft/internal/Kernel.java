package dev.weft.internal;

import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * What the scope package ({@code dev.weft}) offers the other packages of weft-core (channels,
 * sync, batch): the one blocking wait every Weft primitive uses, and a hook into the scope tree
 * for batching. Not API: this package is not exported (see ADR 0028).
 *
 * <h2>Implementer's note</h2>
 * The machinery behind it (the cancellation tree, the thread's current node, the quiescence walk)
 * lives package-private in {@code dev.weft}, next to {@code Scope}, which it is part of. The other
 * packages need a narrow slice of it; this abstract class is that slice, implemented in
 * {@code dev.weft} and installed by it, in the manner of the JDK's {@code SharedSecrets}. Its
 * signatures use JDK types only, so this package depends on no other and the packages form a DAG:
 * {@code internal <- dev.weft <- channels, sync, batch}, with {@code internal} used by all.
 */
public abstract class Kernel {

    /** The "no deadline" value of {@link #await}. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private static final class Holder {
        static final Kernel INSTANCE = load();
    }

    private static volatile Kernel installed;

    /** For the implementation in {@code dev.weft} only. */
    protected Kernel() {}

    /** The kernel of this weft-core. */
    public static Kernel get() {
        return Holder.INSTANCE;
    }

    /** Called once, by {@code dev.weft} as it initializes; a second call is ignored. */
    public static void install(Kernel kernel) {
        if (installed == null) installed = kernel;
    }

    private static Kernel load() {
        Kernel k = installed;
        if (k != null) return k;
        try {
            // Initializing the implementation installs it; by name, so this package depends on none.
            Class.forName("dev.weft.KernelImpl", true, Kernel.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("weft-core is incomplete: dev.weft.KernelImpl is missing", e);
        }
        k = installed;
        if (k == null) throw new IllegalStateException("weft-core's kernel did not install itself");
        return k;
    }

    /**
     * Waits until {@code done} is true or the current scope's clock reaches {@code untilNanos}
     * ({@link #NO_DEADLINE} for none); whoever makes {@code done} true must unpark the thread.
     * {@code done} is also evaluated by other threads (the quiescence check of batching), so it
     * must be thread-safe and must not block. A cancellation point: throws {@code dev.weft.Cancelled}
     * if the current scope is cancelled or the thread interrupted from outside Weft.
     */
    public abstract void await(BooleanSupplier done, long untilNanos, Object blocker);

    /** Waits until {@code done} is true, ignoring cancellation and interrupts (set again on return). */
    public abstract void awaitUninterruptibly(BooleanSupplier done, Object blocker);

    /**
     * The watcher of type {@code kind} of the current thread's scope tree, made by {@code factory}
     * on first use (once per tree), or null if the thread runs in no scope.
     */
    public abstract <W extends TreeWatcher> W watcher(Class<W> kind, Function<? super Tree, ? extends W> factory);

    /** The watcher of type {@code kind} of the current thread's scope tree, or null if it has none (or no tree). */
    public abstract <W extends TreeWatcher> W existingWatcher(Class<W> kind);

    /**
     * What the current thread is about to park on (the {@code blocker} it passed to {@link #await})
     * while its wait tells the tree's watchers it is blocked ({@link TreeWatcher#onQuiescenceChance}
     * runs on the parking thread then); null at any other time. A loader uses it to tell that the
     * thread whose wait sends a batch is that batch's own caller (ADR 0015).
     */
    public abstract Object parkingOn();

    /**
     * Runs {@code body} on the current thread outside its scope tree, for a loader's batch that
     * its waiting caller runs itself (ADR 0015): while it runs, no scope is current (a scope
     * {@code body} opens is a root), and no cancellation of the caller's scope interrupts the
     * thread; if that scope is cancelled meanwhile, {@code onCallerCancelled} runs on the
     * cancelling thread (it must be quick and must not block) and the cancellation takes effect
     * again, level-triggered, once {@code body} returns. The caller's wait mark stays in place, so
     * the tree sees the thread as blocked throughout, as it would while another thread ran the
     * batch.
     *
     * @return false, without running {@code body}, if the caller's scope is already cancelled or
     *         the thread interrupted (then the batch must go to a thread of its own)
     */
    public abstract boolean runDetached(Runnable body, Runnable onCallerCancelled);

    /**
     * A new, unstarted thread for {@code work} from the factory tasks' threads come from: a virtual
     * thread, except while a controlled-concurrency test (ADR 0025) has put platform threads in.
     */
    public abstract Thread newThread(Runnable work);
}
