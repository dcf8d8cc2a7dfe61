package dev.weft;

import dev.weft.internal.Jfr;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A scope owns tasks: none outlives it, a failure cancels the rest, and every failure is
 * reported (Trio's nursery and cancel scope in one).
 *
 * <pre>{@code
 * List<String> pages = Scope.failAfter(Duration.ofSeconds(2), scope -> {
 *     Task<String> a = scope.fork(() -> fetch("a"));
 *     Task<String> b = scope.fork(() -> fetch("b"));
 *     return List.of(a.join(), b.join());
 * });
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>(S1) {@code run} returns or throws only after every task forked in the scope has
 *   finished, whether the body returned, threw, or the scope was cancelled.</li>
 *   <li>(S2) When a task or the body fails, the scope cancels everything else in it, waits, and
 *   throws one {@link ExceptionGroup} holding every failure with the name of its task, never the
 *   cancellations it caused. {@link ExceptionGroup#single()} unwraps a lone failure.</li>
 *   <li>(S3, S4) Cancellation is level-triggered and carries a {@link CancelReason}: once the
 *   scope is cancelled, every cancellation point inside it throws {@link Cancelled} until it
 *   exits.</li>
 *   <li>(S5) A {@linkplain #shielded shielded} scope ignores outer cancellation and outer
 *   deadlines; its own deadline still applies.</li>
 *   <li>(S6) {@link #failAfter} throws {@link DeadlineExceeded} when the time passes;
 *   {@link #moveOnAfter} returns a {@link MoveOnResult} that says time ran out. The nearest
 *   deadline wins.</li>
 *   <li>(S7) {@link #start} returns once the task calls {@code started(value)}.</li>
 *   <li>(S8) {@linkplain #forkBackground Background} tasks are cancelled once the body and every
 *   ordinary task are done.</li>
 *   <li>(S9) {@link #forkCpu} runs on a bounded platform pool; {@link #forkProcess} kills the
 *   process tree when cancelled.</li>
 *   <li>(S10) Values bound with {@link Builder#bind} are visible to the scope's body and tasks,
 *   and to nothing outside.</li>
 * </ul>
 *
 * <h2>How the scope ends</h2>
 * In this order: if anything failed, {@code run} throws the {@link ExceptionGroup}; else if its
 * fail-deadline passed and no enclosing scope is cancelled too, {@link DeadlineExceeded} (as in
 * Trio, the outermost cancellation wins, so an outer deadline is never reported as an inner
 * scope's failure); else if the body ended by cancellation,
 * {@link Cancelled} (the scope's own reason, or the outer one that reached it), except that a
 * {@code moveOn} scope catches its own deadline and its own {@code cancel(reason)} when no
 * enclosing scope is cancelled (Trio's cancel scope) and returns normally; else it returns the
 * body's value, even if the scope was cancelled meanwhile.
 *
 * <h2>What cancellation cannot interrupt</h2>
 * Weft wakes a blocked task by interrupting its thread. Calls that ignore interrupts go on until
 * they return by themselves: {@code synchronized} monitor entry, {@code Lock.lock()}, classic
 * {@code java.io} streams on platform threads, file I/O through {@code FileInputStream}, busy
 * CPU loops without {@link Weft#checkpoint()}, and JNI. The scope still waits for them (S1), so
 * a stuck call delays the scope's exit; give such code a timeout of its own. Code that catches
 * {@code InterruptedException} and carries on clears the interrupt, so the next JDK call in it is
 * not woken; call {@link Weft#checkpoint()} in the catch block, which throws {@link Cancelled}
 * and sets the interrupt again. Weft's own waits never lose a cancellation.
 *
 * <h2>Who may fork</h2>
 * A scope is bound to the thread that opened it. Its body, its tasks and code nested in them
 * (their threads, scopes they open) may fork into it as long as it is open, also after the body
 * returned, while the scope waits for its tasks. Any other thread holding the scope may fork into
 * it only while the body runs (say, a server's handler threads forking into a scope whose body
 * waits for shutdown); once the body has returned, such a fork throws
 * {@link IllegalStateException}. So only the scope's own work can keep it open after its body
 * returns, and a closed scope (every task done) takes no forks at all.
 */
public final class Scope extends CancelNode {

    private static final AtomicLong SCOPE_IDS = new AtomicLong();
    /**
     * Makes the thread of every task that is not on a CPU pool (virtual and process tasks) and,
     * through {@code Kernel.newThread}, of every loader batch: virtual threads. [test seam, ADR 0025]
     * Fray, the controlled-concurrency tester, schedules platform threads but cannot drive virtual
     * ones, so weft-core-interleavings installs a platform-thread factory while it explores a
     * scenario and puts this one back. Package-private, and nothing in src/main writes it.
     */
    static volatile ThreadFactory taskThreads = Thread.ofVirtual().factory();
    private static final VarHandle COUNTS;
    private static final VarHandle TASK_SEQ;
    private static final VarHandle BACKGROUND_CANCELLED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            COUNTS = l.findVarHandle(Scope.class, "counts", long.class);
            TASK_SEQ = l.findVarHandle(Scope.class, "taskSeq", int.class);
            BACKGROUND_CANCELLED = l.findVarHandle(Scope.class, "backgroundCancelled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // counts packs the live-task count, the ordinary (non-background) count and two flags into
    // one long, so a fork or a completion is a single atomic add and the owner's "all done, now
    // closed" is a single compare-and-set that no concurrent fork can slip past.
    private static final long LIVE = 1L;
    private static final long ORDINARY = 1L << 29;
    private static final long COUNT_MASK = ORDINARY - 1;
    private static final long BODY_DONE = 1L << 58;
    private static final long CLOSED = 1L << 59;

    private enum DeadlineMode { FAIL, MOVE_ON }

    private final String name;
    private final Map<ContextKey<?>, Object> bindings;
    private final CpuPool cpuPool;
    private final Duration timeout;
    /** This scope's own deadline, or NONE; armed even when an enclosing one comes first. */
    private final long ownDeadline;
    private final long effectiveDeadline;
    private final Thread owner;

    @SuppressWarnings("unused") private volatile long counts;                 // through COUNTS
    @SuppressWarnings("unused") private volatile int taskSeq;                 // through TASK_SEQ
    @SuppressWarnings("unused") private volatile boolean backgroundCancelled; // through BACKGROUND_CANCELLED
    private List<ExceptionGroup.Failure> failures; // guarded by this; rare, so a monitor is fine
    private List<Consumer<? super Throwable>> completionActions; // guarded by this (ADR 0016)
    private List<AutoCloseable> resources; // guarded by this; see use()
    private boolean resourcesClosed; // guarded by this
    private boolean completing; // guarded by this (ADR 0016)

    // [quiescence, ADR 0013 and 0028] The outermost scope of this scope's tree: the domain whose
    // threads a loader (or an autojumping clock) waits to see all blocked. Only a root's `tree` is
    // ever set, by the first watcher of the tree; until then the fork/complete paths pay one null
    // check and nothing else.
    final Scope batchRoot;
    volatile TreeDomain tree;

    /** The scope's observers (ADR 0031), or null when it has none: then the hooks cost a null check. */
    final Observers observers;

    private static int live(long c) {
        return (int) (c & COUNT_MASK);
    }

    private static int ordinary(long c) {
        return (int) ((c >>> 29) & COUNT_MASK);
    }

    private Scope(CancelNode parent, Builder b, WeftClock clock, long ownDeadline) {
        super(parent, b.shield, clock);
        this.name = b.name != null ? b.name : "scope-" + SCOPE_IDS.incrementAndGet();
        this.bindings = b.bindings.isEmpty() ? Map.of() : Map.copyOf(b.bindings);
        Scope enclosing = parent == null ? null : parent.nearestScope();
        this.cpuPool = b.cpuPool != null ? b.cpuPool : enclosing != null ? enclosing.cpuPool : CpuPool.shared();
        this.timeout = b.timeout;
        long inherited = super.deadlineNanos();
        this.ownDeadline = ownDeadline;
        this.effectiveDeadline = Math.min(ownDeadline, inherited);
        this.owner = Thread.currentThread();
        this.batchRoot = enclosing == null ? this : enclosing.batchRoot;
        this.observers = Observers.of(enclosing, b.observer);
    }

    @Override
    long deadlineNanos() {
        return effectiveDeadline;
    }

    // ---------------------------------------------------------------- opening scopes

    /**
     * Opens a scope, runs {@code body} in it, waits for every task, and returns the body's value.
     *
     * @throws ExceptionGroup if the body or any task failed (S2)
     * @throws Cancelled      if the scope was cancelled and the body ended by that cancellation
     */
    public static <T> T run(ScopeBody<T> body) {
        return builder().run(body);
    }

    /**
     * As {@link #run}, and throws {@link DeadlineExceeded} if {@code timeout} passes first: the
     * scope is cancelled at that moment, waits for its tasks, then throws (S6).
     */
    public static <T> T failAfter(Duration timeout, ScopeBody<T> body) {
        return builder().timeout(timeout).run(body);
    }

    /** As {@link #failAfter}, with the deadline given as a wall-clock instant. */
    public static <T> T failAt(Instant deadline, ScopeBody<T> body) {
        return builder().deadline(deadline).run(body);
    }

    /**
     * As {@link #run}, but when {@code timeout} passes the scope is cancelled and this returns
     * normally with {@link MoveOnResult#timedOut()} true (Trio's {@code move_on_after}).
     */
    public static <T> MoveOnResult<T> moveOnAfter(Duration timeout, ScopeBody<T> body) {
        return builder().timeout(timeout).moveOn(body);
    }

    /** As {@link #moveOnAfter}, with the deadline given as a wall-clock instant. */
    public static <T> MoveOnResult<T> moveOnAt(Instant deadline, ScopeBody<T> body) {
        return builder().deadline(deadline).moveOn(body);
    }

    /**
     * As {@link #run}, in a scope that ignores the cancellation and deadlines of the scopes
     * around it (S5): for cleanup that must finish. Give it a deadline of its own
     * ({@code Scope.builder().shield().timeout(..)}) so that it cannot hang.
     */
    public static <T> T shielded(ScopeBody<T> body) {
        return builder().shield().run(body);
    }

    /** A builder for a scope with a name, a deadline, a shield, a clock, a CPU pool or context values. */
    public static Builder builder() {
        return new Builder();
    }

    /** The innermost scope of the current thread, if it runs inside one (S10: nowhere else). */
    public static Optional<Scope> current() {
        CancelNode n = Current.node();
        return Optional.ofNullable(n == null ? null : n.nearestScope());
    }

    /** Configures and opens a scope. Not thread-safe; a builder may open several scopes. */
    public static final class Builder {
        private String name;
        private boolean shield;
        private WeftClock clock;
        private CpuPool cpuPool;
        private ScopeObserver observer;
        private Duration timeout;
        private Instant deadline;
        private final Map<ContextKey<?>, Object> bindings = new LinkedHashMap<>();

        private Builder() {}

        /** The scope's name: in messages, cancellation reasons and task names ({@code name-1}, ...). */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) throw new IllegalArgumentException("scope name is blank: give it a name that says what it does, e.g. \"fetch-profile\"");
            this.name = name;
            return this;
        }

        /** Makes the scope ignore the cancellation and deadlines of enclosing scopes (S5). */
        public Builder shield() {
            this.shield = true;
            return this;
        }

        /** Cancels the scope {@code timeout} after it opens (replaces any {@link #deadline}). */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout is negative (" + timeout + "): pass Duration.ZERO to run with no time at all");
            }
            this.timeout = timeout;
            this.deadline = null;
            return this;
        }

        /** Cancels the scope at the wall-clock instant {@code deadline} (replaces any {@link #timeout}). */
        public Builder deadline(Instant deadline) {
            this.deadline = Objects.requireNonNull(deadline, "deadline");
            this.timeout = null;
            return this;
        }

        /** The time source for the scope and everything nested in it; default: the enclosing scope's, else the system clock. */
        public Builder clock(WeftClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * An observer of this scope and every scope nested in it, besides the process-wide ones
         * ({@link ScopeObserver#register}) and the enclosing scopes' (ADR 0031). An observer the
         * scope has already (the same instance, registered process-wide or given to an enclosing
         * scope) is not added a second time. Observers see the scope in the order they were added,
         * and are told it closed in the reverse order.
         */
        public Builder observer(ScopeObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /** The pool for {@link Scope#forkCpu}; default: the enclosing scope's, else {@link CpuPool#shared()}. */
        public Builder cpuPool(CpuPool pool) {
            this.cpuPool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /**
         * Binds {@code value} to {@code key} for this scope, its tasks and scopes nested in them (S10).
         *
         * @throws NullPointerException if the value is null: bind an {@code Optional} to say "absent"
         */
        public <V> Builder bind(ContextKey<V> key, V value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, () -> "value for context key '" + key.name() + "' is null: bind an Optional to say \"absent\"");
            bindings.put(key, value);
            return this;
        }

        /**
         * Opens the scope and runs {@code body}; a deadline, if set, behaves as {@link Scope#failAfter}.
         *
         * @throws ExceptionGroup   if the body or a task failed
         * @throws DeadlineExceeded if the deadline passed first
         * @throws Cancelled        if the scope was cancelled and the body ended by it
         */
        public <T> T run(ScopeBody<T> body) {
            return open(this, body, DeadlineMode.FAIL).value();
        }

        /**
         * Opens the scope and runs {@code body}; when the deadline passes, returns with
         * {@code timedOut()} true. Like Trio's cancel scope, it also catches its own
         * {@link Scope#cancel(String) cancel(reason)}: a body ended by it returns normally, with
         * {@link MoveOnResult#cancelReason()} saying why. ({@link #run} cannot return without the
         * body's value, so there it throws {@link Cancelled}.) A cancellation that comes from an
         * enclosing scope, or a failure, is never caught.
         *
         * <pre>{@code
         * MoveOnResult<Void> search = Scope.builder().moveOn(scope -> {
         *     for (Shard s : shards) scope.fork(() -> { if (s.contains(key)) scope.cancel("found in " + s); return null; });
         *     return null;
         * });   // returns as soon as one shard found it; search.cancelReason() says which
         * }</pre>
         */
        public <T> MoveOnResult<T> moveOn(ScopeBody<T> body) {
            return open(this, body, DeadlineMode.MOVE_ON);
        }
    }

    private static <T> MoveOnResult<T> open(Builder b, ScopeBody<T> body, DeadlineMode mode) {
        Objects.requireNonNull(body, "body: pass the code to run in the scope, e.g. Scope.run(scope -> ...)");
        CancelNode parent = Current.node();
        WeftClock clock = b.clock != null ? b.clock : parent != null ? parent.clock : SystemClock.INSTANCE;
        long own = b.timeout != null ? clock.after(b.timeout)
                : b.deadline != null ? Deadlines.at(clock, b.deadline) : Deadlines.NONE;
        Scope scope = new Scope(parent, b, clock, own);
        Thread me = Thread.currentThread();

        // Enter: the scope becomes this thread's innermost node.
        if (parent != null) {
            parent.linkChild(scope);
            parent.detach();
        }
        Current.set(scope);
        if (b.shield && parent != null && parent.effectiveReason() != null) {
            Thread.interrupted(); // the outer cancellation's interrupt must not reach shielded code
        }
        scope.attach(me);
        // An autojumping FakeClock watches the tree from its outermost scope on that clock.
        FakeClock jumper = clock instanceof FakeClock f && f.isAutojump() && (parent == null || parent.clock != clock) ? f : null;
        if (jumper != null) jumper.attach(scope);
        WeftClock.Scheduled timer = scope.armDeadline();
        // Observers and JFR (ADR 0031): what they need of the opening.
        Object jfr = Jfr.AVAILABLE ? WeftJfr.scopeOpened() : null;
        long openedAt = scope.observers != null ? clock.nanoTime() : 0;
        if (scope.observers != null) scope.observers.opened(scope);

        T value = null;
        Throwable bodyError = null;
        try {
            value = body.run(scope);
        } catch (Throwable t) {
            bodyError = t;
        }
        boolean foreignInterrupt = scope.bodyFinished(bodyError);
        foreignInterrupt |= scope.awaitTasks();
        // S1 for threads started on the tree's behalf (a loader's batches): the outermost scope
        // ends them too. No task of the tree is left, so nothing forks into it or loads any more.
        TreeDomain tree = scope.batchRoot == scope ? scope.tree : null;
        if (tree != null) tree.closed();
        if (timer != null) timer.cancel();
        if (jumper != null) jumper.detach(scope);

        // Leave: hand the thread back to the parent node, with the interrupt status it should see.
        scope.detach(); // from here on no canceller of the scope interrupts this thread...
        boolean wasCancelled = scope.effectiveReason() != null; // ...and one that did is seen here
        Current.set(parent);
        if (wasCancelled) Thread.interrupted();
        if (parent != null) {
            parent.unlinkChild(scope);
            parent.attach(me); // interrupts again if the parent is cancelled (level-triggered)
        }
        if (foreignInterrupt) me.interrupt();
        scope.closeResources();
        MoveOnResult<T> result;
        try {
            result = scope.outcome(value, bodyError, mode);
        } catch (Throwable t) {
            if (jfr != null || scope.observers != null) scope.reportClosed(jfr, openedAt, outcomeOf(t));
            scope.runCompletionActions(t); // ADR 0016
            throw t;
        }
        if (jfr != null || scope.observers != null) {
            scope.reportClosed(jfr, openedAt, result.hasValue() ? ScopeSummary.Outcome.VALUE : ScopeSummary.Outcome.CUT_SHORT);
        }
        scope.runCompletionActions(result.hasValue() ? null : new Cancelled(scope.ownReason()));
        return result;
    }

    private static ScopeSummary.Outcome outcomeOf(Throwable t) {
        if (t instanceof ExceptionGroup) return ScopeSummary.Outcome.FAILED;
        if (t instanceof DeadlineExceeded) return ScopeSummary.Outcome.DEADLINE_EXCEEDED;
        return ScopeSummary.Outcome.CANCELLED;
    }

    /** Tells JFR and the observers that this scope closed (ADR 0031). */
    private void reportClosed(Object jfr, long openedAt, ScopeSummary.Outcome outcome) {
        int tasks = taskSeq;
        int failed;
        synchronized (this) {
            failed = outcome == ScopeSummary.Outcome.FAILED && failures != null ? failures.size() : 0;
        }
        if (jfr != null) WeftJfr.scopeClosed(jfr, this, tasks, failed, outcome);
        if (observers != null) observers.closed(this, Duration.ofNanos(clock.nanoTime() - openedAt), tasks, failed, outcome);
    }

    @Override
    void onOwnCancel(CancelReason reason) {
        if (Jfr.AVAILABLE) WeftJfr.cancelled(this, reason);
        if (observers != null) observers.cancelled(this, reason);
    }

    private WeftClock.Scheduled armDeadline() {
        if (ownDeadline == Deadlines.NONE) return null;
        return clock.schedule(ownDeadline, () -> cancel(CancelReason.deadline(name, timeout)));
    }

    /** Returns true if the body ended because code outside Weft interrupted the owner. */
    private boolean bodyFinished(Throwable bodyError) {
        // An interrupt that no cancellation of Weft's explains (say, Future.cancel(true) on the
        // thread running the scope) woke the body: treat it as a request to cancel this scope,
        // as awaitTasks() does when it comes later, and give the interrupt back on the way out.
        boolean foreign = bodyError != null && effectiveReason() == null && isForeignInterrupt(bodyError);
        if (foreign) cancel(CancelReason.interrupted(describe()));
        boolean failed = bodyError != null && !(effectiveReason() != null && isCancellation(bodyError));
        if (failed) {
            addFailure(name + " (body)", bodyError);
            cancel(CancelReason.bodyFailed(name, bodyError));
        }
        long c = (long) COUNTS.getAndAdd(this, BODY_DONE) + BODY_DONE;
        if (ordinary(c) == 0 && live(c) > 0) cancelBackground();
        return foreign;
    }

    /** Waits for every task (S1). Returns true if the owner was interrupted by code outside Weft. */
    private boolean awaitTasks() {
        boolean foreign = false;
        boolean marked = false;
        try {
            while (true) {
                long c = (long) COUNTS.getVolatile(this);
                if (live(c) == 0) {
                    if (COUNTS.compareAndSet(this, c, c | CLOSED)) {
                        // S1: every task's code is done; wait for their threads to end too, so
                        // no thread this scope started is alive when run returns. A task drops
                        // the count as the last thing it does, so this rarely waits, and briefly.
                        if (joinTaskThreads()) Thread.currentThread().interrupt();
                        return foreign;
                    }
                    continue; // a task forked meanwhile
                }
                if (!marked) {
                    // [quiescence, ADR 0013] the owner waiting for its tasks is blocked in a Weft wait.
                    marked = true;
                    Quiescence.enter(this, Quiescence.Parked.owner(this::noLiveTasks));
                    continue; // the check may have parked on a lock and used up our unpark: look again
                }
                LockSupport.park(this);
                if (Thread.interrupted() && effectiveReason() == null) {
                    // Someone outside Weft interrupted the owner (say, Future.cancel(true)): treat it
                    // as a request to cancel this scope, and give the interrupt back on the way out.
                    foreign = true;
                    cancel(CancelReason.interrupted(describe()));
                }
            }
        } finally {
            if (marked) setParked(null);
        }
    }

    /**
     * Joins the threads of this scope's tasks that are still alive (S1). Finished tasks stay on the
     * child list while their thread may be alive (the sweep keeps them), so the list holds every
     * one; the scope is closed, so the list no longer changes. Returns true if interrupted meanwhile
     * (the caller sets the status again; the scope's own cancellation clears it on the way out).
     */
    private boolean joinTaskThreads() {
        boolean interrupted = false;
        for (CancelNode c = firstChild(); c != null; c = c.nextSibling()) {
            if (c instanceof ForkedTask<?> t && t.threadMayBeAlive()) interrupted |= t.joinThread();
        }
        return interrupted;
    }

    private boolean noLiveTasks() {
        return live((long) COUNTS.getVolatile(this)) == 0;
    }

    /**
     * Records a task's failure and cancels the scope (S2). Called by the task before it publishes
     * its final state, so that nobody can see the task failed while the scope is not yet
     * cancelled, and before the count drops, so the owner sees the failure once it sees the task gone.
     */
    void recordFailure(ForkedTask<?> task, Throwable failure) {
        addFailure(task.name(), failure);
        cancel(CancelReason.taskFailed(task.name(), failure));
    }

    /** The task's outcome is out (and its failure recorded): it leaves the scope's counts. */
    void taskFinished(ForkedTask<?> task) {
        unlinkChild(task);
        long delta = task.background ? LIVE : LIVE | ORDINARY;
        long c = (long) COUNTS.getAndAdd(this, -delta) - delta;
        if ((c & BODY_DONE) != 0) {
            if (live(c) == 0) LockSupport.unpark(owner);
            else if (ordinary(c) == 0) cancelBackground();
        }
        // [quiescence, ADR 0013] a task that ends may leave every other thread of the tree waiting.
        TreeDomain t = batchRoot.tree;
        if (t != null) t.chance();
    }

    private synchronized void addFailure(String taskName, Throwable t) {
        if (failures == null) failures = new ArrayList<>(2);
        failures.add(new ExceptionGroup.Failure(taskName, t));
    }

    /** S8: once the body and all ordinary tasks are done, the background tasks go (once). */
    private void cancelBackground() {
        if (!BACKGROUND_CANCELLED.compareAndSet(this, false, true)) return;
        CancelReason reason = CancelReason.scopeFinished(name);
        forEachChild(c -> {
            if (c instanceof ForkedTask<?> t && t.background) t.cancel(reason);
        });
    }

    private <T> MoveOnResult<T> outcome(T value, Throwable bodyError, DeadlineMode mode) {
        List<ExceptionGroup.Failure> failed;
        synchronized (this) {
            failed = failures == null ? List.of() : List.copyOf(failures);
        }
        if (!failed.isEmpty()) {
            String msg = failed.size() == 1 ? "1 failure in scope '" + name + "'"
                    : failed.size() + " failures in scope '" + name + "'";
            throw new ExceptionGroup(msg, failed);
        }
        CancelReason own = ownReason();
        boolean deadlinePassed = own != null && own.kind() == CancelReason.Kind.DEADLINE;
        // As in Trio, a scope only "catches" its own deadline when no enclosing scope is cancelled
        // too. Otherwise the outer cancellation (say, a nearer deadline that passed first while
        // this scope was still unwinding) must leave as a cancellation: turned into this scope's
        // DeadlineExceeded, the outer scope would report it as a failure of its body (S6).
        CancelReason outer = shielded || parent == null ? null : parent.effectiveReason();
        boolean catchesDeadline = deadlinePassed && outer == null;
        if (catchesDeadline && mode == DeadlineMode.FAIL) {
            throw new DeadlineExceeded(name, timeout, own);
        }
        // A moveOn scope is also Trio's cancel scope: it catches the cancellation it asked for
        // itself (scope.cancel(reason) on this very scope), under the same condition.
        boolean catchesOwnCancel = mode == DeadlineMode.MOVE_ON && own != null && outer == null
                && own.kind() == CancelReason.Kind.REQUESTED;
        if (bodyError != null) { // a cancellation, or it would be among the failures
            if (catchesDeadline || catchesOwnCancel) return MoveOnResult.cutShort(own);
            if (bodyError instanceof Cancelled c) throw c;
            CancelReason r = outer != null ? outer : own;
            throw new Cancelled(r != null ? r : CancelReason.interrupted(describe()), bodyError);
        }
        return deadlinePassed || catchesOwnCancel ? MoveOnResult.completed(value, own) : MoveOnResult.completed(value, null);
    }

    // ---------------------------------------------------------------- resources

    /**
     * Ties {@code resource} to this scope: it is closed when the scope ends, after every task has
     * finished (so no task can still be using it), in the reverse order of the {@code use} calls
     * (Trio's {@code async with} in a nursery, Ox's {@code useInScope}). Returns the resource, so
     * acquiring and tying are one line. Any thread inside the scope may call it.
     *
     * <pre>{@code
     * Scope.run(scope -> {
     *     Connection db = scope.use(dataSource.getConnection());
     *     for (long id : ids) scope.fork(() -> load(db, id));
     *     return null;
     * }); // every task done, then db.close()
     * }</pre>
     *
     * <p>Closing happens on the thread that opened the scope, once it has left the scope: this
     * scope's own cancellation does not interrupt a close, an enclosing scope's does. Every
     * resource is closed even if an earlier close fails; a close that throws is a failure of the
     * scope, reported in its {@link ExceptionGroup} under the name {@code close <Type>#<n>}
     * (the resource's class and its position; never its {@code toString()}, which may hold a
     * password).
     *
     * @return {@code resource}
     * @throws IllegalStateException if the scope's resources were already closed; {@code resource}
     *                               is then closed at once, so it is not lost
     */
    public <R extends AutoCloseable> R use(R resource) {
        Objects.requireNonNull(resource, "resource: pass the AutoCloseable to close when the scope ends");
        synchronized (this) {
            if (!resourcesClosed) {
                if (resources == null) resources = new ArrayList<>(2);
                resources.add(resource);
                return resource;
            }
        }
        IllegalStateException late = new IllegalStateException("scope '" + name
                + "' has ended and closed its resources: use() it while the scope is open; the resource was closed now");
        try {
            resource.close();
        } catch (Exception e) {
            late.addSuppressed(e);
        }
        throw late;
    }

    private void closeResources() {
        List<AutoCloseable> toClose;
        synchronized (this) {
            resourcesClosed = true;
            toClose = resources;
            resources = null;
        }
        if (toClose == null) return;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            AutoCloseable r = toClose.get(i);
            try {
                r.close();
            } catch (Throwable t) {
                String type = r.getClass().getSimpleName().isEmpty() ? r.getClass().getName() : r.getClass().getSimpleName();
                addFailure("close " + type + "#" + (i + 1), t);
            }
        }
    }

    // ---------------------------------------------------------------- completion actions (ADR 0016)
    // The one hook other modules build on (weft-events holds a scope's events until it ends).
    // Kept in this one section on purpose; see docs/adr/0016-scope-completion-actions.md.

    /**
     * Registers {@code action} to run once this scope has finished: after every task ended and
     * the outcome is decided, just before {@code run} (or {@code moveOn}) returns or throws.
     * It runs on the thread that opened the scope, which by then is back in the enclosing scope
     * ({@link #current()} is the parent, or empty), in registration order. It receives
     * {@code null} if the body returned a value, else what the scope throws
     * ({@link ExceptionGroup}, {@link DeadlineExceeded}, {@link Cancelled}), or, for a
     * {@link #moveOnAfter} whose body its own deadline or its own {@code cancel(reason)} cut
     * short, a {@link Cancelled} with that reason.
     *
     * <p>Actions delay the caller, so they must be short and must not block: hand real work to
     * another thread. An action that throws does not stop the others; if the scope failed, what
     * the actions threw is added to the scope's exception as suppressed; if it succeeded, the
     * scope throws an {@link ExceptionGroup} of them (named {@code "<on-completion>"}), since
     * nothing else would see them.
     *
     * <pre>{@code
     * Scope.run(scope -> {
     *     scope.onCompletion(failure -> log(failure == null ? "done" : "failed: " + failure));
     *     ...
     * });
     * }</pre>
     *
     * @throws IllegalStateException if the scope's completion actions have already run
     */
    public void onCompletion(Consumer<? super Throwable> action) {
        Objects.requireNonNull(action, "action: pass what to run when the scope ends, e.g. failure -> ...");
        synchronized (this) {
            if (completing) {
                throw new IllegalStateException("scope '" + name + "' has already finished: register completion actions while it is open");
            }
            if (completionActions == null) completionActions = new ArrayList<>(2);
            completionActions.add(action);
        }
    }

    private void runCompletionActions(Throwable failure) {
        List<Consumer<? super Throwable>> actions;
        synchronized (this) {
            completing = true;
            actions = completionActions;
            completionActions = null;
        }
        if (actions == null) return;
        List<ExceptionGroup.Failure> thrown = null;
        for (Consumer<? super Throwable> a : actions) {
            try {
                a.accept(failure);
            } catch (Throwable t) {
                if (failure != null && failure != t) {
                    failure.addSuppressed(t);
                } else {
                    if (thrown == null) thrown = new ArrayList<>(1);
                    thrown.add(new ExceptionGroup.Failure("<on-completion>", t));
                }
            }
        }
        if (thrown != null) {
            throw new ExceptionGroup(thrown.size() + " completion action(s) of scope '" + name + "' failed", thrown);
        }
    }

    // ---------------------------------------------------------------- forking

    /**
     * Forks {@code work} on a new virtual thread. The task is named {@code <scope>-<n>}; its
     * thread carries the scope's name (name the task to see it in thread dumps).
     */
    public <T> Task<T> fork(Callable<T> work) {
        return fork(null, work);
    }

    /**
     * Forks {@code work} on a new virtual thread with the given name (shown in thread dumps).
     *
     * @throws IllegalStateException if the scope is closed, or if its body has returned and the
     *                               calling thread is not inside the scope (see "Who may fork")
     */
    public <T> Task<T> fork(String name, Callable<T> work) {
        return launch(name, work, ExecutionKind.VIRTUAL, false, null);
    }

    /**
     * Forks a background (daemon) task: the scope does not wait for it to finish by itself, but
     * cancels it once the body and every ordinary task are done, then waits for it (S8). Its
     * failures are still reported; its cancellation is not.
     *
     * <p>A background task may never run at all: one forked as the body returns, or when only
     * background tasks are left, can be cancelled before its thread starts, and a task cancelled
     * before it begins does not run its code (ADR 0005). Do not give it work that must happen
     * (a cleanup, a release); fork that as an ordinary task, or use {@link #start}.
     *
     * @throws IllegalStateException as {@link #fork(String, Callable)}
     */
    public <T> Task<T> forkBackground(Callable<T> work) {
        return forkBackground(null, work);
    }

    /** As {@link #forkBackground(Callable)}, with a name. */
    public <T> Task<T> forkBackground(String name, Callable<T> work) {
        return launch(name, work, ExecutionKind.VIRTUAL, true, null);
    }

    /**
     * Forks CPU-bound {@code work} onto the scope's {@link CpuPool} (cores by default), so it
     * cannot starve the carrier threads of virtual threads. It sees cancellation at
     * {@link Weft#checkpoint()} and at interruptible calls; if it is cancelled while still
     * queued, it never runs.
     */
    public <T> Task<T> forkCpu(Callable<T> work) {
        return forkCpu(null, work);
    }

    /** As {@link #forkCpu(Callable)}, with a name. */
    public <T> Task<T> forkCpu(String name, Callable<T> work) {
        return launch(name, work, ExecutionKind.CPU, false, null);
    }

    /**
     * Starts the process that {@code command} describes and returns a task whose value is its
     * {@link ProcessResult} (exit status and captured output). When the scope or task is
     * cancelled, the process and its descendants are destroyed. See {@link ProcessRunner}.
     */
    public ProcessTask forkProcess(ProcessBuilder command) {
        return forkProcess(null, command);
    }

    /** As {@link #forkProcess(ProcessBuilder)}, with a name. */
    public ProcessTask forkProcess(String name, ProcessBuilder command) {
        return forkProcess(name, command, ProcessOutput.captured());
    }

    /**
     * As {@link #forkProcess(ProcessBuilder)}, with a name and a choice of what happens to the
     * process's output: captured for the result, or streamed line by line while it runs
     * ({@link ProcessOutput}). The returned task gives the process id while it runs
     * ({@link ProcessTask#pid()}).
     */
    public ProcessTask forkProcess(String name, ProcessBuilder command, ProcessOutput output) {
        ProcessRunner runner = new ProcessRunner(command, output);
        return new ProcessTaskHandle(launch(name, runner, ExecutionKind.PROCESS, false, null), runner);
    }

    /**
     * Starts a task and waits until it calls {@code status.started(value)}, then returns that
     * value while the task goes on in this scope (S7). A failure before the signal is thrown
     * here (unchecked as it is, checked wrapped in {@link TaskFailedException}) and is not
     * reported by the scope; a failure after it is reported by the scope as usual. If the caller
     * is cancelled while waiting, the task is cancelled too, and this throws {@link Cancelled};
     * if the task's {@code started(value)} came first, the start happened: this returns the value,
     * the task goes on, and the caller's next cancellation point throws.
     *
     * @throws IllegalStateException  if the task returned without calling {@code started}
     * @throws TaskCancelledException if the task was cancelled before it started
     */
    public <V> V start(StartBody<V> body) {
        return start(null, body);
    }

    /** As {@link #start(StartBody)}, with a name. */
    public <V> V start(String name, StartBody<V> body) {
        Objects.requireNonNull(body, "body");
        StartSignal<V> signal = new StartSignal<>();
        ForkedTask<Void> task = launch(name, () -> {
            body.run(signal);
            return null;
        }, ExecutionKind.VIRTUAL, false, signal);
        try {
            Waits.await(signal::isSettled, Deadlines.NONE, signal);
        } catch (Cancelled c) {
            Thread.currentThread().interrupt(); // level-triggered (S3), whichever way this ends
            if (!signal.abandon()) {
                // started(value) came first: the start happened, as a transfer that beat a
                // cancellation does (C4); this caller's scope stays cancelled, so its next
                // cancellation point throws. The task goes on in its scope.
                return signal.outcome(task.name());
            }
            task.cancel(CancelReason.starterCancelled(task.name(), c.reason()));
            Waits.awaitUninterruptibly(signal::isSettled, signal);
            // The task failed before started(): the scope leaves that failure to this caller, so
            // throw it rather than lose it behind the cancellation (S2, S7).
            if (signal.failedBeforeStart()) return signal.outcome(task.name());
            throw c;
        }
        return signal.outcome(task.name());
    }

    private <T> ForkedTask<T> launch(String taskName, Callable<T> work, ExecutionKind kind, boolean background,
                                     StartSignal<?> signal) {
        Objects.requireNonNull(work, "work: pass the code the task runs");
        long seen = (long) COUNTS.getVolatile(this);
        if ((seen & (BODY_DONE | CLOSED)) == BODY_DONE && !isAncestorOfCurrent()) {
            throw new IllegalStateException("scope '" + name + "' takes no forks from outside any more: its body has "
                    + "returned, so only its own tasks (and code nested in them) may fork into it now; fork from "
                    + "another thread only while the body runs, or hand the work to a task of the scope");
        }
        long delta = background ? LIVE : LIVE | ORDINARY;
        long c = (long) COUNTS.getAndAdd(this, delta);
        if ((c & CLOSED) != 0) {
            COUNTS.getAndAdd(this, -delta);
            throw new IllegalStateException("scope '" + name + "' is closed: its body and every task have finished; "
                    + "fork into a scope only while it is open");
        }
        if (live(c) == COUNT_MASK - 1) {
            COUNTS.getAndAdd(this, -delta);
            throw new IllegalStateException("scope '" + name + "' has " + live(c) + " live tasks, the most one scope can hold");
        }
        int seq = (int) TASK_SEQ.getAndAdd(this, 1) + 1;
        ForkedTask<T> task = new ForkedTask<>(this, taskName, seq, work, kind, background, signal);
        if (observers != null) task.wrapped = observers.forked(this, task, work); // before it can start (ADR 0031)
        linkChild(task);
        // [quiescence, ADR 0013] counted after the link, before this thread can park: a quiescence
        // walk that missed the new task sees the count change (Quiescence, "no premature dispatch").
        TreeDomain tree = batchRoot.tree;
        if (tree != null) tree.forked();
        if (background && backgroundCancelled) task.cancel(CancelReason.scopeFinished(name));
        try {
            if (kind == ExecutionKind.CPU) {
                cpuPool.execute(task);
                // Forked into a scope that is already cancelled (or cancelled while the task was
                // being linked, which the cancel's walk may have missed): claim it now, as a cancel
                // of a queued task does, so the scope does not wait for a busy pool (ADR 0005).
                if (task.effectiveReason() != null) task.onEffectivelyCancelled();
            } else {
                Thread t = taskThreads.newThread(task);
                t.setName(task.threadName());
                task.thread = t; // before start: the owner joins it before the scope returns (S1)
                t.start();
            }
        } catch (RejectedExecutionException | OutOfMemoryError e) {
            unlinkChild(task);
            COUNTS.getAndAdd(this, -delta);
            if (e instanceof RejectedExecutionException) {
                throw new IllegalStateException("cannot fork '" + task.name() + "': CPU pool '" + cpuPool.name()
                        + "' is closed; give the scope an open pool with Scope.builder().cpuPool(..)", e);
            }
            throw e;
        }
        return task;
    }

    /** Whether the current thread runs in this scope: its body, one of its tasks, or code nested in them. */
    private boolean isAncestorOfCurrent() {
        for (CancelNode n = Current.node(); n != null; n = n.parent) {
            if (n == this) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- control and inspection

    CpuPool cpuPool() {
        return cpuPool;
    }

    /** The scope's name. */
    public String name() {
        return name;
    }

    @Override
    String describe() {
        return "scope '" + name + "'";
    }

    /**
     * Cancels the scope: every task and nested scope that is not shielded sees {@link Cancelled}
     * at its next cancellation point (S3), with this reason (S4). Idempotent: the first reason is kept.
     */
    public void cancel(String reason) {
        cancel(CancelReason.requested(describe(), reason));
    }

    /** Whether the scope is cancelled, by itself or by an enclosing scope it is not shielded from. */
    public boolean isCancelled() {
        return effectiveReason() != null;
    }

    /** Why the scope is cancelled, if it is. */
    public Optional<CancelReason> cancelReason() {
        return Optional.ofNullable(effectiveReason());
    }

    /** The effective deadline of the scope: its own, or the nearest enclosing one up to a shield. */
    public Optional<Instant> deadline() {
        return effectiveDeadline == Deadlines.NONE ? Optional.empty() : Optional.of(Deadlines.toInstant(clock, effectiveDeadline));
    }

    /** The scope's clock. */
    public WeftClock clock() {
        return clock;
    }

    /** The value bound to {@code key} in this scope itself (not enclosing ones), if any. */
    <V> V boundHere(ContextKey<V> key) {
        return key.cast(bindings.get(key));
    }

    /** An immutable snapshot of the scope and its live tasks. */
    public ScopeStatistics statistics() {
        List<ScopeStatistics.TaskSnapshot> tasks = new ArrayList<>();
        forEachChild(c -> {
            if (c instanceof ForkedTask<?> t && !t.state().isDone()) {
                tasks.add(new ScopeStatistics.TaskSnapshot(t.name(), t.kind, t.state(), t.background));
            }
        });
        int background = (int) tasks.stream().filter(ScopeStatistics.TaskSnapshot::background).count();
        return new ScopeStatistics(name, tasks.size(), background, tasks, cancelReason(), deadline());
    }

    @Override
    public String toString() {
        return "Scope[" + name + (isCancelled() ? ", cancelled" : "") + "]";
    }
}
