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
import dev.weft.ModelState.Event;
import dev.weft.ModelState.MScope;
import dev.weft.ModelState.MUnit;
import dev.weft.ModelState.Node;
import dev.weft.ModelState.Own;
import dev.weft.ModelState.TaskNode;
import dev.weft.ModelState.Wait;
import dev.weft.Predicted.CancelledOut;
import dev.weft.Predicted.DeadlineErr;
import dev.weft.Predicted.DeadlineOut;
import dev.weft.Predicted.End;
import dev.weft.Predicted.EndKind;
import dev.weft.Predicted.Err;
import dev.weft.Predicted.Failure;
import dev.weft.Predicted.GroupErr;
import dev.weft.Predicted.GroupOut;
import dev.weft.Predicted.MarkerErr;
import dev.weft.Predicted.Outcome;
import dev.weft.Predicted.Reason;
import dev.weft.Predicted.StepView;
import dev.weft.Predicted.TaskCancelledErr;
import dev.weft.Predicted.ValueOut;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What S1-S8 say a {@link ModelProgram} must do, computed one step at a time without threads:
 * which units end in which step and how (value, failure, or cancellation with which reasons),
 * which scopes are cancelled and why, what each scope returns or throws (which failures, under
 * which names), and so what the test thread may wait for after each step before it takes the
 * next. It is written from the contract (VISION.md S1-S8 and the Javadoc of {@link Scope},
 * {@link Task}, {@link TaskStatus}), never by calling Weft.
 *
 * <h2>How it decides</h2>
 * Each step starts with one event (a gate opens, or a deadline passes) and runs to a fixed point:
 * units whose wait is over go on until they wait again or end; a failure records itself and
 * cancels its scope in one move (S2: a joiner that sees the failed sibling sees its scope
 * cancelled); a body and its ordinary tasks done sweep the background tasks (S8); a scope whose
 * body and tasks are all done exits with the outcome {@link Scope}'s Javadoc orders: the group if
 * anything failed, else {@link DeadlineExceeded} or a cut-short {@link MoveOnResult} for its own
 * deadline (unless an enclosing scope is cancelled too), else {@link Cancelled} if the body ended
 * by cancellation, else the body's value.
 *
 * <p>Within a step several things may happen at once (a cancel wakes five tasks; two stubborn
 * failures meet). Every event therefore records which events caused it, and at the end of the
 * step the model asks, for every place where a thread reads the cancellation state (a woken
 * task taking its reason, an opener asking {@code Weft.isCancelled()}, a scope asking whether its
 * parent is cancelled), what that read can return in any order of the events not causally
 * before or after it. Reasons that several orders allow are all accepted (the contract says a
 * cancellation carries its reason, not which of two simultaneous ones). When the order changes
 * more than a reason (a joiner that may get its sibling's value or its own cancellation), the
 * contract leaves the outcome open and the model throws {@link Ambiguous}: the generator draws
 * another program.
 */
final class ScopeModel {

    /** The program's outcome is left open by the contract; draw another. */
    static final class Ambiguous extends RuntimeException {
        Ambiguous(String message) {
            super(message, null, false, false);
        }
    }

    /** The program never ends (a unit blocks and nothing cancels it); the generator repairs it. */
    static final class Stuck extends RuntimeException {
        final List<Unit> blocked;

        Stuck(List<Unit> blocked) {
            super("stuck: " + blocked, null, false, false);
            this.blocked = blocked;
        }
    }

    // ------------------------------------------------------------------ the model's state

    /**
     * A place where a thread reads the cancellation state of {@code node}, at {@code at}. Woken: the
     * read follows a wake by cancellation, so only orders in which some cancel came first count.
     */
    private record Read(Node node, Event at, Boolean decidedCancelled, Consumer<Set<Reason>> sink, String what, boolean woken) {}

    private final ModelProgram p;
    private int step;
    private final List<Event> events = new ArrayList<>();
    private final boolean[] gateOpen;
    private final Event[] gateEvent;
    private final Map<ScopeSpec, MScope> scopes = new LinkedHashMap<>();
    private final List<MUnit> units = new ArrayList<>();
    private final Map<Unit, MUnit> byUnit = new HashMap<>();
    private final List<Read> reads = new ArrayList<>();
    private final List<MUnit> joinChecks = new ArrayList<>();
    private final List<MUnit> startChecks = new ArrayList<>();
    private final List<StepView> views = new ArrayList<>();
    private int timersAfterSetup;

    private ScopeModel(ModelProgram p) {
        this.p = p;
        this.gateOpen = new boolean[p.steps + 2];
        this.gateEvent = new Event[p.steps + 2];
    }

    /**
     * Runs the model over {@code p}.
     *
     * @throws Ambiguous if the contract leaves the program's outcome open
     * @throws Stuck     if the program would never end
     */
    static ScopeModel predict(ModelProgram p) {
        ScopeModel m = new ScopeModel(p);
        m.simulate();
        return m;
    }

    // ------------------------------------------------------------------ answers for the test

    MScope root() {
        return scopes.get(p.root);
    }

    /** The scope as the model ran it, or null if it was never opened. */
    MScope scope(ScopeSpec s) {
        return scopes.get(s);
    }

    Iterable<MScope> scopes() {
        return scopes.values();
    }

    MUnit unit(Unit u) {
        return byUnit.get(u);
    }

    List<MUnit> units() {
        return units;
    }

    StepView view(int step) {
        return views.get(step);
    }

    /** Deadlines armed and tasks asleep once setup settled: what {@code FakeClock.pendingTimers()} must say. */
    int timersAfterSetup() {
        return timersAfterSetup;
    }

    // ------------------------------------------------------------------ the simulation

    private void simulate() {
        step = 0;
        open(p.root, null, event("run", (Event) null));
        settle();
        finishStep();
        timersAfterSetup = countTimers();
        for (int k = 1; k <= p.steps; k++) {
            step = k;
            Event trigger = event("step " + k, (Event) null);
            ScopeSpec d = p.deadlineAt(k);
            ScopeSpec outside = p.cancelledFromOutsideAt(k);
            if (d != null) {
                MScope s = scopes.get(d);
                if (s != null && !s.exited) cancel(s, new Reason(CancelReason.Kind.DEADLINE, s.describe()), trigger);
            } else if (outside != null) {
                MScope s = scopes.get(outside);
                if (s != null && !s.exited) cancel(s, new Reason(CancelReason.Kind.REQUESTED, s.describe() + " by the test thread"), trigger);
            } else {
                gateOpen[k] = true;
                gateEvent[k] = trigger;
            }
            settle();
            finishStep();
        }
        if (!root().exited) {
            List<Unit> blocked = new ArrayList<>();
            for (MUnit u : units) {
                if (!u.done && u.wait == Wait.BLOCK) blocked.add(u.spec);
            }
            throw new Stuck(blocked);
        }
    }

    private int countTimers() {
        int n = 0;
        for (MScope s : scopes.values()) {
            if (!s.exited && s.spec.deadline != Deadline.NONE) n++;
        }
        for (MUnit u : units) {
            if (!u.done && u.wait == Wait.BLOCK && u.current instanceof Block b && b.sleep()) n++;
        }
        return n;
    }

    private Event event(String what, Event... causes) {
        Event e = new Event(events.size(), step, what);
        for (Event c : causes) {
            if (c != null) e.anc.or(c.anc);
        }
        e.anc.set(e.id);
        events.add(e);
        return e;
    }

    /** Whether {@code a} happened before {@code b} (or is {@code b}). */
    private static boolean before(Event a, Event b) {
        return b.anc.get(a.id);
    }

    private MScope open(ScopeSpec spec, MUnit opener, Event cause) {
        if (step != 0) throw new IllegalStateException("model: scopes open only during setup");
        MScope s = new MScope(spec, opener == null ? null : opener.node);
        scopes.put(spec, s);
        s.body = newUnit(spec.body, s);
        begin(s.body, event("open " + spec.name, cause));
        return s;
    }

    private MUnit newUnit(Unit spec, MScope scope) {
        Node node = spec.kind == UnitKind.BODY ? scope : new TaskNode(scope, spec.name);
        MUnit u = new MUnit(spec, scope, node);
        units.add(u);
        byUnit.put(spec, u);
        return u;
    }

    private void begin(MUnit u, Event cause) {
        Event e = event("begin " + u, cause);
        if (u.spec.kind == UnitKind.BODY) {
            for (Unit t : u.scope.spec.tasks) {
                MUnit mt = newUnit(t, u.scope);
                u.scope.tasks.add(mt);
                begin(mt, e);
            }
        }
        run(u, u.spec.action, e);
    }

    private void run(MUnit u, Action a, Event cause) {
        u.current = a;
        switch (a) {
            case Return r -> end(u, End.value("v:" + u.spec.name), cause);
            case Fail f -> waitFor(u, Wait.GATE, cause, f.gate(), f.stubborn());
            case Block b -> waitFor(u, Wait.BLOCK, cause, null, false);
            case Join j -> waitFor(u, Wait.JOIN, cause, null, false);
            case CancelScope c -> waitFor(u, Wait.GATE, cause, c.gate(), false);
            case CancelTask c -> waitFor(u, Wait.GATE, cause, c.gate(), false);
            case Nest n -> {
                waitFor(u, Wait.NESTED, cause, null, false);
                u.nested = open(n.scope(), u, cause);
            }
            case Start s -> {
                MUnit st = newUnit(s.task(), u.scope);
                u.scope.tasks.add(st);
                u.started = st;
                waitFor(u, Wait.START, cause, null, false);
                begin(st, cause);
            }
            case Started s -> waitFor(u, Wait.GATE, cause, s.gate(), s.stubborn());
        }
    }

    private static void waitFor(MUnit u, Wait w, Event since, Gate gate, boolean stubborn) {
        u.wait = w;
        u.since = since;
        u.gate = gate;
        u.stubborn = stubborn;
    }

    private void settle() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (MUnit u : new ArrayList<>(units)) {
                if (!u.done && u.wait != null && resolve(u)) progress = true;
            }
            for (MScope s : new ArrayList<>(scopes.values())) {
                if (!s.exited && s.bodyDone && s.tasks.stream().allMatch(t -> t.done)) {
                    exit(s);
                    progress = true;
                }
            }
        }
    }

    /** The nearest own reasons on the way up from {@code n} (stopping at a shield), or null: the node is not cancelled. */
    private static Node cancelledAt(Node n) {
        for (Node x = n; x != null; x = x.parent) {
            if (!x.own.isEmpty()) return x;
            if (x.shield) return null;
        }
        return null;
    }

    private static boolean isCancelled(Node n) {
        return cancelledAt(n) != null;
    }

    /**
     * The end of a wait woken by cancellation. Any cancel on the way up wakes it, so it is caused
     * only by what every one of them has in common: the earliest, if one caused the others.
     */
    private Event wakeEvent(MUnit u, String what) {
        BitSet common = null;
        for (Node x = u.node; x != null; x = x.parent) {
            for (Own o : x.own) {
                if (common == null) common = (BitSet) o.event().anc.clone();
                else common.and(o.event().anc);
            }
            if (x.shield) break;
        }
        Event e = event(what, u.since);
        if (common != null) e.anc.or(common);
        return e;
    }

    /** Advances a waiting unit if its wait is over; false if it still waits. */
    private boolean resolve(MUnit u) {
        switch (u.wait) {
            case GATE -> {
                if (!u.stubborn && isCancelled(u.node)) {
                    Event e = wakeEvent(u, u + " woken at its gate");
                    end(u, woken(u, false, e), e);
                    return true;
                }
                if (!gateOpen[u.gate.step]) return false;
                u.wait = null;
                passGate(u, event(u + " passes gate " + u.gate.step, u.since, gateEvent[u.gate.step]));
                return true;
            }
            case BLOCK -> {
                if (!isCancelled(u.node)) return false;
                Event e = wakeEvent(u, u + " woken");
                Block b = (Block) u.current;
                switch (b.onCancel()) {
                    case PROPAGATE -> end(u, woken(u, b.sleep(), e), e);
                    case SWALLOW -> end(u, End.value("swallowed by " + u), e);
                    case RECHECK -> end(u, woken(u, true, e), e); // S3: the checkpoint throws again
                }
                return true;
            }
            case JOIN -> {
                Join j = (Join) u.current;
                MUnit t = byUnit.get(j.target());
                if (t.done) {
                    Event e = event(u + " joins " + t, u.since, t.endEvent, t.failCancel);
                    joinChecks.add(u);
                    switch (t.end.kind) {
                        case SUCCEEDED -> end(u, End.value(t.end.value), e);
                        case FAILED -> {
                            // S2: the failure cancelled the scope before anyone could see it.
                            if (!isCancelled(u.node)) throw new IllegalStateException("model: " + u + " sees " + t + " failed in a live scope");
                            end(u, cancelled(u, !j.propagate(), e), e);
                        }
                        case CANCELLED -> {
                            boolean cancelled = isCancelled(u.node);
                            decide(u.node, e, cancelled, u + " joining cancelled " + t);
                            if (cancelled) end(u, cancelled(u, true, e), e);
                            else if (j.propagate()) end(u, End.failure(new TaskCancelledErr(t.spec.name)), e);
                            else end(u, End.value("caught"), e);
                        }
                    }
                    return true;
                }
                if (!isCancelled(u.node)) return false;
                Event e = wakeEvent(u, u + " woken in join");
                joinChecks.add(u);
                end(u, woken(u, true, e), e);
                return true;
            }
            case START -> {
                MUnit st = u.started;
                if (st.settled) {
                    Event e = event(u + " start returns", u.since, st.settleEvent);
                    startChecks.add(u);
                    if (st.signalled) {
                        end(u, End.value("started:" + st.spec.name), e);
                    } else if (st.end.kind == EndKind.FAILED) {
                        failedBeforeStarted(u, st, e);
                    } else {
                        if (!isCancelled(u.node)) throw new IllegalStateException("model: " + st + " cancelled before started, its caller " + u + " not");
                        // The caller may have been woken first, and cancelled the task before it read its reason.
                        cancelTask(st, new Reason(CancelReason.Kind.STARTER_CANCELLED, st.node.describe()), wakeEvent(u, u + " cancelled in start"));
                        end(u, cancelled(u, true, e), e);
                    }
                    return true;
                }
                if (!isCancelled(u.node)) return false;
                // S7: the caller is cancelled while waiting: it cancels the task, waits for it to settle.
                Event e = wakeEvent(u, u + " cancelled in start");
                startChecks.add(u);
                u.pendingCancel = woken(u, true, e);
                cancelTask(st, new Reason(CancelReason.Kind.STARTER_CANCELLED, st.node.describe()), e);
                u.wait = Wait.START_UNINTERRUPTIBLY;
                u.since = e;
                return true;
            }
            case START_UNINTERRUPTIBLY -> {
                MUnit st = u.started;
                if (!st.settled) return false;
                Event e = event(u + " start settles", u.since, st.settleEvent);
                if (!st.signalled && st.end.kind == EndKind.FAILED) failedBeforeStarted(u, st, e);
                else end(u, u.pendingCancel, e);
                return true;
            }
            case NESTED -> {
                MScope n = u.nested;
                if (!n.exited) return false;
                Event e = event(u + " after " + n.spec.name, u.since, n.exitEvent);
                switch (n.outcome) {
                    case ValueOut v -> end(u, End.value(v.value()), e);
                    case GroupOut g -> end(u, End.failure(new GroupErr(n.spec)), e);
                    case DeadlineOut d -> end(u, End.failure(new DeadlineErr(d.scopeName())), e);
                    case CancelledOut c -> {
                        // The opener's idiom: rethrow if it is cancelled itself, else the nested scope cancelled itself.
                        boolean cancelled = isCancelled(u.node);
                        decide(u.node, e, cancelled, u + " asking Weft.isCancelled() after " + n.spec.name);
                        end(u, cancelled ? End.cancelled(c.reasons(), true) : End.value("nested cancelled itself"), e);
                    }
                }
                return true;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** start() threw the task's failure before started (S7): the caller propagates it, or catches it and checkpoints. */
    private void failedBeforeStarted(MUnit u, MUnit st, Event e) {
        Start s = (Start) u.current;
        String marker = ((Started) st.spec.action).failBefore();
        if (s.propagate()) {
            end(u, End.failure(new MarkerErr(marker)), e);
            return;
        }
        boolean cancelled = isCancelled(u.node);
        decide(u.node, e, cancelled, u + " checkpoint after catching " + marker);
        end(u, cancelled ? cancelled(u, true, e) : End.value("caught"), e);
    }

    private void passGate(MUnit u, Event e) {
        switch (u.current) {
            case Fail f -> end(u, End.failure(new MarkerErr(f.marker())), e);
            case CancelScope c -> {
                MScope target = scopes.get(c.target());
                Event ce = cancel(target, new Reason(CancelReason.Kind.REQUESTED, target.describe() + " by " + u), e);
                Event after = event(u + " cancelled " + target.spec.name, e, ce);
                if (c.checkpoint()) {
                    boolean cancelled = isCancelled(u.node);
                    decide(u.node, after, cancelled, u + " checkpoint after cancelling");
                    if (cancelled) {
                        end(u, cancelled(u, true, after), after);
                        return;
                    }
                }
                end(u, End.value("cancelled by " + u), after);
            }
            case CancelTask c -> {
                MUnit target = byUnit.get(c.target());
                Event ce = cancelTask(target, new Reason(CancelReason.Kind.REQUESTED, target.node.describe() + " by " + u), e);
                end(u, End.value("cancelled " + target), event(u + " cancelled " + target, e, ce));
            }
            case Started s -> {
                if (s.failBefore() != null) {
                    end(u, End.failure(new MarkerErr(s.failBefore())), e);
                } else {
                    u.signalled = true;
                    u.settled = true;
                    u.settleEvent = e;
                    run(u, s.after(), e);
                }
            }
            default -> throw new IllegalStateException("unreachable");
        }
    }

    /** A cancellation end whose reasons are what the unit reads at {@code at} (filled in when the step ends). */
    private End cancelled(MUnit u, boolean viaCancelled, Event at) {
        return cancelled(u, viaCancelled, at, false);
    }

    /** As {@link #cancelled(MUnit, boolean, Event)}, for a unit that a cancellation woke from its wait. */
    private End woken(MUnit u, boolean viaCancelled, Event at) {
        return cancelled(u, viaCancelled, at, true);
    }

    private End cancelled(MUnit u, boolean viaCancelled, Event at, boolean woken) {
        Set<Reason> reasons = new LinkedHashSet<>();
        reads.add(new Read(u.node, at, Boolean.TRUE, reasons::addAll, u + " reading its reason", woken));
        return End.cancelled(reasons, viaCancelled);
    }

    /** Records a decision taken on whether {@code n} is cancelled at {@code at}, to check no other order could take the other one. */
    private void decide(Node n, Event at, boolean cancelled, String what) {
        reads.add(new Read(n, at, cancelled, null, what, false));
    }

    private void end(MUnit u, End r, Event e) {
        u.done = true;
        u.wait = null;
        u.end = r;
        u.endEvent = e;
        u.endStep = step;
        MScope s = u.scope;
        if (u.spec.kind == UnitKind.STARTED && !u.settled) {
            // Ended before started(): its outcome goes to the caller of start(), not to the scope (S7).
            u.settled = true;
            u.settleEvent = e;
        } else if (r.kind == EndKind.FAILED) {
            boolean body = u.spec.kind == UnitKind.BODY;
            s.failures.add(new Failure(body ? s.spec.name + " (body)" : u.spec.name, r.error));
            Reason why = body ? new Reason(CancelReason.Kind.BODY_FAILED, s.describe())
                    : new Reason(CancelReason.Kind.TASK_FAILED, u.node.describe());
            u.failCancel = cancel(s, why, e);
        }
        if (u.spec.kind == UnitKind.BODY) s.bodyDone = true;
        maybeSweep(s);
    }

    /** S8: once the body and every ordinary task are done, the background tasks are cancelled. */
    private void maybeSweep(MScope s) {
        if (s.swept || !s.bodyDone) return;
        List<Event> causes = new ArrayList<>();
        causes.add(s.body.endEvent);
        for (MUnit t : s.tasks) {
            if (t.spec.kind == UnitKind.BACKGROUND) continue;
            if (!t.done) return;
            causes.add(t.endEvent);
        }
        s.swept = true;
        Event e = event("sweep " + s.spec.name, causes.toArray(Event[]::new));
        for (MUnit t : s.tasks) {
            if (t.spec.kind != UnitKind.BACKGROUND) continue;
            // Swept during setup: its thread may not have run its code yet, and then never will.
            if (step == 0) t.mayNotRun = true;
            cancelTask(t, new Reason(CancelReason.Kind.SCOPE_FINISHED, s.describe()), e);
        }
    }

    /**
     * Cancels a task alone. One the model already ended in this step, by an end not before
     * {@code cause}, may in reality still be running and read this reason: it is recorded too.
     */
    private Event cancelTask(MUnit t, Reason r, Event cause) {
        if (t.done && (t.endStep != step || before(t.endEvent, cause))) return null;
        return cancel(t.node, r, cause);
    }

    /**
     * Cancels {@code n}: the first reason is kept (S4). A second cancel in the same step that is
     * not caused by the first may have come first in reality, so it is kept as an alternative.
     * Returns the event by which {@code n} is cancelled as far as {@code cause} is concerned.
     */
    private Event cancel(Node n, Reason r, Event cause) {
        if (n.own.isEmpty()) {
            Event e = event("cancel " + n.describe() + ": " + r, cause);
            n.own.add(new Own(r, e));
            n.ownStep = step;
            return e;
        }
        Own first = n.own.get(0);
        if (n.ownStep == step && !before(first.event(), cause)) {
            Event e = event("cancel (simultaneous) " + n.describe() + ": " + r, cause);
            n.own.add(new Own(r, e));
            return e;
        }
        return first.event();
    }

    private void exit(MScope s) {
        List<Event> causes = new ArrayList<>();
        causes.add(s.body.endEvent);
        for (MUnit t : s.tasks) causes.add(t.endEvent);
        Event ex = event("exit " + s.spec.name, causes.toArray(Event[]::new));
        s.exited = true;
        s.exitEvent = ex;
        s.exitStep = step;
        s.outcome = outcome(s, ex);
    }

    /** The order of {@link Scope}'s Javadoc, "How the scope ends". */
    private Outcome outcome(MScope s, Event ex) {
        if (!s.failures.isEmpty()) return new GroupOut(s.spec);
        Set<CancelReason.Kind> kinds = new HashSet<>();
        for (Own o : s.own) kinds.add(o.reason().kind());
        if (kinds.size() > 1) throw new Ambiguous(s.spec.name + " cancelled for two kinds of reason at once: " + s.own);
        boolean deadlinePassed = kinds.contains(CancelReason.Kind.DEADLINE);
        boolean outer = false;
        if (!s.shield && s.parent != null) {
            outer = isCancelled(s.parent);
            decide(s.parent, ex, outer, s.spec.name + " asking whether an enclosing scope is cancelled");
        }
        boolean catches = deadlinePassed && !outer;
        boolean moveOn = s.spec.deadline == Deadline.MOVE_ON_AFTER;
        if (catches && !moveOn) return new DeadlineOut(s.spec.name);
        // A moveOn scope also catches its own cancel(reason) (Trio's cancel scope), under the
        // same condition: no enclosing scope cancelled.
        boolean catchesOwnCancel = moveOn && !outer && kinds.contains(CancelReason.Kind.REQUESTED);
        End body = s.body.end;
        if (body.kind == EndKind.CANCELLED) {
            if (catches || catchesOwnCancel) return new ValueOut("moveOn(cut short)");
            if (body.viaCancelled) return new CancelledOut(body.reasons);
            if (!outer) return new CancelledOut(s.ownReasons());
            Set<Reason> reasons = new LinkedHashSet<>();
            reads.add(new Read(s.parent, ex, Boolean.TRUE, reasons::addAll, s.spec.name + " taking the enclosing reason", false));
            return new CancelledOut(reasons);
        }
        if (body.kind != EndKind.SUCCEEDED) throw new IllegalStateException("model: failed body without failures");
        return new ValueOut(moveOn ? "moveOn(timedOut=" + deadlinePassed + ", " + body.value + ")" : body.value);
    }

    // ------------------------------------------------------------------ the end of a step

    /** Fills in the reasons read in this step, checks no other order decides differently, and records the step's view. */
    private void finishStep() {
        for (Read r : reads) {
            Set<Boolean> decisions = new HashSet<>();
            for (Set<Reason> possible : possibleReads(r.node(), r.at())) {
                if (possible == null && r.woken()) continue;
                decisions.add(possible != null);
                if (possible != null && r.sink() != null) r.sink().accept(possible);
            }
            if (decisions.size() > 1) throw new Ambiguous(r.what() + " may or may not see a cancellation at " + r.at());
            if (!decisions.contains(r.decidedCancelled())) {
                throw new IllegalStateException("model: " + r.what() + " decided " + r.decidedCancelled() + " in an impossible order");
            }
        }
        reads.clear();
        for (MUnit u : joinChecks) checkJoin(u);
        joinChecks.clear();
        for (MUnit u : startChecks) checkStart(u);
        startChecks.clear();
        views.add(snapshot());
    }

    /** Own-reason events set in this step on the way up from {@code n} (to the first shield). */
    private List<Own> stepCancels(Node n) {
        List<Own> out = new ArrayList<>();
        for (Node x = n; x != null; x = x.parent) {
            if (x.ownStep == step) out.addAll(x.own);
            if (x.shield) break;
        }
        return out;
    }

    /**
     * Every value a read of {@code n}'s cancellation at {@code at} can return: for each set of
     * this step's cancels that can have happened before the read (all its causes, plus any
     * concurrent cancel with its own causes), the nearest node's reasons, or null.
     */
    private List<Set<Reason>> possibleReads(Node n, Event at) {
        List<Own> cancels = stepCancels(n);
        Set<Own> base = new HashSet<>();
        for (Own o : cancels) {
            if (before(o.event(), at)) base.add(o);
        }
        List<Set<Own>> states = new ArrayList<>();
        states.add(base);
        for (Own o : cancels) {
            if (before(o.event(), at) || before(at, o.event())) continue;
            Set<Own> s = new HashSet<>(base);
            for (Own o2 : cancels) {
                if (before(o2.event(), o.event())) s.add(o2);
            }
            states.add(s);
        }
        List<Set<Reason>> out = new ArrayList<>();
        for (Set<Own> state : states) out.add(effective(n, state));
        return out;
    }

    private Set<Reason> effective(Node n, Set<Own> state) {
        for (Node x = n; x != null; x = x.parent) {
            if (x.ownStep >= 0 && x.ownStep < step) return x.ownReasons();
            Set<Reason> rs = new LinkedHashSet<>();
            for (Own o : x.own) {
                if (state.contains(o)) rs.add(o.reason());
            }
            if (!rs.isEmpty()) return rs;
            if (x.shield) return null;
        }
        return null;
    }

    /**
     * A join is decided by which comes first for the joiner: the sibling's end, or its own
     * cancellation. If this step allows both and they give different ends, the outcome is open.
     */
    private void checkJoin(MUnit u) {
        MUnit t = byUnit.get(((Join) u.current).target());
        if (!t.done || t.endStep != step) return;
        List<Event> cancels = new ArrayList<>();
        for (Own o : stepCancels(u.node)) {
            if (!before(u.endEvent, o.event())) cancels.add(o.event());
        }
        Set<String> ends = new HashSet<>();
        if (cancels.stream().anyMatch(c -> !before(t.endEvent, c))) ends.add("cancelled");
        if (!before(u.endEvent, t.endEvent)) {
            switch (t.end.kind) {
                case SUCCEEDED -> ends.add("value");
                case FAILED -> ends.add("cancelled");
                case CANCELLED -> {
                    if (!cancels.isEmpty()) ends.add("cancelled");
                    if (cancels.stream().noneMatch(c -> before(c, t.endEvent))) ends.add("the sibling's cancellation");
                }
            }
        }
        if (ends.size() > 1) throw new Ambiguous(u + " joining " + t + " may end " + ends);
    }

    private void checkStart(MUnit u) {
        MUnit st = u.started;
        if (!st.settled || st.settleEvent.step != step || u.endEvent == null && u.wait != Wait.START_UNINTERRUPTIBLY) return;
        Event decided = u.endEvent != null ? u.endEvent : u.since;
        boolean cancelFirst = false;
        for (Own o : stepCancels(u.node)) {
            if (!before(decided, o.event()) && !before(st.settleEvent, o.event())) cancelFirst = true;
        }
        boolean settleFirst = !before(decided, st.settleEvent);
        if (cancelFirst && settleFirst) throw new Ambiguous(u + " in start(" + st + ") may see the signal or its cancellation first");
    }

    private StepView snapshot() {
        Set<Unit> done = new HashSet<>();
        Set<Unit> running = new HashSet<>();
        Set<Unit> alone = new HashSet<>();
        for (MUnit u : units) {
            if (u.done) done.add(u.spec);
            else running.add(u.spec);
            if (!u.done && u.spec.isTask() && !u.node.own.isEmpty()) alone.add(u.spec);
        }
        Set<ScopeSpec> exited = new HashSet<>();
        Set<ScopeSpec> open = new HashSet<>();
        Set<ScopeSpec> cancelled = new HashSet<>();
        for (MScope s : scopes.values()) {
            if (s.exited) exited.add(s.spec);
            else open.add(s.spec);
            if (!s.own.isEmpty()) cancelled.add(s.spec);
        }
        return new StepView(step, done, running, exited, open, cancelled, alone);
    }
}
