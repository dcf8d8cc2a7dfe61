package dev.weft.guide;

import dev.weft.Cancelled;
import dev.weft.ExceptionGroup;
import dev.weft.FakeClock;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TaskFailedException;
import dev.weft.Weft;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CyclicBarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The snippets of docs/guide/errors.md. */
class ErrorsGuideTest extends GuideTest {

    /** Makes the two loads below fail at the same moment, so both failures are reported every time. */
    final CyclicBarrier together = new CyclicBarrier(2);

    String loadProfile(String user) throws Exception {
        together.await();
        throw new IOException("profile service unreachable");
    }

    String loadOrders(String user) throws Exception {
        together.await();
        throw new IllegalArgumentException("no such user: " + user);
    }

    @Test
    void aJoinedFailureIsReportedOnceAndUnwrapsWithSingle() {
        // tag::single[]
        try {
            Scope.builder().name("report").run(scope -> {
                Task<Integer> count = scope.fork("count", () -> Integer.parseInt("many"));
                return count.join();              // throws TaskFailedException, which the scope does not report
            });
        } catch (ExceptionGroup group) {
            System.out.println(group.getMessage());
            Throwable cause = group.single();     // the one failure, through any nesting
            System.out.println(cause.getClass().getSimpleName());
        }
        // end::single[]
        assertThat(printed()).containsExactly(
                "1 failure in scope 'report' (count: NumberFormatException: For input string: \"many\")",
                "NumberFormatException");
    }

    @Test
    void joinThrowsTaskFailedExceptionWithTheCauseAndTheScopeReportsTheTaskOnce() {
        TaskFailedException[] joined = new TaskFailedException[1];
        ExceptionGroup group = assertThrows(ExceptionGroup.class, () -> Scope.run(scope -> {
            Task<Integer> count = scope.fork("count", () -> Integer.parseInt("many"));
            try {
                return count.join();
            } catch (TaskFailedException e) {
                joined[0] = e;
                throw e;
            }
        }));
        assertThat(joined[0].taskName()).isEqualTo("count");
        assertThat(joined[0].getCause()).isInstanceOf(NumberFormatException.class);
        assertThat(group.failures()).singleElement().satisfies(f -> {
            assertThat(f.taskName()).isEqualTo("count");
            assertThat(f.error()).isSameAs(joined[0].getCause());
        });
    }

    @Test
    void eachKindIsHandledOnce() {
        // tag::handler[]
        try {
            Scope.builder().name("page").run(scope -> {
                scope.fork("profile", () -> loadProfile("ada"));
                scope.fork("orders", () -> loadOrders("ada"));
                return null;
            });
        } catch (ExceptionGroup group) {
            group.handler()
                 .on(IOException.class, io -> System.out.println("retry later: " + io.leaves()))
                 .on(IllegalArgumentException.class, bad -> System.out.println("bad request: " + bad.leaves()))
                 .rethrowUnhandled();                 // anything else goes on up, in a group
        }
        // end::handler[]
        assertThat(printed()).containsExactly(
                "retry later: [Failure[taskName=profile, error=java.io.IOException: profile service unreachable]]",
                "bad request: [Failure[taskName=orders, error=java.lang.IllegalArgumentException: no such user: ada]]");
    }

    @Test
    void splitAndLeaves() {
        ExceptionGroup group = assertThrows(ExceptionGroup.class, () -> Scope.builder().name("page").run(scope -> {
            scope.fork("profile", () -> loadProfile("ada"));
            scope.fork("orders", () -> loadOrders("ada"));
            return null;
        }));
        // tag::split[]
        ExceptionGroup.Split parts = group.split(IOException.class);
        parts.matched().ifPresent(io -> System.out.println("I/O: " + io.exceptions()));
        parts.rest().ifPresent(rest -> System.out.println("the rest: " + rest.exceptions()));
        for (ExceptionGroup.Failure f : group.leaves()) {
            System.out.println(f.taskName() + " failed with " + f.error());
        }
        // end::split[]
        assertThat(printed()).startsWith(
                "I/O: [java.io.IOException: profile service unreachable]",
                "the rest: [java.lang.IllegalArgumentException: no such user: ada]");
        assertThat(printed().subList(2, 4)).containsExactlyInAnyOrder(   // leaves: in the order the failures came
                "profile failed with java.io.IOException: profile service unreachable",
                "orders failed with java.lang.IllegalArgumentException: no such user: ada");
    }

    @Test
    void aNestedScopesFailureIsAMemberGroup() {
        ExceptionGroup group = assertThrows(ExceptionGroup.class, () ->
                // tag::nested-group[]
                Scope.builder().name("outer").run(outer -> {
                    outer.fork("inner-work", () -> Scope.builder().name("inner").run(inner -> {
                        inner.fork("parse", () -> Integer.parseInt("x"));
                        return null;
                    }));
                    return null;
                })
                // end::nested-group[]
        );
        System.out.println(group.getMessage());
        System.out.println(group.leaves().get(0).taskName());
        assertThat(printed()).containsExactly(
                "1 failure in scope 'outer' (inner-work: ExceptionGroup: 1 failure in scope 'inner')",
                "parse");
        assertThat(group.single()).isInstanceOf(NumberFormatException.class);
    }

    final java.util.concurrent.atomic.AtomicInteger syncs = new java.util.concurrent.atomic.AtomicInteger();

    /** Fails the first time, then works. */
    void syncOnce() throws IOException {
        if (syncs.incrementAndGet() == 1) throw new IOException("inventory service unreachable");
    }

    @Test
    void catchingExceptionMustLetCancelledThrough() {
        MoveOnResult<Object> r = Scope.builder().clock(new FakeClock().autojump()).timeout(Duration.ofSeconds(45)).moveOn(scope -> {
            // tag::catch-all[]
            scope.fork("sync", () -> {
                while (true) {
                    try {
                        syncOnce();
                        Weft.sleep(Duration.ofSeconds(30));
                    } catch (Cancelled c) {
                        throw c;                      // without this, catch (Exception) takes the cancellation
                    } catch (Exception e) {           // too, and the loop goes round forever
                        System.out.println("sync failed, trying again: " + e.getMessage());
                    }
                }
            });
            // end::catch-all[]
            return null;
        });
        assertThat(r.timedOut()).isTrue();
        assertThat(printed()).containsExactly("sync failed, trying again: inventory service unreachable");
        assertThat(syncs).hasValue(3);   // at 0 s (failed), at once again, at 30 s; cancelled at 45 s
    }
}
