package dev.weft;

import dev.weft.ModelProgram.Action;
import dev.weft.ModelProgram.Block;
import dev.weft.ModelProgram.CancelScope;
import dev.weft.ModelProgram.CancelTask;
import dev.weft.ModelProgram.Deadline;
import dev.weft.ModelProgram.Fail;
import dev.weft.ModelProgram.Gate;
import dev.weft.ModelProgram.Join;
import dev.weft.ModelProgram.Nest;
import dev.weft.ModelProgram.Return;
import dev.weft.ModelProgram.ScopeSpec;
import dev.weft.ModelProgram.Start;
import dev.weft.ModelProgram.Started;
import dev.weft.ModelProgram.Unit;
import dev.weft.ModelProgram.UnitKind;
import dev.weft.Predicted.DeadlineErr;
import dev.weft.Predicted.End;
import dev.weft.Predicted.Err;
import dev.weft.Predicted.GroupErr;
import dev.weft.ModelState.MScope;
import dev.weft.ModelState.MUnit;
import dev.weft.Predicted.MarkerErr;
import dev.weft.Predicted.Outcome;
import dev.weft.Predicted.Reason;
import dev.weft.Predicted.StepView;
import dev.weft.Predicted.TaskCancelledErr;
import dev.weft.TestSupport.Marker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Runs one {@link ModelProgram} on Weft, step by step, and compares what happened with what
 * {@link ScopeModel} predicted.
 *
 * <p>The root scope runs on a thread of its own; this thread is the driver. It waits until every
 * unit has started and every deadline and sleeper is armed on the program's {@link FakeClock}
 * ({@code awaitTimers}), then takes the steps one by one: it opens a gate (a latch the unit
 * waits on) or advances the clock to a deadline, and waits until everything the model says that
 * step causes has happened (units done, scopes cancelled, nested scopes returned) before the
 * next. It never sleeps to let things happen: it polls observable state, and gives up (a
 * finding, not a hang) after {@link #GIVE_UP_SECONDS}.
 *
 * <p>Every unit records the thread it ran on, what it returned or threw and the reason it saw;
 * each scope records, the moment its {@code run} returns, which of its tasks' threads are still
 * alive and how many task bodies still run (S1); a unit that runs code after its scope returned
 * records that too. What disagrees with the model becomes a {@link Finding}.
 */
final class ModelRun {

    static final long GIVE_UP_SECONDS = 10;
    private static final Duration YEAR = Duration.ofDays(365);

    enum Category {
        /** S1: a thread that ran a task of a scope is still alive when the scope's run returns. */
        S1_THREAD_ALIVE,
        /** S1: task code ran after its scope's run returned. */
        S1_CODE_AFTER_RETURN,
        /** S2: a joiner saw its sibling fail before the scope was cancelled (reported twice, or not cancelled). */
        S2_JOINER_SAW_FAILURE_FIRST,
        /** Anything else the model did not predict. */
        OTHER,
        /** A step did not settle, or the root did not return, within the give-up time. */
        HANG
    }

    record Finding(Category category, String detail) {
        @Override
        public String toString() {
            return category + ": " + detail;
        }
    }

    private static final class UnitObs {
        volatile Thread thread;
        volatile ForkedTask<?> node;   // the task itself, read on its own thread (white-box)
        volatile Task<Object> handle;  // what fork returned, stored by the body
        volatile boolean arrived;
        volatile boolean finished;
        volatile boolean returned;
        volatile Object value;
        volatile Throwable thrown;
        volatile CancelReason reason;

        boolean done(Unit u) {
            if (!u.isTask()) return finished;
            ForkedTask<?> n = node;
            if (n != null) return n.isDone();
            Task<Object> h = handle;
            return h != null && h.isDone();
        }

        Task<?> task() {
            return node != null ? node : handle;
        }
    }

    private static final class ScopeObs {
        volatile Scope scope;
        volatile boolean returned;
        volatile boolean exited;
        volatile Object outcome;
        volatile boolean threw;
        final Queue<Thread> threads = new ConcurrentLinkedQueue<>();
        final AtomicInteger running = new AtomicInteger();
    }

    private final ModelProgram p;
    private final ScopeModel m;
    private final FakeClock clock = new FakeClock();
    private final CountDownLatch[] gates;
    private final Map<Unit, UnitObs> units = new ConcurrentHashMap<>();
    private final Map<ScopeSpec, ScopeObs> scopes = new ConcurrentHashMap<>();
    private final Map<String, Marker> markers = new ConcurrentHashMap<>();
    private final Queue<Finding> findings = new ConcurrentLinkedQueue<>();
    private volatile boolean ownerInterrupted;

    ModelRun(ModelProgram p, ScopeModel m) {
        this.p = p;
        this.m = m;
        this.gates = new CountDownLatch[p.steps + 2];
        for (int i = 0; i < gates.length; i++) gates[i] = new CountDownLatch(1);
    }

    private UnitObs obs(Unit u) {
        return units.computeIfAbsent(u, k -> new UnitObs());
    }

    private ScopeObs obs(ScopeSpec s) {
        return scopes.computeIfAbsent(s, k -> new ScopeObs());
    }

    private void find(Category c, String detail) {
        findings.add(new Finding(c, detail));
    }

    /** Runs the program and returns what disagreed with the model (empty: it all matched). */
    List<Finding> runAndCheck() {
        FutureTask<Object> owner = new FutureTask<>(() -> {
            try {
                return open(p.root);
            } finally {
                ownerInterrupted = Thread.interrupted();
            }
        });
        Thread.ofPlatform().name("model-root").start(owner);
        boolean settled = drive(owner);
        Object outcome = null;
        Throwable thrown = null;
        try {
            outcome = owner.get(GIVE_UP_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            thrown = e.getCause();
        } catch (TimeoutException e) {
            find(Category.HANG, "the root scope did not return within " + GIVE_UP_SECONDS + " s after the last step");
            cleanUp(owner);
            return List.copyOf(findings);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (!settled) {
            cleanUp(owner);
            return List.copyOf(findings);
        }
        compareAll(thrown != null ? thrown : outcome, thrown != null);
        if (ownerInterrupted) find(Category.OTHER, "the root scope left its owner thread interrupted");
        if (clock.pendingTimers() != 0) {
            find(Category.OTHER, "timers left on the fake clock after the root returned: " + clock.pendingDelays());
        }
        return List.copyOf(findings);
    }

    /** After a hang: let every unit go so the program's threads end (they may fail; nobody checks any more). */
    private void cleanUp(FutureTask<Object> owner) {
        for (CountDownLatch g : gates) g.countDown();
        Scope root = obs(p.root).scope;
        if (root != null) root.cancel("the model test gave up on this program");
        try {
            owner.get(GIVE_UP_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException ignored) {
            // what it threw no longer matters
        } catch (InterruptedException | TimeoutException e) {
            find(Category.HANG, "the root scope did not end even after every gate opened and it was cancelled");
        }
    }

    // ------------------------------------------------------------------ the driver

    private boolean drive(FutureTask<Object> owner) {
        // Setup: every unit that must run has started, every deadline and sleeper is armed.
        List<Unit> mustArrive = new ArrayList<>();
        for (MUnit u : m.units()) {
            if (!u.mayNotRun) mustArrive.add(u.spec);
        }
        if (!await(owner, 0, "every unit to start", () -> mustArrive.stream().allMatch(u -> obs(u).arrived), () -> {
            List<Unit> missing = mustArrive.stream().filter(u -> !obs(u).arrived).toList();
            return "not started: " + missing;
        })) return false;
        if (!settle(owner, 0)) return false;
        int timers = m.timersAfterSetup();
        try {
            clock.awaitTimers(timers, Duration.ofSeconds(GIVE_UP_SECONDS));
        } catch (IllegalStateException e) {
            find(Category.HANG, "after setup: " + e.getMessage());
            return false;
        }
        if (clock.pendingTimers() != timers) {
            find(Category.OTHER, "after setup: " + clock.pendingTimers() + " timers on the fake clock, the model expects " + timers);
        }
        for (int k = 1; k <= p.steps; k++) {
            ScopeSpec d = p.deadlineAt(k);
            ScopeSpec outside = p.cancelledFromOutsideAt(k);
            if (d != null) {
                clock.advance(Duration.ofSeconds(k).minusNanos(clock.nanoTime()));
            } else if (outside != null) {
                ModelState.MScope ms = m.scope(outside);
                if (ms != null && ms.exitStep >= k) obs(outside).scope.cancel("by the test thread"); // still open
            } else {
                gates[k].countDown();
            }
            if (!settle(owner, k)) return false;
        }
        return true;
    }

    /** Waits until what the model says step {@code k} causes has happened, then checks nothing else ended. */
    private boolean settle(FutureTask<Object> owner, int k) {
        StepView v = m.view(k);
        boolean ok = await(owner, k, "step " + k + " to settle", () -> settled(v), () -> unsettled(v));
        if (!ok) return false;
        for (Unit u : v.running()) {
            if (obs(u).done(u)) {
                MUnit mu = m.unit(u);
                find(Category.OTHER, u + " ended by step " + k + " (" + observedEnd(u) + "), the model ends it at step "
                        + mu.endStep + " with " + mu.end);
            }
        }
        for (ScopeSpec s : v.open()) {
            if (obs(s).exited) {
                find(Category.OTHER, s + " returned by step " + k + " (" + describe(obs(s).outcome) + "), the model at step "
                        + m.scope(s).exitStep);
            }
        }
        for (ScopeSpec s : m.view(k).open()) {
            Scope real = obs(s).scope;
            if (real != null && !v.cancelled().contains(s) && real.ownReason() != null) {
                find(Category.OTHER, s + " cancelled by step " + k + " (" + real.ownReason() + "), the model does not cancel it then");
            }
        }
        return true;
    }

    private boolean settled(StepView v) {
        for (Unit u : v.done()) {
            if (!obs(u).done(u)) return false;
        }
        for (ScopeSpec s : v.exited()) {
            if (!obs(s).exited) return false;
        }
        for (ScopeSpec s : v.cancelled()) {
            Scope real = obs(s).scope;
            if (real == null || real.ownReason() == null) return false;
        }
        for (Unit u : v.tasksCancelledAlone()) {
            ForkedTask<?> n = obs(u).node;
            if (n == null || n.ownReason() == null) return false;
        }
        return true;
    }

    private String unsettled(StepView v) {
        List<String> out = new ArrayList<>();
        for (Unit u : v.done()) {
            if (!obs(u).done(u)) out.add(u + " not done (model: " + m.unit(u).end + ")");
        }
        for (ScopeSpec s : v.exited()) {
            if (!obs(s).exited) out.add(s + " not returned");
        }
        for (ScopeSpec s : v.cancelled()) {
            Scope real = obs(s).scope;
            if (real == null || real.ownReason() == null) out.add(s + " not cancelled (model: " + m.scope(s).ownReasons() + ")");
        }
        for (Unit u : v.tasksCancelledAlone()) {
            ForkedTask<?> n = obs(u).node;
            if (n == null || n.ownReason() == null) out.add("task " + u + " not cancelled (model: " + m.unit(u).node.ownReasons() + ")");
        }
        return String.join("; ", out);
    }

    private boolean await(FutureTask<Object> owner, int k, String what, BooleanSupplier condition, java.util.function.Supplier<String> missing) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(GIVE_UP_SECONDS);
        int spins = 0;
        while (!condition.getAsBoolean()) {
            if (owner.isDone() && m.root().exitStep > k && !condition.getAsBoolean()) {
                // The root returned before the model lets it: nothing more will happen, say so at once.
                find(Category.OTHER, "the root scope returned by step " + k + " (" + describe(rootOutcome(owner))
                        + "), the model returns it at step " + m.root().exitStep + "; waiting for " + what + ": " + missing.get());
                return false;
            }
            if (System.nanoTime() - end > 0) {
                find(Category.HANG, "gave up waiting " + GIVE_UP_SECONDS + " s for " + what + ": " + missing.get());
                return false;
            }
            if (++spins < 64) Thread.onSpinWait();
            else if (spins < 128) Thread.yield();
            else LockSupport.parkNanos(20_000); // polling what the model says must happen, not a timing assumption
        }
        return true;
    }

    private static Object rootOutcome(FutureTask<Object> owner) {
        try {
            return owner.get(0, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return "?";
        }
    }

    // ------------------------------------------------------------------ the program on Weft

    private Object open(ScopeSpec s) throws Exception {
        ScopeObs so = obs(s);
        Scope.Builder b = Scope.builder().name(s.name);
        if (s.enclosing == null) b.clock(clock);
        if (s.shield) b.shield();
        if (s.deadline != Deadline.NONE) b.timeout(Duration.ofSeconds(s.deadlineAt));
        Object result;
        try {
            result = s.deadline == Deadline.MOVE_ON_AFTER ? b.moveOn(scope -> body(s, scope)) : b.run(scope -> body(s, scope));
        } catch (Throwable t) {
            returned(s, so);
            so.threw = true;
            so.outcome = t;
            so.exited = true;
            throw t;
        }
        returned(s, so);
        so.outcome = result;
        so.exited = true;
        return result;
    }

    /** Checked the moment a scope's run returns (S1): no task thread alive, no task body running. */
    private void returned(ScopeSpec s, ScopeObs so) {
        so.returned = true;
        List<String> alive = new ArrayList<>();
        for (Thread t : so.threads) {
            if (t.isAlive()) alive.add(t.getName() + " (" + t.getState() + ")");
        }
        if (!alive.isEmpty()) find(Category.S1_THREAD_ALIVE, "threads of " + s + " alive when its run returned: " + alive);
        int running = so.running.get();
        if (running != 0) find(Category.S1_CODE_AFTER_RETURN, running + " units of " + s + " still running when its run returned");
    }

    private Object body(ScopeSpec s, Scope scope) throws Exception {
        obs(s).scope = scope;
        return unit(s.body, () -> {
            for (Unit t : s.tasks) {
                Callable<Object> work = () -> unit(t, () -> act(t, t.action, scope));
                Task<Object> h = t.kind == UnitKind.BACKGROUND ? scope.forkBackground(t.name, work) : scope.fork(t.name, work);
                obs(t).handle = h;
            }
            return act(s.body, s.body.action, scope);
        });
    }

    /** Runs a unit's code, recording its thread, its end and the reason it saw, and whether it ran after its scope returned. */
    private Object unit(Unit u, Callable<Object> code) throws Exception {
        UnitObs o = obs(u);
        ScopeObs so = obs(u.scope);
        Thread me = Thread.currentThread();
        o.thread = me;
        if (u.isTask()) {
            o.node = (ForkedTask<?>) Current.node();
            so.threads.add(me);
        }
        if (so.returned) find(Category.S1_CODE_AFTER_RETURN, u + " started after " + u.scope + " returned");
        so.running.incrementAndGet();
        try {
            Object v = code.call();
            o.value = v;
            o.returned = true;
            return v;
        } catch (Throwable t) {
            o.thrown = t;
            o.reason = t instanceof Cancelled c ? c.reason() : Weft.cancelReason().orElse(null);
            throw t;
        } finally {
            so.running.decrementAndGet();
            if (so.returned) find(Category.S1_CODE_AFTER_RETURN, u + " still ran after " + u.scope + " returned");
            o.finished = true;
        }
    }

    private Object act(Unit u, Action a, Scope scope) throws Exception {
        obs(u).arrived = true;
        switch (a) {
            case Return r -> {
                return "v:" + u.name;
            }
            case Fail f -> {
                pass(f.gate(), f.stubborn());
                throw marker(f.marker());
            }
            case Block b -> {
                try {
                    if (b.sleep()) Weft.sleep(YEAR);
                    else new CountDownLatch(1).await();
                } catch (Cancelled | InterruptedException e) {
                    switch (b.onCancel()) {
                        case PROPAGATE -> throw e;
                        case SWALLOW -> {
                            return "swallowed by " + u.name;
                        }
                        case RECHECK -> {
                            Weft.checkpoint(); // S3: catching the cancellation did not un-cancel
                            throw new AssertionError(u + ": a checkpoint after a caught cancellation did not throw (S3)");
                        }
                    }
                }
                throw new AssertionError(u + " woke up without being cancelled");
            }
            case Join j -> {
                Task<Object> t = obs(j.target()).handle;
                if (j.propagate()) return t.join();
                try {
                    return t.join();
                } catch (TaskFailedException | TaskCancelledException e) {
                    Weft.checkpoint();
                    return "caught";
                }
            }
            case CancelScope c -> {
                pass(c.gate(), false);
                obs(c.target()).scope.cancel("by " + u.name);
                if (c.checkpoint()) Weft.checkpoint();
                return "cancelled by " + u.name;
            }
            case CancelTask c -> {
                pass(c.gate(), false);
                obs(c.target()).handle.cancel("by " + u.name);
                return "cancelled " + c.target().name;
            }
            case Nest n -> {
                Object r;
                try {
                    r = open(n.scope());
                } catch (Cancelled c) {
                    boolean cancelled = Weft.isCancelled();
                    checkInterruptAfter(u, n.scope(), cancelled);
                    if (cancelled) throw c;
                    return "nested cancelled itself"; // the nested scope cancelled itself: not a failure here
                } catch (Throwable t) {
                    checkInterruptAfter(u, n.scope(), false);
                    throw t;
                }
                checkInterruptAfter(u, n.scope(), false);
                return r;
            }
            case Start s -> {
                if (s.propagate()) return scope.start(s.task().name, status -> started(s.task(), status, scope));
                try {
                    return scope.start(s.task().name, status -> started(s.task(), status, scope));
                } catch (Marker mk) {
                    Weft.checkpoint();
                    return "caught";
                }
            }
            case Started s -> throw new IllegalStateException("a started task's code runs through start()");
        }
    }

    private void started(Unit u, TaskStatus<Object> status, Scope scope) throws Exception {
        unit(u, () -> {
            Started st = (Started) u.action;
            obs(u).arrived = true;
            pass(st.gate(), st.stubborn());
            if (st.failBefore() != null) throw marker(st.failBefore());
            status.started("started:" + u.name);
            return act(u, st.after(), scope);
        });
    }

    /**
     * S3 on the way out of a nested scope: an interrupt left on the opener's thread must come from
     * the opener's own cancellation (no stray interrupt), and an opener the model knows to be
     * cancelled by then must have it (level-triggered: its next JDK wait fails too).
     */
    private void checkInterruptAfter(Unit opener, ScopeSpec nested, boolean mustBeInterrupted) {
        boolean interrupted = Thread.currentThread().isInterrupted();
        if (interrupted && !Weft.isCancelled()) {
            find(Category.OTHER, "after " + nested + " returned, " + opener + " carries an interrupt but is not cancelled");
        } else if (mustBeInterrupted && !interrupted) {
            find(Category.OTHER, "after " + nested + " returned, " + opener + " is cancelled but its thread is not interrupted");
        }
    }

    /** Waits for a gate: as a cancellation point (an interruptible latch), or stubbornly through interrupts. */
    private void pass(Gate g, boolean stubborn) throws InterruptedException {
        CountDownLatch latch = gates[g.step];
        if (!stubborn) {
            if (!latch.await(GIVE_UP_SECONDS * 3, TimeUnit.SECONDS)) throw new AssertionError("gate " + g.step + " never opened");
            return;
        }
        boolean interrupted = false;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(GIVE_UP_SECONDS * 3);
        while (true) {
            try {
                if (latch.await(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) break;
                throw new AssertionError("gate " + g.step + " never opened");
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private Marker marker(String id) {
        Marker mk = new Marker(id);
        markers.put(id, mk);
        return mk;
    }

    // ------------------------------------------------------------------ comparing

    /** A value as the model writes it. */
    static String canon(Object v) {
        if (v instanceof MoveOnResult<?> r) {
            return r.hasValue() ? "moveOn(timedOut=" + r.timedOut() + ", " + canon(r.value()) + ")" : "moveOn(cut short)";
        }
        return String.valueOf(v);
    }

    private static String describe(Object outcome) {
        if (outcome instanceof Throwable t) return t.getClass().getSimpleName() + ": " + t.getMessage();
        return canon(outcome);
    }

    private void compareAll(Object rootOutcome, boolean threw) {
        for (ScopeSpec s : p.scopes) {
            MScope ms = m.scope(s);
            if (ms == null) continue;
            ScopeObs so = obs(s);
            Object out = s == p.root ? rootOutcome : so.outcome;
            String mismatch = outcomeMismatch(ms.outcome, out, s == p.root ? threw : so.threw);
            if (mismatch != null) find(Category.OTHER, s + " " + mismatch);
            Scope real = so.scope;
            if (real != null) {
                CancelReason r = real.ownReason();
                if ((r == null) != ms.own.isEmpty() || r != null && !ms.ownReasons().contains(Predicted.reasonOf(r))) {
                    find(Category.OTHER, s + " own cancel reason " + r + ", the model: " + (ms.own.isEmpty() ? "none" : ms.ownReasons()));
                }
            }
        }
        for (MUnit mu : m.units()) compareUnit(mu);
    }

    private void compareUnit(MUnit mu) {
        Unit u = mu.spec;
        UnitObs o = obs(u);
        End e = mu.end;
        String seen = observedEnd(u);
        if (mu.mayNotRun && !o.arrived) {
            // Swept before its thread ran it (S8 during setup): cancelled, never ran.
            Task<?> t = o.task();
            if (t == null || t.state() != TaskState.CANCELLED) find(Category.OTHER, u + " never ran, yet ended " + seen);
            return;
        }
        boolean ok = switch (e.kind) {
            case SUCCEEDED -> o.returned && canon(o.value).equals(e.value) && (!u.isTask() || o.task().state() == TaskState.SUCCEEDED);
            case FAILED -> o.thrown != null && matches(e.error, o.thrown) && (!u.isTask() || o.task().state() == TaskState.FAILED);
            case CANCELLED -> o.thrown != null && isCancellation(o.thrown) && o.reason != null
                    && e.reasons.contains(Predicted.reasonOf(o.reason)) && (!u.isTask() || o.task().state() == TaskState.CANCELLED);
        };
        if (ok) return;
        Category c = Category.OTHER;
        if (u.action instanceof Join j && m.unit(j.target()).end.kind == Predicted.EndKind.FAILED) {
            c = Category.S2_JOINER_SAW_FAILURE_FIRST;
        }
        find(c, u + " ended " + seen + ", the model: " + e);
    }

    private static boolean isCancellation(Throwable t) {
        return t instanceof Cancelled || t instanceof InterruptedException
                || t instanceof TaskFailedException || t instanceof TaskCancelledException;
    }

    private String observedEnd(Unit u) {
        UnitObs o = obs(u);
        Task<?> t = u.isTask() ? o.task() : null;
        String state = t == null ? "" : t.state() + " ";
        if (o.returned) return state + "with value " + canon(o.value);
        if (o.thrown != null) return state + "by " + describe(o.thrown) + (o.reason == null ? "" : " (reason " + Predicted.reasonOf(o.reason) + ")");
        return state + (o.finished ? "" : "(its code did not finish)");
    }

    /** Null if {@code out} is what the model predicts, else what differs. */
    private String outcomeMismatch(Outcome expected, Object out, boolean threw) {
        switch (expected) {
            case Predicted.ValueOut v -> {
                if (!threw && canon(out).equals(v.value())) return null;
                return "returned " + (threw ? "(threw) " : "") + describe(out) + ", the model: value " + v.value();
            }
            case Predicted.DeadlineOut d -> {
                if (threw && out instanceof DeadlineExceeded de && de.scopeName().equals(d.scopeName())) return null;
                return "ended with " + describe(out) + ", the model: DeadlineExceeded of " + d.scopeName();
            }
            case Predicted.CancelledOut c -> {
                if (threw && out instanceof Cancelled x && c.reasons().contains(Predicted.reasonOf(x.reason()))) return null;
                return "ended with " + describe(out) + (out instanceof Cancelled x ? " " + Predicted.reasonOf(x.reason()) : "")
                        + ", the model: Cancelled with one of " + c.reasons();
            }
            case Predicted.GroupOut g -> {
                if (!threw || !(out instanceof ExceptionGroup eg)) {
                    return "ended with " + describe(out) + ", the model: a group of " + m.scope(g.scope()).failures;
                }
                String why = groupMismatch(g.scope(), eg);
                return why == null ? null : "threw a group that " + why;
            }
        }
    }

    /** Null if the group holds exactly the scope's predicted failures, each once, under its task's name. */
    private String groupMismatch(ScopeSpec s, ExceptionGroup g) {
        List<Predicted.Failure> expected = m.scope(s).failures;
        Map<String, List<Throwable>> byName = new HashMap<>();
        for (ExceptionGroup.Failure f : g.failures()) byName.computeIfAbsent(f.taskName(), k -> new ArrayList<>()).add(f.error());
        List<String> problems = new ArrayList<>();
        for (Predicted.Failure f : expected) {
            List<Throwable> got = byName.remove(f.name());
            if (got == null) {
                problems.add("lacks " + f.name() + ": " + f.error());
            } else if (got.size() > 1) {
                problems.add("holds " + f.name() + " " + got.size() + " times");
            } else if (!matches(f.error(), got.get(0))) {
                problems.add("holds " + f.name() + ": " + describe(got.get(0)) + " instead of " + f.error());
            }
        }
        byName.forEach((name, errors) -> {
            for (Throwable t : errors) {
                boolean joiner = t instanceof TaskFailedException;
                if (joiner) {
                    find(Category.S2_JOINER_SAW_FAILURE_FIRST, s + " reported " + name + ": " + describe(t)
                            + " (a joiner of a failed sibling, counted as a failure of its own)");
                }
                problems.add("also holds " + name + ": " + describe(t) + (isCancellation(t) ? " (a cancellation reported as a failure)" : ""));
            }
        });
        return problems.isEmpty() ? null : String.join("; ", problems) + " (group: " + g.failures().stream()
                .map(f -> f.taskName() + "=" + f.error().getClass().getSimpleName()).toList() + ")";
    }

    private boolean matches(Err e, Throwable t) {
        return switch (e) {
            case MarkerErr mk -> t == markers.get(mk.id());
            case DeadlineErr d -> t instanceof DeadlineExceeded de && de.scopeName().equals(d.scopeName());
            case TaskCancelledErr tc -> t instanceof TaskCancelledException x && x.taskName().equals(tc.taskName());
            case GroupErr g -> t instanceof ExceptionGroup eg && groupMismatch(g.scope(), eg) == null;
        };
    }
}
