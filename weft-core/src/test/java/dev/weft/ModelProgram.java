package dev.weft;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random program of nested scopes and tasks for {@link ScopeModelTest}: what each scope is
 * (plain, shielded, {@code failAfter}, {@code moveOnAfter}), which tasks its body forks, what
 * each task and each body does, and the numbered steps in which the test thread makes things
 * happen (a gate opens for the units waiting on it, or the fake clock reaches a deadline).
 *
 * <p>Programs are drawn so that their outcome is decided by the contract, not by the
 * interleaving: every unit (a scope's body or a task) starts during setup, before step 1; after
 * that, nothing happens except at a step. A failure, a cancel, a task cancel and a start's
 * "started" each wait for a gate of their own (stubborn failures of one scope may share one);
 * a blocking unit ends only by cancellation; a join waits only for an earlier sibling. The model
 * ({@link ScopeModel}) refuses the few programs whose outcome is still left open (say, a
 * sibling's value and the joiner's cancellation arriving in the same step), and the generator
 * draws another.
 */
final class ModelProgram {

    static final int MAX_DEPTH = 3;

    enum Deadline { NONE, FAIL_AFTER, MOVE_ON_AFTER }

    enum UnitKind { BODY, ORDINARY, BACKGROUND, STARTED }

    /** A step of the program: opened by the test thread once every earlier step has settled. */
    static final class Gate {
        int step;
        final List<Unit> actors = new ArrayList<>();
        /** For a started task's late failure: its gate must come after this one. */
        final Gate after;
        /** Stubborn failures of this scope may share the gate. */
        final ScopeSpec sharedBy;
        /** Set for a step in which the test thread itself cancels this scope (S1: cancelled from another thread). */
        ScopeSpec cancelledFromOutside;

        Gate(Gate after, ScopeSpec sharedBy) {
            this.after = after;
            this.sharedBy = sharedBy;
        }
    }

    /** What a unit does once it has started; bodies first fork their scope's tasks. */
    sealed interface Action permits Return, Fail, Block, Join, CancelScope, CancelTask, Nest, Start, Started {}

    /** Returns a value at once. */
    record Return() implements Action {}

    /** Waits for its gate, then throws {@code Marker(marker)}; a stubborn one waits through cancellation. */
    record Fail(Gate gate, boolean stubborn, String marker) implements Action {}

    /** What a blocked unit does with the cancellation that wakes it. */
    enum OnCancel {
        /** Lets it out. */
        PROPAGATE,
        /** Catches it and returns a value (the unit succeeds although cancelled). */
        SWALLOW,
        /** Catches it and calls {@code Weft.checkpoint()}, which must throw again (S3: level-triggered). */
        RECHECK
    }

    /** Blocks until cancelled: {@code Weft.sleep} of a year on the fake clock, or a latch nobody opens. */
    record Block(boolean sleep, OnCancel onCancel) implements Action {}

    /** Joins an earlier ordinary sibling; {@code propagate} lets its exception out, else it is caught and followed by a checkpoint. */
    record Join(Unit target, boolean propagate) implements Action {}

    /** Waits for its gate (a cancellation point), cancels {@code target}, then returns or checkpoints. */
    record CancelScope(Gate gate, ScopeSpec target, boolean checkpoint) implements Action {}

    /** Waits for its gate (a cancellation point), cancels the sibling task {@code target} alone, then returns. */
    record CancelTask(Gate gate, Unit target) implements Action {}

    /** Opens a nested scope; its value is returned, its failure propagates, its own cancellation is caught unless the opener is cancelled too. */
    record Nest(ScopeSpec scope) implements Action {}

    /** Calls {@code scope.start(task)}; {@code propagate} lets a failure before {@code started} out, else it is caught and followed by a checkpoint. */
    record Start(Unit task, boolean propagate) implements Action {}

    /** The code of a started task: waits for its gate, then fails before {@code started} (failBefore != null) or signals and goes on with {@code after}. */
    record Started(Gate gate, boolean stubborn, String failBefore, Action after) implements Action {}

    /** A scope's body or a task. */
    static final class Unit {
        final int id;
        final String name;
        final UnitKind kind;
        final ScopeSpec scope;
        Action action;

        Unit(int id, String name, UnitKind kind, ScopeSpec scope) {
            this.id = id;
            this.name = name;
            this.kind = kind;
            this.scope = scope;
        }

        boolean isTask() {
            return kind != UnitKind.BODY;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final class ScopeSpec {
        final int id;
        final String name;
        final ScopeSpec enclosing;
        final Unit opener;
        final int depth;
        final boolean shield;
        final Deadline deadline;
        /** The step at which the deadline passes (seconds on the fake clock); past the last step: never. */
        int deadlineAt;
        /** The tasks the body forks, in order. */
        final List<Unit> tasks = new ArrayList<>();
        Unit body;

        ScopeSpec(int id, ScopeSpec enclosing, Unit opener, int depth, boolean shield, Deadline deadline) {
            this.id = id;
            this.name = "s" + id;
            this.enclosing = enclosing;
            this.opener = opener;
            this.depth = depth;
            this.shield = shield;
            this.deadline = deadline;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    final long seed;
    final ScopeSpec root;
    final List<ScopeSpec> scopes;
    final List<Unit> units;
    final List<Gate> gates;
    int steps;

    private ModelProgram(long seed, ScopeSpec root, List<ScopeSpec> scopes, List<Unit> units, List<Gate> gates) {
        this.seed = seed;
        this.root = root;
        this.scopes = scopes;
        this.units = units;
        this.gates = gates;
    }

    /** Replaces what {@code u} does (the generator's repairs), and takes it off the gate it waited for. */
    void replaceAction(Unit u, Action a) {
        for (Gate g : gates) g.actors.remove(u);
        u.action = a;
    }

    /** The scope the test thread cancels at {@code step}, or null. */
    ScopeSpec cancelledFromOutsideAt(int step) {
        for (Gate g : gates) {
            if (g.step == step && g.cancelledFromOutside != null) return g.cancelledFromOutside;
        }
        return null;
    }

    /** The scope whose deadline passes at {@code step}, or null if the step opens a gate. */
    ScopeSpec deadlineAt(int step) {
        for (ScopeSpec s : scopes) {
            if (s.deadline != Deadline.NONE && s.deadlineAt == step) return s;
        }
        return null;
    }

    // ------------------------------------------------------------------ generation

    /** Draws a program from {@code seed}: the same seed gives the same program. */
    static ModelProgram generate(long seed) {
        return new Generator(new Random(seed)).program(seed);
    }

    private static final class Generator {
        final Random rnd;
        final List<ScopeSpec> scopes = new ArrayList<>();
        final List<Unit> units = new ArrayList<>();
        final List<Gate> gates = new ArrayList<>();
        final int maxTasks;
        int ids;

        Generator(Random rnd) {
            this.rnd = rnd;
            this.maxTasks = 2 + rnd.nextInt(3); // 2..4 tasks per scope at most: small and large trees
        }

        ModelProgram program(long seed) {
            ScopeSpec root = scope(null, null, 0);
            if (rnd.nextInt(5) == 0) {
                Gate g = new Gate(null, null);
                g.cancelledFromOutside = scopes.get(rnd.nextInt(scopes.size()));
                gates.add(g);
            }
            ModelProgram p = new ModelProgram(seed, root, scopes, units, gates);
            assignSteps(p);
            return p;
        }

        ScopeSpec scope(ScopeSpec enclosing, Unit opener, int depth) {
            boolean shield = depth > 0 && rnd.nextInt(5) == 0;
            int d = rnd.nextInt(20);
            Deadline deadline = d < 11 ? Deadline.NONE : d < 16 ? Deadline.FAIL_AFTER : Deadline.MOVE_ON_AFTER;
            ScopeSpec s = new ScopeSpec(ids++, enclosing, opener, depth, shield, deadline);
            scopes.add(s);
            int n = rnd.nextInt(maxTasks + (depth == 0 ? 2 : 1));
            for (int i = 0; i < n; i++) {
                UnitKind kind = rnd.nextInt(4) == 0 ? UnitKind.BACKGROUND : UnitKind.ORDINARY;
                Unit t = unit(kind, s);
                s.tasks.add(t);
                t.action = action(t, i);
            }
            s.body = new Unit(ids++, s.name + " (body)", UnitKind.BODY, s);
            units.add(s.body);
            s.body.action = action(s.body, n);
            return s;
        }

        Unit unit(UnitKind kind, ScopeSpec s) {
            int id = ids++;
            Unit u = new Unit(id, "t" + id, kind, s);
            units.add(u);
            return u;
        }

        /** Ordinary siblings forked before index {@code before} (for a body: all of them). */
        List<Unit> earlierOrdinary(ScopeSpec s, int before) {
            List<Unit> out = new ArrayList<>();
            for (int i = 0; i < before && i < s.tasks.size(); i++) {
                if (s.tasks.get(i).kind == UnitKind.ORDINARY) out.add(s.tasks.get(i));
            }
            return out;
        }

        Action action(Unit u, int index) {
            ScopeSpec s = u.scope;
            boolean background = u.kind == UnitKind.BACKGROUND;
            List<Unit> earlier = earlierOrdinary(s, index);
            boolean canNest = s.depth < MAX_DEPTH && scopes.size() < 12;
            while (true) {
                int r = rnd.nextInt(100);
                if (r < 10) return new Return();
                if (r < 27) return fail(u);
                if (r < 41) return block();
                if (r < 55) {
                    if (background || earlier.isEmpty()) continue;
                    return new Join(earlier.get(rnd.nextInt(earlier.size())), rnd.nextInt(10) < 7);
                }
                if (r < 63) {
                    ScopeSpec target = s;
                    while (target.enclosing != null && rnd.nextInt(3) == 0) target = target.enclosing;
                    return new CancelScope(gate(u, null, null), target, rnd.nextBoolean());
                }
                if (r < 68) {
                    if (background || earlier.isEmpty()) continue;
                    return new CancelTask(gate(u, null, null), earlier.get(rnd.nextInt(earlier.size())));
                }
                if (r < 88) {
                    if (!canNest) continue;
                    return new Nest(scope(s, u, s.depth + 1));
                }
                if (background) continue;
                return start(u);
            }
        }

        Block block() {
            int c = rnd.nextInt(10);
            return new Block(rnd.nextBoolean(), c < 6 ? OnCancel.PROPAGATE : c < 8 ? OnCancel.SWALLOW : OnCancel.RECHECK);
        }

        Fail fail(Unit u) {
            boolean stubborn = rnd.nextInt(10) < 4;
            Gate g = null;
            if (stubborn && rnd.nextInt(4) == 0) {
                for (Gate candidate : gates) {
                    if (candidate.sharedBy == u.scope) g = candidate;
                }
            }
            if (g != null) {
                g.actors.add(u);
            } else {
                g = gate(u, null, stubborn ? u.scope : null);
            }
            return new Fail(g, stubborn, "m" + u.id);
        }

        Start start(Unit caller) {
            Unit task = unit(UnitKind.STARTED, caller.scope);
            Gate g = gate(task, null, null);
            String failBefore = rnd.nextInt(10) < 3 ? "m" + task.id : null;
            Action after = failBefore != null ? null : switch (rnd.nextInt(3)) {
                case 0 -> new Return();
                case 1 -> block();
                default -> new Fail(gate(task, g, null), rnd.nextBoolean(), "m" + task.id + "late");
            };
            task.action = new Started(g, rnd.nextBoolean(), failBefore, after);
            return new Start(task, rnd.nextInt(10) < 6);
        }

        Gate gate(Unit actor, Gate after, ScopeSpec sharedBy) {
            Gate g = new Gate(after, sharedBy);
            g.actors.add(actor);
            gates.add(g);
            return g;
        }

        /** Orders the gates and the deadlines that pass into steps 1..K; other deadlines lie past K. */
        void assignSteps(ModelProgram p) {
            List<Object> slots = new ArrayList<>(gates);
            List<ScopeSpec> never = new ArrayList<>();
            for (ScopeSpec s : scopes) {
                if (s.deadline == Deadline.NONE) continue;
                if (rnd.nextInt(4) == 0) never.add(s);
                else slots.add(s);
            }
            List<Object> order = new ArrayList<>();
            while (!slots.isEmpty()) {
                // Pick at random among the slots whose predecessor (if any) is placed already.
                List<Object> ready = new ArrayList<>();
                for (Object o : slots) {
                    if (!(o instanceof Gate g) || g.after == null || order.contains(g.after)) ready.add(o);
                }
                Object pick = ready.get(rnd.nextInt(ready.size()));
                slots.remove(pick);
                order.add(pick);
            }
            for (int i = 0; i < order.size(); i++) {
                if (order.get(i) instanceof Gate g) g.step = i + 1;
                else ((ScopeSpec) order.get(i)).deadlineAt = i + 1;
            }
            p.steps = order.size();
            for (ScopeSpec s : never) s.deadlineAt = p.steps + 1 + rnd.nextInt(3);
        }
    }

    // ------------------------------------------------------------------ description

    /** The program as an indented tree, with its steps: what a failure message prints. */
    String describe() {
        StringBuilder b = new StringBuilder();
        b.append("program ").append(seed).append(" (").append(steps).append(" steps)\n");
        describe(b, root, "  ");
        b.append("  steps:");
        for (int k = 1; k <= steps; k++) {
            ScopeSpec d = deadlineAt(k);
            if (d != null) {
                b.append(' ').append(k).append("=deadline(").append(d.name).append(')');
            } else {
                List<String> who = new ArrayList<>();
                String outside = null;
                for (Gate g : gates) {
                    if (g.step != k) continue;
                    g.actors.forEach(a -> who.add(a.name));
                    if (g.cancelledFromOutside != null) outside = g.cancelledFromOutside.name;
                }
                b.append(' ').append(k).append(outside != null ? "=the test thread cancels " + outside : "=gate" + who);
            }
        }
        return b.append('\n').toString();
    }

    private void describe(StringBuilder b, ScopeSpec s, String indent) {
        b.append(indent).append("scope ").append(s.name);
        if (s.shield) b.append(" shield");
        switch (s.deadline) {
            case FAIL_AFTER -> b.append(" failAfter ").append(s.deadlineAt).append('s');
            case MOVE_ON_AFTER -> b.append(" moveOnAfter ").append(s.deadlineAt).append('s');
            default -> { }
        }
        b.append('\n');
        for (Unit t : s.tasks) describeUnit(b, t, indent + "  ");
        describeUnit(b, s.body, indent + "  ");
    }

    private void describeUnit(StringBuilder b, Unit u, String indent) {
        b.append(indent).append(u.kind == UnitKind.BODY ? "body" : u.name + " " + u.kind.name().toLowerCase())
                .append(": ").append(describe(u.action)).append('\n');
        if (u.action instanceof Nest n) describe(b, n.scope(), indent + "  ");
        if (u.action instanceof Start st) describeUnit(b, st.task(), indent + "  ");
    }

    static String describe(Action a) {
        return switch (a) {
            case Return r -> "return";
            case Fail f -> (f.stubborn() ? "stubbornly " : "") + "fail " + f.marker() + " at step " + f.gate().step;
            case Block bl -> "block until cancelled (" + (bl.sleep() ? "Weft.sleep" : "latch") + ")" + switch (bl.onCancel()) {
                case PROPAGATE -> "";
                case SWALLOW -> ", catch it and return";
                case RECHECK -> ", catch it and checkpoint";
            };
            case Join j -> "join " + j.target().name + (j.propagate() ? "" : " (catch, checkpoint)");
            case CancelScope c -> "at step " + c.gate().step + " cancel " + c.target().name + (c.checkpoint() ? ", checkpoint" : "");
            case CancelTask c -> "at step " + c.gate().step + " cancel task " + c.target().name;
            case Nest n -> "open";
            case Start st -> "start " + st.task().name + (st.propagate() ? "" : " (catch, checkpoint)");
            case Started st -> "at step " + st.gate().step + (st.stubborn() ? " (stubbornly)" : "")
                    + (st.failBefore() != null ? " fail " + st.failBefore() + " before started" : " started, then " + describe(st.after()));
        };
    }
}
