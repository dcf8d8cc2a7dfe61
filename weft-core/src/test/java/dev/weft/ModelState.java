package dev.weft;

import dev.weft.ModelProgram.Action;
import dev.weft.ModelProgram.Gate;
import dev.weft.ModelProgram.ScopeSpec;
import dev.weft.ModelProgram.Unit;
import dev.weft.Predicted.End;
import dev.weft.Predicted.Failure;
import dev.weft.Predicted.Outcome;
import dev.weft.Predicted.Reason;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The state {@link ScopeModel} keeps while it runs a program: events with their causes, the
 * cancellation tree of scopes and tasks with their own reasons, and each unit's wait and end.
 */
final class ModelState {
    private ModelState() {}

    /** Something that happened, with every event that happened before it causally (itself included). */
    static final class Event {
        final int id;
        final int step;
        final String what;
        final BitSet anc = new BitSet();

        Event(int id, int step, String what) {
            this.id = id;
            this.step = step;
            this.what = what;
        }

        @Override
        public String toString() {
            return what + "@" + step;
        }
    }

    record Own(Reason reason, Event event) {}

    /** A node of the cancellation tree: a scope or a task (a body's node is its scope). */
    abstract static class Node {
        final Node parent;
        final boolean shield;
        final List<Own> own = new ArrayList<>();
        int ownStep = -1;

        Node(Node parent, boolean shield) {
            this.parent = parent;
            this.shield = shield;
        }

        abstract String describe();

        Set<Reason> ownReasons() {
            Set<Reason> out = new LinkedHashSet<>();
            for (Own o : own) out.add(o.reason());
            return out;
        }
    }

    static final class MScope extends Node {
        final ScopeSpec spec;
        MUnit body;
        final List<MUnit> tasks = new ArrayList<>();
        boolean bodyDone;
        boolean swept;
        boolean exited;
        int exitStep = -1;
        Event exitEvent;
        final List<Failure> failures = new ArrayList<>();
        Outcome outcome;

        MScope(ScopeSpec spec, Node parent) {
            super(parent, spec.shield);
            this.spec = spec;
        }

        @Override
        String describe() {
            return "scope '" + spec.name + "'";
        }
    }

    static final class TaskNode extends Node {
        final String name;

        TaskNode(MScope scope, String name) {
            super(scope, false);
            this.name = name;
        }

        @Override
        String describe() {
            return "task '" + name + "'";
        }
    }

    enum Wait { GATE, BLOCK, JOIN, START, START_UNINTERRUPTIBLY, NESTED }

    static final class MUnit {
        final Unit spec;
        final MScope scope;
        final Node node;
        Action current;
        Wait wait;
        Event since;
        Gate gate;
        boolean stubborn;
        MScope nested;
        boolean done;
        End end;
        int endStep = -1;
        Event endEvent;
        /** The cancel its failure caused (or found already there). */
        Event failCancel;
        /** A background task swept during setup: its thread may not have run its code at all. */
        boolean mayNotRun;
        // started tasks
        boolean settled;
        boolean signalled;
        Event settleEvent;
        // callers of start
        MUnit started;
        End pendingCancel;

        MUnit(Unit spec, MScope scope, Node node) {
            this.spec = spec;
            this.scope = scope;
            this.node = node;
        }

        @Override
        public String toString() {
            return spec.name;
        }
    }
}
