package dev.weft;

import static dev.weft.TestSupport.catchGroup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The completion hook of ADR 0016: {@link Scope#onCompletion}. */
class ScopeCompletionTest {

    private static final Object SUCCESS = new Object();

    @Test
    void runsAfterEveryTaskFinishedWithNullOnSuccessOnTheOwnerThreadInTheParent() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        AtomicReference<Object> seen = new AtomicReference<>();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        AtomicReference<Optional<Scope>> currentThere = new AtomicReference<>();
        CountDownLatch release = new CountDownLatch(1);
        String value = Scope.run(scope -> {
            scope.fork(() -> {
                TestSupport.await(release);
                log.add("task done");
                return null;
            });
            scope.onCompletion(f -> {
                log.add("completion");
                seen.set(f == null ? SUCCESS : f);
                ranOn.set(Thread.currentThread());
                currentThere.set(Scope.current());
            });
            release.countDown();
            return "v";
        });
        assertThat(value).isEqualTo("v");
        assertThat(log).containsExactly("task done", "completion");
        assertThat(seen.get()).isSameAs(SUCCESS);
        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
        assertThat(currentThere.get()).isEmpty();
    }

    @Test
    void nestedScopeActionRunsInTheEnclosingScope() {
        AtomicReference<Scope> outer = new AtomicReference<>();
        AtomicReference<Optional<Scope>> there = new AtomicReference<>();
        Scope.run(o -> {
            outer.set(o);
            Scope.run(inner -> {
                inner.onCompletion(f -> there.set(Scope.current()));
                return null;
            });
            return null;
        });
        assertThat(there.get()).containsSame(outer.get());
    }

    @Test
    void receivesTheGroupTheScopeThrowsAndRunsInOrder() {
        List<Object> seen = new ArrayList<>();
        ExceptionGroup g = catchGroup(() -> Scope.run(scope -> {
            scope.onCompletion(f -> seen.add("first:" + (f == null ? "ok" : f.getClass().getSimpleName())));
            scope.onCompletion(seen::add);
            scope.fork(() -> {
                throw new IllegalStateException("boom");
            });
            return null;
        }));
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).isEqualTo("first:ExceptionGroup");
        assertThat(seen.get(1)).isSameAs(g);
    }

    @Test
    void registeredFromATask() {
        AtomicReference<Object> seen = new AtomicReference<>();
        Scope.run(scope -> {
            scope.fork(() -> {
                Scope.current().orElseThrow().onCompletion(f -> seen.set(f == null ? SUCCESS : f));
                return null;
            }).join();
            return null;
        });
        assertThat(seen.get()).isSameAs(SUCCESS);
    }

    @Test
    void deadlineAndCancellationOutcomes() {
        FakeClock clock = new FakeClock();
        AtomicReference<Throwable> failAfter = new AtomicReference<>();
        Throwable thrown = catchThrowable(() -> Scope.builder().clock(clock).timeout(Duration.ZERO).run(scope -> {
            scope.onCompletion(failAfter::set);
            Weft.checkpoint();
            return null;
        }));
        assertThat(thrown).isInstanceOf(DeadlineExceeded.class);
        assertThat(failAfter.get()).isSameAs(thrown);

        AtomicReference<Throwable> cutShort = new AtomicReference<>();
        MoveOnResult<Object> r = Scope.builder().clock(clock).timeout(Duration.ZERO).moveOn(scope -> {
            scope.onCompletion(cutShort::set);
            Weft.checkpoint();
            return null;
        });
        assertThat(r.hasValue()).isFalse();
        assertThat(cutShort.get()).isInstanceOfSatisfying(Cancelled.class,
                c -> assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.DEADLINE));

        AtomicReference<Throwable> cancelled = new AtomicReference<>();
        Throwable c = catchThrowable(() -> Scope.run(scope -> {
            scope.onCompletion(cancelled::set);
            scope.cancel("enough");
            Weft.checkpoint();
            return null;
        }));
        assertThat(c).isInstanceOf(Cancelled.class);
        assertThat(cancelled.get()).isSameAs(c);
        Thread.interrupted(); // the test thread keeps nothing of the cancelled scope
    }

    @Test
    void anActionThatThrowsDoesNotStopTheOthersAndIsReported() {
        List<String> ran = new ArrayList<>();
        RuntimeException bad = new RuntimeException("bad action");
        ExceptionGroup g = catchGroup(() -> Scope.run(scope -> {
            scope.onCompletion(f -> {
                throw bad;
            });
            scope.onCompletion(f -> ran.add("second"));
            return "value";
        }));
        assertThat(ran).containsExactly("second");
        assertThat(g.failures()).singleElement().satisfies(f -> {
            assertThat(f.taskName()).isEqualTo("<on-completion>");
            assertThat(f.error()).isSameAs(bad);
        });

        RuntimeException worse = new RuntimeException("worse");
        ExceptionGroup failed = catchGroup(() -> Scope.run(scope -> {
            scope.onCompletion(f -> {
                throw worse;
            });
            throw new IllegalStateException("body");
        }));
        assertThat(failed.getSuppressed()).contains(worse);
    }

    @Test
    void registeringAfterTheScopeEndedFails() {
        AtomicReference<Scope> leaked = new AtomicReference<>();
        Scope.run(scope -> {
            leaked.set(scope);
            scope.onCompletion(f -> {});
            return null;
        });
        assertThatThrownBy(() -> leaked.get().onCompletion(f -> {}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already finished");
        assertThatThrownBy(() -> leaked.get().onCompletion(null)).isInstanceOf(NullPointerException.class);
    }
}
