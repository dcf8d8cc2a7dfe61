package dev.weft;

import dev.weft.internal.Format;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Why a scope or task was cancelled (rule S4): which task failed, which deadline passed, who
 * asked. Every {@link Cancelled} carries one, and {@link Scope#cancelReason()} reports it.
 *
 * <p>Instances are immutable. {@link #toString()} is the human-readable {@link #message()}.
 */
public final class CancelReason {

    /** What caused the cancellation. */
    public enum Kind {
        /** Someone called {@link Scope#cancel(String)} or {@link Task#cancel(String)}. */
        REQUESTED,
        /** The scope's deadline ({@code failAfter}, {@code moveOnAfter}, ...) passed. */
        DEADLINE,
        /** A task of the scope failed, so the scope cancelled its other tasks (S2). */
        TASK_FAILED,
        /** The scope's body threw, so the scope cancelled its tasks (S2). */
        BODY_FAILED,
        /** The body and every ordinary task finished, so background tasks were cancelled (S8). */
        SCOPE_FINISHED,
        /** The caller waiting in {@link Scope#start} was cancelled before the task said {@code started}. */
        STARTER_CANCELLED,
        /** A thread was interrupted by code outside Weft (for example {@code Future.cancel(true)}). */
        INTERRUPTED
    }

    private final Kind kind;
    private final String source;
    private final String message;
    private final Throwable cause;

    private CancelReason(Kind kind, String source, String message, Throwable cause) {
        this.kind = kind;
        this.source = source;
        this.message = message;
        this.cause = cause;
    }

    static CancelReason requested(String what, String reason) {
        Objects.requireNonNull(reason, "reason: say why you cancel, e.g. cancel(\"user pressed stop\")");
        return new CancelReason(Kind.REQUESTED, what, what + " cancelled: " + reason, null);
    }

    static CancelReason deadline(String scopeName, Duration timeout) {
        String after = timeout == null ? "" : " (" + Format.duration(timeout) + " after it opened)";
        return new CancelReason(Kind.DEADLINE, "scope '" + scopeName + "'",
                "deadline of scope '" + scopeName + "' passed" + after, null);
    }

    static CancelReason taskFailed(String taskName, Throwable failure) {
        return new CancelReason(Kind.TASK_FAILED, "task '" + taskName + "'",
                "task '" + taskName + "' failed: " + Format.summary(failure), failure);
    }

    static CancelReason bodyFailed(String scopeName, Throwable failure) {
        return new CancelReason(Kind.BODY_FAILED, "scope '" + scopeName + "'",
                "body of scope '" + scopeName + "' failed: " + Format.summary(failure), failure);
    }

    static CancelReason scopeFinished(String scopeName) {
        return new CancelReason(Kind.SCOPE_FINISHED, "scope '" + scopeName + "'",
                "scope '" + scopeName + "' finished its body and ordinary tasks, so its background tasks were cancelled",
                null);
    }

    static CancelReason starterCancelled(String taskName, CancelReason starterReason) {
        return new CancelReason(Kind.STARTER_CANCELLED, "task '" + taskName + "'",
                "the caller of start() for task '" + taskName + "' was cancelled (" + starterReason.message() + ")",
                null);
    }

    static CancelReason interrupted(String what) {
        return new CancelReason(Kind.INTERRUPTED, what,
                "thread '" + Thread.currentThread().getName() + "' was interrupted by code outside Weft while in " + what,
                null);
    }

    /** What caused the cancellation. */
    public Kind kind() {
        return kind;
    }

    /** The scope or task where the cancellation started, e.g. {@code scope 'fetch'} or {@code task 'db-1'}. */
    public String source() {
        return source;
    }

    /** A sentence saying what happened, e.g. {@code task 'db-1' failed: IOException: reset}. */
    public String message() {
        return message;
    }

    /** The failure that caused the cancellation, for {@link Kind#TASK_FAILED} and {@link Kind#BODY_FAILED}. */
    public Optional<Throwable> cause() {
        return Optional.ofNullable(cause);
    }

    @Override
    public String toString() {
        return message;
    }
}
