package dev.weft;

import static dev.weft.TestSupport.blockForever;
import static dev.weft.TestSupport.catchGroup;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ScopeObserver} and weft-core's JFR events (ADR 0031): what they see, on which thread, and that they cannot hurt. */
class ScopeObserverTest {

    /** Records every call as a line, with the thread it came on where that matters. */
    static final class Log implements ScopeObserver {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final ThreadLocal<String> context = new ThreadLocal<>();

        @Override
        public Object scopeOpened(Scope scope) {
            lines.add("opened " + scope.name() + (Scope.current().orElseThrow() == scope ? " (inside)" : ""));
            return "state-of-" + scope.name();
        }

        @Override
        public void taskForked(Scope scope, Task<?> task) {
            lines.add("forked " + task.name() + " into " + scope.name());
        }

        @Override
        public <T> Callable<T> wrap(Scope scope, Task<?> task, Callable<T> work) {
            String captured = "ctx-from-" + Thread.currentThread().getName();
            return () -> {
                context.set(captured);
                try {
                    return work.call();
                } finally {
                    context.remove();
                }
            };
        }

        @Override
        public void taskEnded(Scope scope, Task<?> task) {
            lines.add("ended " + task.name() + " " + task.state());
        }

        @Override
        public void scopeCancelled(Scope scope, CancelReason reason) {
            lines.add("cancelled " + scope.name() + " " + reason.kind());
        }

        @Override
        public void scopeClosed(Scope scope, Object state, ScopeSummary s) {
            lines.add("closed " + scope.name() + " " + state + " tasks=" + s.tasksForked() + " failures=" + s.failures() + " " + s.outcome());
        }
    }

    @Test
    void aScopeObserverSeesTheLifeOfItsScopeAndTheScopesNestedInIt() {
        Log log = new Log();
        AtomicReference<String> seenInTask = new AtomicReference<>();
        Scope.builder().name("request").observer(log).run(scope -> {
            scope.fork("lookup", () -> {
                seenInTask.set(log.context.get()); // the wrapper carried a context onto the task's thread
                return Scope.builder().name("inner").run(inner -> "x");
            }).join();
            return null;
        });
        assertThat(log.lines).containsExactly(
                "opened request (inside)",
                "forked lookup into request",
                "opened inner (inside)",
                "closed inner state-of-inner tasks=0 failures=0 VALUE",
                "ended lookup SUCCEEDED",
                "closed request state-of-request tasks=1 failures=0 VALUE");
        assertThat(seenInTask.get()).startsWith("ctx-from-");
        // a tree opened without the observer does not see it
        Scope.run(scope -> null);
        assertThat(log.lines).hasSize(6);
    }

    @Test
    void failuresCancellationsAndOutcomesAreReported() {
        Log log = new Log();
        catchGroup(() -> Scope.builder().name("failing").observer(log).run(scope -> {
            scope.fork("boom", () -> {
                throw new IllegalStateException("boom");
            });
            return blockForever();
        }));
        assertThat(log.lines).contains("ended boom FAILED", "cancelled failing TASK_FAILED",
                "closed failing state-of-failing tasks=1 failures=1 FAILED");

        log.lines.clear();
        Scope.builder().name("search").observer(log).moveOn(scope -> {
            scope.cancel("found");
            return blockForever();
        });
        assertThat(log.lines).containsExactly("opened search (inside)", "cancelled search REQUESTED",
                "closed search state-of-search tasks=0 failures=0 CUT_SHORT");
    }

    @Test
    void aProcessWideObserverSeesTreesOpenedWhileRegistered_andAThrowingOneChangesNothing() {
        Log log = new Log();
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        ScopeObserver broken = new ScopeObserver() {
            @Override
            public void taskForked(Scope scope, Task<?> task) {
                throw new IllegalStateException("observer bug");
            }
        };
        Thread.UncaughtExceptionHandler previous = Thread.currentThread().getUncaughtExceptionHandler();
        Thread.currentThread().setUncaughtExceptionHandler((t, e) -> reported.add(e));
        try (ScopeObserver.Registration r1 = ScopeObserver.register(log); ScopeObserver.Registration r2 = ScopeObserver.register(broken)) {
            String v = Scope.builder().name("global").run(scope -> scope.fork("t", () -> "ok").join());
            assertThat(v).isEqualTo("ok");
        } finally {
            Thread.currentThread().setUncaughtExceptionHandler(previous);
        }
        assertThat(log.lines).contains("opened global (inside)", "closed global state-of-global tasks=1 failures=0 VALUE");
        assertThat(reported).singleElement().satisfies(e -> assertThat(e).hasMessage("observer bug"));
        log.lines.clear();
        Scope.run(scope -> null); // unregistered
        assertThat(log.lines).isEmpty();
    }

    @Test
    void flightRecorderGetsScopeAndCancellationEvents(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("weft.jfr");
        try (Recording r = new Recording()) {
            r.enable("dev.weft.Scope").withThreshold(Duration.ZERO);
            r.enable("dev.weft.Cancellation");
            r.enable("dev.weft.LoaderBatch").withThreshold(Duration.ZERO);
            r.start();
            Scope.builder().name("recorded").moveOn(scope -> {
                scope.fork(() -> 1);
                scope.fork(() -> 2);
                scope.cancel("enough");
                return null;
            });
            dev.weft.batch.Loader<Integer, Integer> doubles = dev.weft.batch.Loader
                    .builder((List<Integer> ks) -> { java.util.Map<Integer, Integer> m = new java.util.HashMap<>(); for (int k : ks) m.put(k, 2 * k); return m; })
                    .name("doubles").build();
            Scope.run(scope -> doubles.loadAll(List.of(1, 2, 3)));
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("dev.weft.Scope");
            assertThat(e.getString("scope")).isEqualTo("recorded");
            assertThat(e.getInt("tasks")).isEqualTo(2);
            assertThat(e.getString("outcome")).isEqualTo("VALUE");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("dev.weft.LoaderBatch");
            assertThat(e.getString("loader")).isEqualTo("doubles");
            assertThat(e.getInt("keys")).isEqualTo(3);
            assertThat(e.getString("reason")).isEqualTo("QUIESCENCE");
            assertThat(e.getBoolean("failed")).isFalse();
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("dev.weft.Cancellation");
            assertThat(e.getString("scope")).isEqualTo("recorded");
            assertThat(e.getString("kind")).isEqualTo("REQUESTED");
            assertThat(e.getString("message")).endsWith("enough");
        });
    }

    /** Pushes its name on a shared thread-local stack when a scope opens and in each task; pops it after. */
    static final class Pusher implements ScopeObserver {
        static final ThreadLocal<java.util.ArrayDeque<String>> STACK = ThreadLocal.withInitial(java.util.ArrayDeque::new);
        final String name;
        final List<String> seen;

        Pusher(String name, List<String> seen) {
            this.name = name;
            this.seen = seen;
        }

        @Override
        public Object scopeOpened(Scope scope) {
            STACK.get().push(name);
            return null;
        }

        @Override
        public <T> Callable<T> wrap(Scope scope, Task<?> task, Callable<T> work) {
            return () -> {
                STACK.get().push(name);
                try {
                    return work.call();
                } finally {
                    seen.add("in task, " + name + " pops " + STACK.get().pop());
                }
            };
        }

        @Override
        public void scopeClosed(Scope scope, Object state, ScopeSummary summary) {
            seen.add(name + " pops " + STACK.get().pop());
        }
    }

    @Test
    void observersNestLikeTheirContexts_firstOpenedIsLastClosedAndOutermostInTasks() {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (ScopeObserver.Registration r = ScopeObserver.register(new Pusher("tracer", seen))) {
            Scope.builder().name("nest").observer(new Pusher("mdc", seen)).run(s -> {
                s.fork(() -> {
                    seen.add("task sees " + List.copyOf(Pusher.STACK.get()));
                    return null;
                });
                return null;
            });
        }
        assertThat(seen).containsExactly("task sees [mdc, tracer]", "in task, mdc pops mdc", "in task, tracer pops tracer",
                "mdc pops mdc", "tracer pops tracer");
    }

    @Test
    void anObserverGivenAgainToAScopeThatHasItAlreadySeesTheScopeOnce() {
        List<String> seen = new CopyOnWriteArrayList<>();
        Pusher tracer = new Pusher("tracer", seen);
        try (ScopeObserver.Registration r = ScopeObserver.register(tracer)) {
            Scope.builder().name("outer").observer(tracer).run(s -> Scope.builder().name("inner").observer(tracer).run(i -> null));
        }
        assertThat(seen).containsExactly("tracer pops tracer", "tracer pops tracer");
        assertThat(Pusher.STACK.get()).isEmpty();
    }
}
