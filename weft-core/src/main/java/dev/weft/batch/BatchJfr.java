package dev.weft.batch;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The Flight Recorder event of a loader batch (ADR 0031), from the call of the batch function
 * to the last key's outcome. Loaded only where {@code jdk.jfr} is present.
 */
final class BatchJfr {
    private BatchJfr() {}

    private static final EventType BATCH = EventType.getEventType(BatchEvent.class);

    @Name("dev.weft.LoaderBatch")
    @Label("Weft Loader Batch")
    @Category("Weft")
    @Description("A batch a Loader sent: its keys, why it was sent, and whether it failed")
    @StackTrace(false) // one per scope or batch: the name says where; a stack would cost more than the event
    static final class BatchEvent extends Event {
        @Label("Loader") String loader;
        @Label("Batch") long number;
        @Label("Keys") int keys;
        @Label("Reason") String reason;
        @Label("Failed") boolean failed;
    }

    /** A started batch event, or null when no recording wants it. */
    static Object started() {
        if (!BATCH.isEnabled()) return null;
        BatchEvent e = new BatchEvent();
        e.begin();
        return e;
    }

    static void ended(Object started, String loader, long number, int keys, DispatchReason reason, boolean failed) {
        BatchEvent e = (BatchEvent) started;
        e.end();
        if (!e.shouldCommit()) return;
        e.loader = loader;
        e.number = number;
        e.keys = keys;
        e.reason = reason.name();
        e.failed = failed;
        e.commit();
    }
}
