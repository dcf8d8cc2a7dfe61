package dev.weft;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * weft-core's Java Flight Recorder events: a scope's life (a duration event, with its tasks,
 * failures and outcome) and each cancellation of a scope. Loaded only where {@code jdk.jfr} is
 * present ({@link dev.weft.internal.Jfr#AVAILABLE}). Enabled by default, and cheap: while no
 * recording asks for them, a scope pays one check at its opening and no allocation.
 *
 * <pre>
 * jfr print --events dev.weft.Scope,dev.weft.Cancellation recording.jfr
 * </pre>
 */
final class WeftJfr {
    private WeftJfr() {}

    private static final EventType SCOPE = EventType.getEventType(ScopeEvent.class);
    private static final EventType CANCELLATION = EventType.getEventType(CancellationEvent.class);

    @Name("dev.weft.Scope")
    @Label("Weft Scope")
    @Category("Weft")
    @Description("A scope from its opening to its end: its tasks, failures and outcome")
    @StackTrace(false) // one per scope or batch: the name says where; a stack would cost more than the event
    static final class ScopeEvent extends Event {
        @Label("Scope") String scope;
        @Label("Tasks") int tasks;
        @Label("Failures") int failures;
        @Label("Outcome") String outcome;
    }

    @Name("dev.weft.Cancellation")
    @Label("Weft Cancellation")
    @Category("Weft")
    @Description("A scope was cancelled, and why")
    static final class CancellationEvent extends Event {
        @Label("Scope") String scope;
        @Label("Kind") String kind;
        @Label("Source") String source;
        @Label("Message") String message;
    }

    /** A started scope event, or null when no recording wants it. */
    static Object scopeOpened() {
        if (!SCOPE.isEnabled()) return null;
        ScopeEvent e = new ScopeEvent();
        e.begin();
        return e;
    }

    static void scopeClosed(Object started, Scope s, int tasks, int failures, ScopeSummary.Outcome outcome) {
        ScopeEvent e = (ScopeEvent) started;
        e.end();
        if (!e.shouldCommit()) return;
        e.scope = s.name();
        e.tasks = tasks;
        e.failures = failures;
        e.outcome = outcome.name();
        e.commit();
    }

    static void cancelled(Scope s, CancelReason r) {
        if (!CANCELLATION.isEnabled()) return;
        CancellationEvent e = new CancellationEvent();
        if (!e.shouldCommit()) return;
        e.scope = s.name();
        e.kind = r.kind().name();
        e.source = r.source();
        e.message = r.message();
        e.commit();
    }
}
