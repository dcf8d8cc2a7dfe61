package dev.weft;

import dev.weft.ModelProgram.ScopeSpec;
import dev.weft.ModelProgram.Unit;
import java.util.Set;

/**
 * What {@link ScopeModel} predicts, in terms {@link ModelRun} can compare with what Weft did:
 * reasons by kind and source, failures by task name and error, how units end, what scopes
 * return or throw, and what must have happened after each step.
 */
final class Predicted {
    private Predicted() {}

    /** A cancellation reason as the test can compare it: its kind and who it names. */
    record Reason(CancelReason.Kind kind, String tag) {
        @Override
        public String toString() {
            return kind + "(" + tag + ")";
        }
    }

    /** The tag of a real reason: its source, and for a requested cancel also who asked ("by t3"). */
    static Reason reasonOf(CancelReason r) {
        String tag = r.source();
        if (r.kind() == CancelReason.Kind.REQUESTED) {
            String m = r.message();
            tag += " " + m.substring(m.lastIndexOf("cancelled: ") + "cancelled: ".length());
        }
        return new Reason(r.kind(), tag);
    }

    /** What a failure must be. */
    sealed interface Err permits MarkerErr, GroupErr, DeadlineErr, TaskCancelledErr {}

    /** The very marker object thrown by the unit. */
    record MarkerErr(String id) implements Err {}

    /** The group thrown by a nested scope (its failures are predicted for that scope). */
    record GroupErr(ScopeSpec scope) implements Err {}

    /** The {@link DeadlineExceeded} of a nested {@code failAfter} scope. */
    record DeadlineErr(String scopeName) implements Err {}

    /** The {@link TaskCancelledException} of a joined sibling that was cancelled alone. */
    record TaskCancelledErr(String taskName) implements Err {}

    /** One failure a scope must report, exactly once. */
    record Failure(String name, Err error) {}

    enum EndKind { SUCCEEDED, FAILED, CANCELLED }

    /** How a unit ends. For a cancellation, every reason the contract allows it to carry. */
    static final class End {
        final EndKind kind;
        final String value;
        final Err error;
        final Set<Reason> reasons;
        /** Ends by a {@link Cancelled} (else by an interrupt exception or a joined sibling's exception). */
        final boolean viaCancelled;

        private End(EndKind kind, String value, Err error, Set<Reason> reasons, boolean viaCancelled) {
            this.kind = kind;
            this.value = value;
            this.error = error;
            this.reasons = reasons;
            this.viaCancelled = viaCancelled;
        }

        static End value(String v) {
            return new End(EndKind.SUCCEEDED, v, null, null, false);
        }

        static End failure(Err e) {
            return new End(EndKind.FAILED, null, e, null, false);
        }

        static End cancelled(Set<Reason> reasons, boolean viaCancelled) {
            return new End(EndKind.CANCELLED, null, null, reasons, viaCancelled);
        }

        @Override
        public String toString() {
            return switch (kind) {
                case SUCCEEDED -> "value " + value;
                case FAILED -> "failure " + error;
                case CANCELLED -> "cancelled " + reasons;
            };
        }
    }

    /** What a scope's {@code run} (or {@code moveOn}) returns or throws. */
    sealed interface Outcome permits ValueOut, GroupOut, DeadlineOut, CancelledOut {}

    /** A value, as {@link ModelRun#canon} writes it (a {@code moveOn} result included). */
    record ValueOut(String value) implements Outcome {}

    record GroupOut(ScopeSpec scope) implements Outcome {}

    record DeadlineOut(String scopeName) implements Outcome {}

    record CancelledOut(Set<Reason> reasons) implements Outcome {}

    /** After a step: what must be done, exited and cancelled, and what must still be running. */
    record StepView(int step, Set<Unit> done, Set<Unit> running, Set<ScopeSpec> exited, Set<ScopeSpec> open,
                    Set<ScopeSpec> cancelled, Set<Unit> tasksCancelledAlone) {}
}
