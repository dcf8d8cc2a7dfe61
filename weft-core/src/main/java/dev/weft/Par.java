package dev.weft;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The concurrent patterns everyday code reaches for, each one call: run several things at once
 * ({@link #all}), take the first that succeeds ({@link #race}), map or walk a collection with a
 * concurrency limit ({@link #map}, {@link #forEach}).
 *
 * <pre>{@code
 * List<Price> quotes = Par.all(List.of(() -> acme.quote(item), () -> globex.quote(item)));
 * Page page = Par.race(List.of(() -> primary.get(url), () -> mirror.get(url)));
 * List<Thumbnail> thumbs = Par.map(images, 8, image -> resize(image));   // at most 8 at once
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * Each call opens a scope of its own, nested in the caller's, and so keeps every rule of
 * {@link Scope}: it returns only after every task it forked has ended (S1); the caller's
 * cancellation and deadline reach every task (S3, S6); a failure is reported once, under the
 * task it came from, in an {@link ExceptionGroup}, never the cancellations it caused (S2);
 * context bound by the caller is visible in every task (S10). The tasks run on virtual threads.
 * A caller whose own scope is cancelled while it waits gets {@link Cancelled}.
 *
 * <h2>Implementer's note</h2>
 * Everything here is built on the public {@link Scope} API plus one Weft wait (the limit of
 * {@link #map}); none of it touches the machinery. {@link #race} is the one that must not let a
 * failure cancel its siblings, so its tasks catch their own exceptions and cancel the scope only
 * on the first success (compare the JDK's {@code Joiner.anySuccessfulResultOrThrow()} and Ox's
 * {@code raceSuccess}).
 */
public final class Par {
    private Par() {}

    /** A function of one item that may throw, checked exceptions included. */
    @FunctionalInterface
    public interface Mapper<T, R> {
        /** Computes the result for {@code item}. */
        R apply(T item) throws Exception;
    }

    /** An action on one item that may throw, checked exceptions included. */
    @FunctionalInterface
    public interface Action<T> {
        /** Acts on {@code item}. */
        void accept(T item) throws Exception;
    }

    /**
     * Runs every callable concurrently, each in its own task, and returns their results in the
     * order given (nulls allowed). If one fails, the others are cancelled and this throws.
     *
     * @throws ExceptionGroup with each failure under its task's name ({@code all-1}, {@code all-2}, ...)
     * @throws Cancelled      if the caller's scope is cancelled meanwhile
     * @throws IllegalArgumentException if {@code work} is empty or holds a null
     */
    public static <T> List<T> all(List<? extends Callable<? extends T>> work) {
        List<Callable<? extends T>> copy = checked("all", work);
        return Scope.builder().name("all").run(scope -> {
            List<Task<? extends T>> tasks = new ArrayList<>(copy.size());
            for (int i = 0; i < copy.size(); i++) tasks.add(scope.fork("all-" + (i + 1), copy.get(i)));
            List<T> results = new ArrayList<>(tasks.size());
            for (Task<? extends T> t : tasks) results.add(t.join());
            return Collections.unmodifiableList(results);
        });
    }

    /** As {@link #all(List)}, for callables given one by one. */
    @SafeVarargs
    @SuppressWarnings("varargs") // safe: the array is only read (by private helpers), never stored or returned
    public static <T> List<T> all(Callable<? extends T>... work) {
        return all(arrayToList("all", work));
    }

    /**
     * Runs every callable concurrently and returns the first result that succeeds; the others are
     * then cancelled (with the reason "race won by race-n", S4) and waited for (S1). A failure does
     * not stop the race; only if every callable fails does this throw, with all their failures.
     * A value that succeeds after the winner is dropped: do not race work whose results must be
     * closed or released.
     *
     * @throws ExceptionGroup with every failure under its task's name ({@code race-1}, ...), if all failed
     * @throws Cancelled      if the caller's scope is cancelled before any callable succeeded
     * @throws IllegalArgumentException if {@code work} is empty or holds a null
     */
    public static <T> T race(List<? extends Callable<? extends T>> work) {
        List<Callable<? extends T>> copy = checked("race", work);
        AtomicBoolean won = new AtomicBoolean();
        Object[] winner = new Object[1]; // written by the winner, read after the scope ended (S1)
        List<ExceptionGroup.Failure> failures = Collections.synchronizedList(new ArrayList<>());
        Scope.builder().name("race").run(scope -> {
            for (int i = 0; i < copy.size(); i++) {
                String name = "race-" + (i + 1);
                Callable<? extends T> c = copy.get(i);
                scope.fork(name, () -> {
                    T v;
                    try {
                        v = c.call();
                    } catch (Throwable t) {
                        // A loser cancelled by the winner, or everyone by the caller's cancellation,
                        // is not a failure (S2); anything else is, and the race goes on.
                        if (!(scope.isCancelled() && CancelNode.isCancellation(t))) failures.add(new ExceptionGroup.Failure(name, t));
                        return null;
                    }
                    if (won.compareAndSet(false, true)) {
                        winner[0] = v;
                        scope.cancel("race won by " + name);
                    }
                    return null;
                });
            }
            return null;
        });
        if (won.get()) {
            @SuppressWarnings("unchecked") T v = (T) winner[0];
            return v;
        }
        Weft.checkpoint(); // no winner because the caller was cancelled: say that (S3)
        List<ExceptionGroup.Failure> all = List.copyOf(failures);
        throw new ExceptionGroup("all " + all.size() + " tasks of the race failed", all);
    }

    /** As {@link #race(List)}, for callables given one by one. */
    @SafeVarargs
    @SuppressWarnings("varargs") // safe: the array is only read (by private helpers), never stored or returned
    public static <T> T race(Callable<? extends T>... work) {
        return race(arrayToList("race", work));
    }

    /**
     * Applies {@code fn} to every item, at most {@code parallelism} at a time, each call in a
     * task of its own named {@code map[i]} (the item's index), and returns the results in the
     * items' order (nulls allowed). The first failure cancels the rest and this throws. While it
     * waits for a free slot the caller is blocked in a Weft wait, so loaders in {@code fn} batch
     * across the items in flight ({@link dev.weft.batch.Loader Loader}, B1).
     *
     * @throws ExceptionGroup with each failure under {@code map[i]}
     * @throws Cancelled      if the caller's scope is cancelled meanwhile
     * @throws IllegalArgumentException if {@code parallelism} is less than 1
     */
    public static <T, R> List<R> map(Collection<? extends T> items, int parallelism, Mapper<? super T, ? extends R> fn) {
        Objects.requireNonNull(fn, "fn: pass the function to apply to each item, e.g. item -> fetch(item)");
        List<T> list = itemsOf(items, parallelism);
        if (list.isEmpty()) return List.of();
        Object[] results = new Object[list.size()];
        limited("map", list, parallelism, (i, item) -> results[i] = fn.apply(item));
        List<R> out = new ArrayList<>(results.length);
        for (Object r : results) {
            @SuppressWarnings("unchecked") R v = (R) r; // written by the tasks, which ended before (S1)
            out.add(v);
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Runs {@code action} on every item, at most {@code parallelism} at a time, each call in a
     * task of its own named {@code forEach[i]}. The first failure cancels the rest and this throws.
     *
     * @throws ExceptionGroup with each failure under {@code forEach[i]}
     * @throws Cancelled      if the caller's scope is cancelled meanwhile
     * @throws IllegalArgumentException if {@code parallelism} is less than 1
     */
    public static <T> void forEach(Collection<? extends T> items, int parallelism, Action<? super T> action) {
        Objects.requireNonNull(action, "action: pass what to do with each item, e.g. item -> send(item)");
        List<T> list = itemsOf(items, parallelism);
        if (list.isEmpty()) return;
        limited("forEach", list, parallelism, (i, item) -> action.accept(item));
    }

    private interface Indexed<T> {
        void run(int index, T item) throws Exception;
    }

    /**
     * Forks one task per item, waiting (in a Weft wait) while {@code limit} of them run. No item
     * starts after one has failed: the failed task keeps its slot until the cancellation its
     * failure causes reaches the waiting caller.
     */
    private static <T> void limited(String what, List<T> items, int limit, Indexed<T> work) {
        Scope.builder().name(what).run(scope -> {
            AtomicInteger running = new AtomicInteger();
            Thread owner = Thread.currentThread();
            for (int i = 0; i < items.size(); i++) {
                if (running.get() >= limit) Waits.await(() -> running.get() < limit, Deadlines.NONE, running);
                running.incrementAndGet();
                int index = i;
                T item = items.get(i);
                scope.fork(what + "[" + i + "]", () -> {
                    work.run(index, item);
                    // Only a success frees its slot: a failure is about to cancel the scope, and
                    // no further item may start in the moment before it does.
                    running.decrementAndGet();
                    LockSupport.unpark(owner);
                    return null;
                });
            }
            return null;
        });
    }

    private static <T> List<T> itemsOf(Collection<? extends T> items, int parallelism) {
        Objects.requireNonNull(items, "items: pass the collection to work through");
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism is " + parallelism + ": it must be at least 1 (1 runs the items one at a time)");
        }
        return new ArrayList<>(items);
    }

    private static <C> List<C> checked(String what, List<? extends C> work) {
        Objects.requireNonNull(work, "work: pass the callables to run");
        if (work.isEmpty()) throw new IllegalArgumentException(what + " of nothing: pass at least one callable");
        List<C> copy = new ArrayList<>(work.size());
        for (int i = 0; i < work.size(); i++) {
            C c = work.get(i);
            if (c == null) throw new IllegalArgumentException(what + ": callable #" + (i + 1) + " is null");
            copy.add(c);
        }
        return copy;
    }

    private static <C> List<C> arrayToList(String what, C[] work) {
        Objects.requireNonNull(work, "work: pass the callables to run");
        List<C> list = new ArrayList<>(work.length);
        Collections.addAll(list, work);
        return list;
    }
}
