package dev.weft;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.IntStream;

/**
 * Every failure of a scope, thrown as one exception. Each member is a {@link Failure}: the name of
 * the task it came from and what that task threw. A member may itself be an {@code ExceptionGroup}
 * (a child scope failed), so a group is a tree whose {@link #leaves() leaves} are the real errors.
 *
 * <p>Guarantees: a group has at least one member and never changes after construction; every
 * accessor returns an immutable list in the order the failures were recorded; the direct members
 * are also {@linkplain #getSuppressed() suppressed exceptions} of the group, so tools that only walk
 * {@code getSuppressed()} still see them. {@link #printStackTrace()} prints every member as a
 * numbered tree headed with its task name.
 *
 * <p>Handle each kind of failure once, and let the rest propagate:
 *
 * <pre>{@code
 * try {
 *     Scope.run(scope -> { ... });
 * } catch (ExceptionGroup group) {
 *     group.handler()
 *          .on(IOException.class, io -> retryLater(io))
 *          .on(IllegalArgumentException.class, bad -> log(bad))
 *          .rethrowUnhandled();
 * }
 * }</pre>
 *
 * Each handler receives a group holding only the failures it matched, in their original nesting.
 * To get at a single expected failure use {@link #single()}; to look at all of them use
 * {@link #leaves()}; to select some use {@link #subgroup(Class)} or {@link #split(Class)}.
 *
 * <p><b>Matching.</b> A condition is tested against every node of the tree, groups included,
 * starting with this group: a group that matches is taken whole, otherwise its members are tested
 * one by one. A {@code Class} condition tests groups only when it is {@code ExceptionGroup} or a
 * subclass, so {@code split(RuntimeException.class)} never drags a checked {@code IOException}
 * along just because the group around it is a {@code RuntimeException}. A {@code Predicate} is
 * shown the groups too; return {@code false} for them if you mean leaves only.
 */
// Implementer's note. This follows Python's PEP 654 (BaseExceptionGroup: split, subgroup, derive,
// except*) with these deviations: Java has one unchecked group type instead of the
// BaseExceptionGroup/ExceptionGroup pair; members carry a task name (Failure) instead of being bare
// exceptions; a Class condition only tests group nodes when it is a group type (see "Matching");
// except* is the Handler, which also accepts group types (Python rejects them); a handler that
// throws the very group it was given re-raises it, like a bare `raise` inside except*; there are
// no __notes__ (suppressed exceptions that are not members are copied by derive instead), and no
// __context__ is attached to exceptions raised by handlers.
// Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
// (no serialVersionUID; fields may hold values that do not serialize).
@SuppressWarnings("serial")
public class ExceptionGroup extends RuntimeException {

    /** Task name used by {@link #of(String, Throwable...)} for errors not tied to a named task. */
    public static final String UNNAMED_TASK = "<unnamed>";
    /** Task name of an exception thrown by a {@link GroupHandler} during {@link Handler#rethrowUnhandled()}. */
    public static final String HANDLER_TASK = "<handler>";
    /** Task name of the nested group of unhandled failures thrown by {@link Handler#rethrowUnhandled()}. */
    public static final String UNHANDLED_TASK = "<unhandled>";

    private static final int MESSAGE_MEMBERS = 5;
    private static final int MESSAGE_MEMBER_CHARS = 100;

    private final String message;
    private final List<Failure> failures;
    private final List<Throwable> exceptions;

    /** One member of a group: the task it came from and what it threw. */
    public record Failure(String taskName, Throwable error) {
        /** @throws NullPointerException if either component is null, with a message saying which */
        public Failure {
            Objects.requireNonNull(taskName,
                    "taskName is null; use ExceptionGroup.UNNAMED_TASK when the failure has no task");
            Objects.requireNonNull(error,
                    () -> "error is null for task '" + taskName + "'; a Failure records what the task threw");
        }
    }

    /** The two sides of {@link #split(Class)}: either may be empty, never both. */
    public record Split(Optional<ExceptionGroup> matched, Optional<ExceptionGroup> rest) {}

    /** Handles the failures a {@link Handler} matched; may throw, checked exceptions included. */
    @FunctionalInterface
    public interface GroupHandler {
        /** @param matched a group holding only the failures this handler matched */
        void handle(ExceptionGroup matched) throws Exception;
    }

    /**
     * A group of failures.
     *
     * @param message  what failed, e.g. {@code "2 failures in scope 'fetch'"}; shown first by
     *                 {@link #getMessage()} and by {@link #printStackTrace()}
     * @param failures the members, in order; copied
     * @throws NullPointerException     if message, the list or one of its elements is null
     * @throws IllegalArgumentException if the list is empty
     */
    @SuppressWarnings("this-escape") // addSuppressed is final in Throwable and only records the member
    public ExceptionGroup(String message, List<Failure> failures) {
        super(Objects.requireNonNull(message, "message is null; describe what failed, e.g. \"2 failures in scope 'fetch'\""));
        this.message = message;
        this.failures = validate(failures);
        this.exceptions = this.failures.stream().map(Failure::error).toList();
        exceptions.forEach(this::addSuppressed);
    }

    /**
     * A group of errors that have no task name; each member is named {@link #UNNAMED_TASK}.
     *
     * @throws NullPointerException     if message, the array or one of the errors is null
     * @throws IllegalArgumentException if no error is given
     */
    public static ExceptionGroup of(String message, Throwable... errors) {
        Objects.requireNonNull(errors, "errors is null; pass at least one Throwable");
        return new ExceptionGroup(message, IntStream.range(0, errors.length)
                .mapToObj(i -> new Failure(UNNAMED_TASK, Objects.requireNonNull(errors[i],
                        () -> "errors[" + i + "] is null; every member must be a Throwable")))
                .toList());
    }

    private static List<Failure> validate(List<Failure> failures) {
        Objects.requireNonNull(failures, "failures is null; pass at least one Failure");
        if (failures.isEmpty()) {
            throw new IllegalArgumentException(
                    "failures is empty; an ExceptionGroup needs at least one Failure (if nothing failed, throw nothing)");
        }
        for (int i = 0; i < failures.size(); i++) {
            if (failures.get(i) == null) {
                throw new NullPointerException("failures[" + i + "] is null; every member must be a Failure(taskName, error)");
            }
        }
        return List.copyOf(failures);
    }

    /** The message given at construction, without the summary of members {@link #getMessage()} adds. */
    public String message() {
        return message;
    }

    /** The direct members, in order; immutable. */
    public List<Failure> failures() {
        return failures;
    }

    /** The errors of the direct members, in order; immutable. */
    public List<Throwable> exceptions() {
        return exceptions;
    }

    /**
     * Every failure that is not itself a group, depth first through nested groups, in order. A leaf
     * keeps the task name it was recorded with in its innermost group. Immutable.
     */
    public List<Failure> leaves() {
        List<Failure> out = new ArrayList<>();
        for (Failure f : failures) {
            if (f.error() instanceof ExceptionGroup nested) {
                out.addAll(nested.leaves());
            } else {
                out.add(f);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The one error in this group, for scopes where a single failure is expected: if
     * {@link #leaves()} has exactly one entry, returns its error (looking through nesting).
     *
     * @throws IllegalStateException if there is more than one leaf
     */
    public Throwable single() {
        List<Failure> leaves = leaves();
        if (leaves.size() != 1) {
            throw new IllegalStateException("single() needs exactly one failure, but this group holds "
                    + leaves.size() + "; use leaves() to see them all or handler() to handle each kind");
        }
        return leaves.get(0).error();
    }

    /**
     * The failures that are instances of {@code type}, in their original nesting; empty if none is;
     * this very group if all are. See "Matching" in the class documentation.
     */
    public Optional<ExceptionGroup> subgroup(Class<? extends Throwable> type) {
        return Optional.ofNullable(partition(typeCondition(type)).matched());
    }

    /** Like {@link #subgroup(Class)}, for the nodes {@code condition} accepts, groups included. */
    public Optional<ExceptionGroup> subgroup(Predicate<? super Throwable> condition) {
        return Optional.ofNullable(partition(predicate(condition)).matched());
    }

    /**
     * Partitions the leaves into those matching {@code type} and the rest, each side keeping the
     * original nesting; every leaf lands on exactly one side. A side whose members are all of this
     * group's is this very group; a side with nothing is empty.
     */
    public Split split(Class<? extends Throwable> type) {
        return partition(typeCondition(type)).toSplit();
    }

    /** Like {@link #split(Class)}, for the nodes {@code condition} accepts, groups included. */
    public Split split(Predicate<? super Throwable> condition) {
        return partition(predicate(condition)).toSplit();
    }

    /**
     * Builds the group holding {@code subset} of this group's members when {@link #split} or
     * {@link #subgroup} rebuilds it. The default keeps the message; override to keep a subclass.
     * The caller then copies this group's stack trace, cause and non-member suppressed exceptions.
     */
    protected ExceptionGroup derive(List<Failure> subset) {
        return new ExceptionGroup(message, subset);
    }

    /** A new except*-style handler for this group; see {@link Handler}. */
    public Handler handler() {
        return new Handler();
    }

    /** Either side may be null (nothing there). */
    private record Parts(ExceptionGroup matched, ExceptionGroup rest) {
        Split toSplit() {
            return new Split(Optional.ofNullable(matched), Optional.ofNullable(rest));
        }
    }

    private static Predicate<Throwable> typeCondition(Class<? extends Throwable> type) {
        Objects.requireNonNull(type, "type is null; pass the exception class to match");
        boolean groupType = ExceptionGroup.class.isAssignableFrom(type);
        return node -> (groupType || !(node instanceof ExceptionGroup)) && type.isInstance(node);
    }

    private static Predicate<Throwable> predicate(Predicate<? super Throwable> condition) {
        Objects.requireNonNull(condition, "condition is null; pass a Predicate<Throwable>");
        return condition::test;
    }

    private Parts partition(Predicate<Throwable> condition) {
        if (condition.test(this)) {
            return new Parts(this, null);
        }
        List<Failure> matched = new ArrayList<>();
        List<Failure> rest = new ArrayList<>();
        for (Failure f : failures) {
            if (f.error() instanceof ExceptionGroup nested) {
                Parts p = nested.partition(condition);
                if (p.matched() != null) {
                    matched.add(p.matched() == nested ? f : new Failure(f.taskName(), p.matched()));
                }
                if (p.rest() != null) {
                    rest.add(p.rest() == nested ? f : new Failure(f.taskName(), p.rest()));
                }
            } else {
                (condition.test(f.error()) ? matched : rest).add(f);
            }
        }
        if (rest.isEmpty() || matched.isEmpty()) { // a side with all the members is this very group
            return rest.isEmpty() ? new Parts(this, null) : new Parts(null, this);
        }
        return new Parts(rebuild(matched), rebuild(rest));
    }

    private ExceptionGroup rebuild(List<Failure> subset) {
        ExceptionGroup derived = derive(subset);
        derived.setStackTrace(getStackTrace());
        if (getCause() != null && derived.getCause() == null) {
            derived.initCause(getCause());
        }
        for (Throwable extra : nonMemberSuppressed()) {
            derived.addSuppressed(extra);
        }
        return derived;
    }

    private List<Throwable> nonMemberSuppressed() {
        Set<Throwable> members = identitySet();
        members.addAll(exceptions);
        return Arrays.stream(getSuppressed()).filter(s -> !members.contains(s)).toList();
    }

    private static Set<Throwable> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    /**
     * The except* form: handlers run in the order they were added, each at most once, with the part
     * of the still-unhandled failures that matches it; what a handler received counts as handled and
     * is not offered to later handlers; a handler that matches nothing does not run. Build one with
     * {@link ExceptionGroup#handler()}, add handlers with {@code on}, then call
     * {@link #rethrowUnhandled()} exactly once. Not thread-safe: use it from one thread.
     */
    public final class Handler {
        private record Clause(Predicate<Throwable> condition, GroupHandler action) {}

        private final List<Clause> clauses = new ArrayList<>();
        private boolean done;

        private Handler() {}

        /** Handles the failures that are instances of {@code type}, matched as in {@link #split(Class)}. */
        public <X extends Throwable> Handler on(Class<X> type, GroupHandler action) {
            return add(typeCondition(type), action);
        }

        /** Handles the nodes {@code condition} accepts, matched as in {@link #split(Predicate)}. */
        public Handler on(Predicate<? super Throwable> condition, GroupHandler action) {
            return add(predicate(condition), action);
        }

        private Handler add(Predicate<Throwable> condition, GroupHandler action) {
            Objects.requireNonNull(action, "action is null; pass the GroupHandler to run on the matched failures");
            if (done) {
                throw new IllegalStateException("rethrowUnhandled() was already called; add handlers before calling it");
            }
            clauses.add(new Clause(condition, action));
            return this;
        }

        /**
         * Runs the handlers, then returns normally if every failure was handled and no handler threw.
         * Otherwise: if no handler threw, rethrows the unhandled failures as a group with the original
         * message (this very group if no handler matched anything); if some handler threw, throws a new
         * group holding each thrown exception as a {@link #HANDLER_TASK} member, in handler order,
         * followed by the unhandled failures, if any, as one nested {@link #UNHANDLED_TASK} member. A
         * throwing handler does not stop later ones. A handler that throws the very group it was given
         * re-raises it: its failures count as unhandled, in their original place. A handler that throws
         * {@link InterruptedException} has the thread's interrupt flag restored.
         *
         * @throws ExceptionGroup        as described above
         * @throws IllegalStateException if called a second time
         */
        public void rethrowUnhandled() {
            if (done) {
                throw new IllegalStateException("rethrowUnhandled() was already called on this handler; call group.handler() for a new one");
            }
            done = true;
            ExceptionGroup unhandled = ExceptionGroup.this;
            List<Throwable> raised = new ArrayList<>();
            Set<Throwable> reraised = identitySet();
            for (int i = 0; i < clauses.size() && unhandled != null; i++) {
                Clause clause = clauses.get(i);
                Parts parts = unhandled.partition(clause.condition());
                if (parts.matched() == null) {
                    continue;
                }
                unhandled = parts.rest();
                try {
                    clause.action().handle(parts.matched());
                } catch (Throwable t) {
                    if (t == parts.matched()) {
                        parts.matched().leaves().forEach(f -> reraised.add(f.error()));
                    } else {
                        if (t instanceof InterruptedException) {
                            Thread.currentThread().interrupt();
                        }
                        raised.add(t);
                    }
                }
            }
            if (!reraised.isEmpty()) {
                if (unhandled != null) {
                    unhandled.leaves().forEach(f -> reraised.add(f.error()));
                }
                unhandled = ExceptionGroup.this.partition(reraised::contains).matched();
            }
            if (raised.isEmpty() && unhandled != null) {
                throw unhandled;
            } else if (!raised.isEmpty()) {
                List<Failure> members = new ArrayList<>(raised.stream().map(t -> new Failure(HANDLER_TASK, t)).toList());
                if (unhandled != null) {
                    members.add(new Failure(UNHANDLED_TASK, unhandled));
                }
                int n = raised.size();
                throw new ExceptionGroup(n + (n == 1 ? " handler" : " handlers") + " threw while handling: " + message, members);
            }
        }
    }

    /**
     * The message given, then a summary of the direct members in parentheses, each as
     * {@code taskName: SimpleClassName: first line of its message}, separated by {@code "; "};
     * after five members the rest are counted as {@code "and K more"}, and each member's message is
     * cut at 100 characters. Example: {@code 2 failures in scope 'fetch' (lookup-a: IOException:
     * boom; lookup-b: IllegalStateException: bad)}. A nested group shows its own {@link #message()}.
     */
    @Override
    public String getMessage() {
        StringBuilder sb = new StringBuilder(message).append(message.isEmpty() ? "(" : " (");
        int shown = Math.min(MESSAGE_MEMBERS, failures.size());
        for (int i = 0; i < shown; i++) {
            Failure f = failures.get(i);
            Throwable e = f.error();
            String detail = e instanceof ExceptionGroup g ? g.message() : e.getMessage();
            String type = e.getClass().getSimpleName().isEmpty() ? e.getClass().getName() : e.getClass().getSimpleName();
            sb.append(i == 0 ? "" : "; ").append(f.taskName()).append(": ").append(type);
            if (detail != null && !detail.isEmpty()) {
                sb.append(": ").append(shorten(detail));
            }
        }
        if (failures.size() > shown) {
            sb.append("; and ").append(failures.size() - shown).append(" more");
        }
        return sb.append(')').toString();
    }

    private static String shorten(String text) {
        String line = text.lines().findFirst().orElse("");
        return line.length() <= MESSAGE_MEMBER_CHARS ? line : line.substring(0, MESSAGE_MEMBER_CHARS) + "...";
    }

    /**
     * Prints this group's class and {@link #message()} with its stack trace, then its members as a
     * numbered tree, each headed with its task name ({@code 1/2: task 'lookup-a'}) and nested groups
     * indented one level deeper; then suppressed exceptions that are not members, then the cause.
     * Members are printed once, in the tree, not again as suppressed exceptions.
     */
    @Override
    public void printStackTrace(PrintStream s) {
        synchronized (s) {
            print(this, "", "", "  ", s::println, identitySet());
        }
    }

    /** Same text as {@link #printStackTrace(PrintStream)}. */
    @Override
    public void printStackTrace(PrintWriter s) {
        synchronized (s) {
            print(this, "", "", "  ", s::println, identitySet());
        }
    }

    /** Prints {@code t}: lead on its first line, prefix on its own lines, a group's members as a tree at treeIndent. */
    private static void print(Throwable t, String lead, String prefix, String treeIndent,
                              Consumer<String> out, Set<Throwable> path) {
        if (!(t instanceof ExceptionGroup group)) {
            StringWriter text = new StringWriter();
            t.printStackTrace(new PrintWriter(text));
            List<String> lines = text.toString().lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                out.accept(prefix + (i == 0 ? lead : "") + lines.get(i));
            }
            return;
        }
        if (!path.add(group)) {
            out.accept(prefix + lead + "[CIRCULAR REFERENCE: " + group + "]");
            return;
        }
        out.accept(prefix + lead + group.getClass().getName() + (group.message.isEmpty() ? "" : ": " + group.message));
        for (StackTraceElement frame : group.getStackTrace()) {
            out.accept(prefix + "\tat " + frame);
        }
        int n = group.failures.size();
        for (int i = 0; i < n; i++) {
            Failure f = group.failures.get(i);
            out.accept(treeIndent + (i == 0 ? "+-+" : "  +") + "---------------- " + (i + 1) + "/" + n
                    + ": task '" + f.taskName() + "' ----------------");
            print(f.error(), "", treeIndent + "  | ", treeIndent + "  ", out, path);
        }
        out.accept(treeIndent + "  +------------------------------------");
        for (Throwable extra : group.nonMemberSuppressed()) {
            print(extra, "Suppressed: ", prefix + "\t", treeIndent + "\t", out, path);
        }
        if (group.getCause() != null) {
            print(group.getCause(), "Caused by: ", prefix, treeIndent, out, path);
        }
        path.remove(group);
    }
}
