package dev.weft.guide;

import dev.weft.Cancelled;
import dev.weft.ContextKey;
import dev.weft.ExceptionGroup;
import dev.weft.FakeClock;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.SynchronousQueue;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippets of docs/guide/scopes.md, and what the page says about them. */
class ScopesGuideTest extends GuideTest {

    /** Stands for any blocking call: HTTP, JDBC, a file. */
    static String fetch(String path) {
        return "page " + path;
    }

    @Test
    void fanOutReturnsBothPages() {
        // tag::fan-out[]
        List<String> pages = Scope.run(scope -> {
            Task<String> a = scope.fork("fetch-a", () -> fetch("/a"));   // a virtual thread each
            Task<String> b = scope.fork("fetch-b", () -> fetch("/b"));
            return List.of(a.join(), b.join());
        });
        System.out.println(pages);
        // end::fan-out[]
        assertThat(printed()).containsExactly("[page /a, page /b]");
    }

    @Test
    void aFailureCancelsTheOtherTasksAndIsReportedOnce() {
        long start = System.nanoTime();
        // tag::failure-cancels-siblings[]
        try {
            Scope.builder().name("fetch").run(scope -> {
                scope.fork("slow", () -> {
                    Weft.sleep(Duration.ofMinutes(1));        // cancelled when "broken" fails
                    return "too late";
                });
                scope.fork("broken", () -> {
                    throw new IOException("connection reset");
                });
                return null;
            });
        } catch (ExceptionGroup group) {
            System.out.println(group.getMessage());
        }
        // end::failure-cancels-siblings[]
        assertThat(printed()).containsExactly("1 failure in scope 'fetch' (broken: IOException: connection reset)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void cancellationIsLevelTriggeredAndCarriesItsReason() {
        // tag::level-triggered[]
        try {
            Scope.builder().name("import").run(scope -> {
                scope.cancel("user pressed stop");
                try {
                    Weft.sleep(Duration.ofSeconds(5));       // throws at once: the scope is cancelled
                } catch (Cancelled c) {
                    System.out.println("caught: " + c.reason());
                }
                Weft.checkpoint();                           // throws again: catching did not un-cancel
                return "finished";                           // never reached
            });
        } catch (Cancelled c) {
            System.out.println("run threw Cancelled: " + c.reason().kind());
        }
        // end::level-triggered[]
        assertThat(printed()).containsExactly(
                "caught: scope 'import' cancelled: user pressed stop",
                "run threw Cancelled: REQUESTED");
    }

    @Test
    void aCancelThatEndsTheBodyReachesTheEnclosingScopeAsAFailure() {
        // What the page warns about: a scope that cancels itself and whose body ends by that
        // cancellation throws Cancelled, which the enclosing scope (not cancelled) reports as a
        // failure of its body.
        Throwable thrown = null;
        try {
            Scope.builder().name("outer").run(outer -> {
                Scope.builder().name("inner").run(inner -> {
                    inner.cancel("done early");
                    Weft.checkpoint();
                    return null;
                });
                return null;
            });
        } catch (ExceptionGroup group) {
            thrown = group.single();
        }
        assertThat(thrown).isInstanceOf(Cancelled.class);
        assertThat(((Cancelled) thrown).reason().message()).isEqualTo("scope 'inner' cancelled: done early");
    }

    @Test
    void moveOnCatchesTheCancelItAskedForItself() {
        // The page's advice for stopping early on purpose: moveOn returns normally.
        MoveOnResult<Object> r = Scope.builder().name("inner").moveOn(inner -> {
            inner.cancel("done early");
            Weft.checkpoint();
            return null;
        });
        assertThat(r.hasValue()).isFalse();
        assertThat(r.cancelReason()).hasValueSatisfying(reason -> assertThat(reason.message()).isEqualTo("scope 'inner' cancelled: done early"));
    }

    @Test
    void aCancelledBodyThatReturnsAValueReturnsIt() {
        // tag::cancel-and-return[]
        String answer = Scope.run(scope -> {
            Task<String> fast = scope.fork(() -> fetch("/fast"));
            scope.fork(() -> { Weft.sleep(Duration.ofHours(1)); return null; });
            String page = fast.join();
            scope.cancel("got what we needed");   // the sleeper is cancelled...
            return page;                          // ...and run still returns the body's value
        });
        // end::cancel-and-return[]
        assertThat(answer).isEqualTo("page /fast");
    }

    @Test
    void aLoopThatCatchesInterruptedExceptionCheckpointsAndEnds() {
        SynchronousQueue<String> queue = new SynchronousQueue<>();
        // The loop can end only through the checkpoint in its catch block: without it, take()
        // would wait again with the interrupt cleared, and the scope would wait for it forever
        // (this test would fail by its timeout).
        Scope.run(scope -> {
            scope.fork("consumer", () -> {
                // tag::interrupted[]
                while (true) {
                    try {
                        String job = queue.take();      // a JDK wait: Weft's cancellation interrupts it
                        System.out.println("took " + job);
                    } catch (InterruptedException e) {
                        Weft.checkpoint();              // cancelled? then this throws Cancelled, and the loop ends
                        // else someone outside Weft interrupted us: carry on
                    }
                }
                // end::interrupted[]
            });
            queue.put("job-1");                   // returns once the consumer took it
            scope.cancel("shutting down");
            return null;
        });
        assertThat(printed()).containsExactly("took job-1");
    }

    @Test
    void aCpuLoopWithCheckpointsStopsAtTheDeadline() {
        long[] data = new long[1 << 16];
        MoveOnResult<Object> result = Scope.moveOnAfter(Duration.ofMillis(50), scope -> {
            scope.fork("search", () -> {
                // tag::checkpoint[]
                long sum = 0;
                while (true) {                            // say, a search that may never end
                    for (long x : data) sum += x;
                    Weft.checkpoint();                    // without it, the scope waits for the loop forever
                }
                // end::checkpoint[]
            });
            return null;
        });
        assertThat(result.timedOut()).isTrue();
    }

    @Test
    void shieldedCleanupRunsToItsEndInACancelledTask() {
        FakeClock clock = new FakeClock().autojump();
        MoveOnResult<String> r = Scope.builder().clock(clock).timeout(Duration.ofSeconds(30)).moveOn(request -> {
            String file = "upload-7.tmp";
            Task<String> task =
            // tag::shield[]
            request.fork("upload", () -> {
                try {
                    return upload(file);                          // cancelled midway
                } finally {
                    Scope.builder().shield().timeout(Duration.ofSeconds(5)).run(cleanup -> {
                        deleteTemporaryFile(file);                // may block: the request's cancellation
                        return null;                              // does not reach it, its own 5 s do
                    });
                }
            });
            // end::shield[]
            return task.join();
        });
        assertThat(r.timedOut()).isTrue();
        assertThat(printed()).containsExactly("deleted upload-7.tmp at 00:00:31");
    }

    static String upload(String file) {
        Weft.sleep(Duration.ofHours(1));
        return "uploaded " + file;
    }

    static void deleteTemporaryFile(String file) {
        Weft.sleep(Duration.ofSeconds(1));   // a slow disk, on the fake clock
        System.out.println("deleted " + file + " at " + Weft.clock().instant().toString().substring(11, 19));
    }

    // tag::context-key[]
    static final ContextKey<String> REQUEST_ID = ContextKey.named("request-id");
    // end::context-key[]

    @Test
    void contextIsVisibleToTheScopeAndItsTasksOnly() {
        // tag::context[]
        Scope.builder().bind(REQUEST_ID, "r-42").run(scope -> {
            scope.fork(() -> {
                System.out.println("task sees " + REQUEST_ID.get());
                return null;
            });
            return null;
        });
        System.out.println("outside: " + REQUEST_ID.find());
        // end::context[]
        assertThat(printed()).containsExactly("task sees r-42", "outside: Optional.empty");
    }
}
