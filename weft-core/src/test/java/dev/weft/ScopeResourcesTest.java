package dev.weft;

import static dev.weft.TestSupport.blockForever;
import static dev.weft.TestSupport.catchGroup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.TestSupport.Marker;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code scope.use(resource)}: closed once every task has finished, in reverse order, failures reported. */
class ScopeResourcesTest {

    private final List<String> events = new CopyOnWriteArrayList<>();

    @SuppressWarnings("try") // close() throws Exception, InterruptedException included: a test resource may fail any way
    private final class Res implements AutoCloseable {
        final String name;
        final Exception failure;
        Optional<Scope> closedIn;
        boolean interruptedAtClose;

        Res(String name, Exception failure) {
            this.name = name;
            this.failure = failure;
        }

        @Override
        public void close() throws Exception {
            closedIn = Scope.current();
            interruptedAtClose = Thread.currentThread().isInterrupted();
            events.add("close " + name);
            if (failure != null) throw failure;
        }

        @Override
        public String toString() {
            return "Res[password=hunter2]";
        }
    }

    @Test
    void closedAfterEveryTaskHasFinished_inReverseOrder_onTheOwnerOutsideTheScope() {
        Res a = new Res("a", null);
        Res b = new Res("b", null);
        Scope.run(outer -> Scope.run(scope -> {
            scope.use(a);
            scope.fork(() -> {
                Weft.sleep(java.time.Duration.ofMillis(2));
                scope.use(b); // a task may tie a resource too
                events.add("task done");
                return null;
            });
            return null;
        }));
        assertThat(events).containsExactly("task done", "close b", "close a");
        assertThat(a.closedIn).as("closed back in the enclosing scope").isPresent();
    }

    @Test
    void aFailingCloseIsAFailureOfTheScope_andTheOthersAreStillClosed() {
        IOException flushFailed = new IOException("flush failed");
        Res a = new Res("a", null);
        Res b = new Res("b", flushFailed);
        ExceptionGroup g = catchGroup(() -> Scope.run(scope -> {
            scope.use(a);
            scope.use(b);
            return "value";
        }));
        assertThat(g.failures()).singleElement().satisfies(f -> {
            assertThat(f.taskName()).isEqualTo("close Res#2");
            assertThat(f.error()).isSameAs(flushFailed);
        });
        assertThat(events).containsExactly("close b", "close a");
        assertThat(g.getMessage()).doesNotContain("hunter2");
    }

    @Test
    void aFailedScopeStillCloses_andBothFailuresAreReported() {
        Marker boom = new Marker("task failed");
        IOException closeFailed = new IOException("close failed");
        ExceptionGroup g = catchGroup(() -> Scope.run(scope -> {
            scope.use(new Res("r", closeFailed));
            scope.fork("worker", () -> {
                throw boom;
            });
            return blockForever();
        }));
        assertThat(g.failures()).extracting(ExceptionGroup.Failure::taskName).containsExactlyInAnyOrder("worker", "close Res#1");
    }

    @Test
    void aCancelledScopeClosesWithoutTheInterruptOfItsOwnCancellation() {
        Res r = new Res("r", null);
        MoveOnResult<Object> m = Scope.moveOnAfter(java.time.Duration.ZERO, scope -> {
            scope.use(r);
            return blockForever();
        });
        assertThat(m.timedOut()).isTrue();
        assertThat(r.interruptedAtClose).isFalse();
        assertThat(events).containsExactly("close r");
    }

    @Test
    void aResourceHandedToAnEndedScopeIsClosedAtOnceAndRefused() {
        AtomicReference<Scope> ended = new AtomicReference<>();
        Scope.run(scope -> {
            ended.set(scope);
            return null;
        });
        Res late = new Res("late", null);
        assertThatThrownBy(() -> ended.get().use(late)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has ended and closed its resources");
        assertThat(events).containsExactly("close late");
    }

    @Test
    void manyTasksTyingResourcesAtOnceLoseNone() {
        AtomicInteger closed = new AtomicInteger();
        Scope.run(scope -> {
            for (int i = 0; i < 200; i++) scope.fork(() -> scope.use(closed::incrementAndGet));
            return null;
        });
        assertThat(closed).hasValue(200);
    }
}
