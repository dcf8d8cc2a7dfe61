package dev.weft;

import static dev.weft.FraySupport.check;
import static dev.weft.FraySupport.explore;
import static dev.weft.FraySupport.iterations;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S1, S2 under Fray: the interleavings of fork, complete, join, cancel and scope exit. Each
 * scenario is a body and two tasks; Fray runs it under many schedules (see {@link FraySupport})
 * and each one must keep the contract: every failure reported exactly once, under the task it
 * came from, never a cancellation it caused (S2); no thread of the scope alive once {@code run}
 * returned (S1).
 *
 * <p>The checks inside scenarios are plain Java rather than AssertJ: all the code a scenario runs
 * goes through Fray's instrumentation, and a library's internals would only slow every iteration.
 */
class ScopeFrayTest {

    /**
     * S2: the body joins a task that fails (the scenario of bug 1 in issue 10). The failure is the
     * task's, reported once under its name; the body, which ends by passing it on through
     * {@code join}, adds nothing.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s2_aTaskFailureTheBodyJoinsIsReportedOnceUnderTheTask() {
        explore("S2 a joined task fails", iterations(100, 400), () -> {
            IOException down = new IOException("fetch-a is down");
            ExceptionGroup g = expectGroup(() -> Scope.run(s -> {
                Task<String> a = s.fork("fetch-a", () -> {
                    throw down;
                });
                Task<String> b = s.fork("fetch-b", () -> "b");
                return List.of(a.join(), b.join());
            }));
            checkReportedExactly(g, List.of(new ExceptionGroup.Failure("fetch-a", down)));
        });
    }

    /**
     * S2: two tasks fail while the body joins them. Each failure that happened is reported once
     * under its task; a task whose code never ran (the other's failure cancelled the scope first,
     * ADR 0005) has none. Nothing else: no failure of the body, no cancellation.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s2_twoFailingTasksAreEachReportedOnceUnderTheirOwnNames() {
        explore("S2 two tasks fail", iterations(100, 400), () -> {
            List<ExceptionGroup.Failure> thrown = Collections.synchronizedList(new ArrayList<>());
            ExceptionGroup g = expectGroup(() -> Scope.run(s -> {
                Task<String> a = s.fork("fetch-a", () -> fail(thrown, "fetch-a"));
                Task<String> b = s.fork("fetch-b", () -> fail(thrown, "fetch-b"));
                return List.of(a.join(), b.join());
            }));
            checkReportedExactly(g, List.copyOf(thrown));
        });
    }

    /**
     * S1: when {@code run} returns, every thread it started for the scope has ended (bug 2 of
     * issue 10). What fails an iteration is a task thread whose work has not returned
     * ({@link FraySupport.TaskThreads}); {@code isAlive()}, the contract's own words, is asked too
     * and failed on after the exploration ({@link FraySupport#checkAfterwards}).
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s1_noTaskThreadIsAliveWhenRunReturns() {
        explore("S1 the body returns", iterations(100, 400), () -> {
            String v = Scope.run(s -> {
                s.fork("a", () -> "a");
                s.fork("b", () -> "b");
                return "done";
            });
            check(v.equals("done"), () -> "run returned " + v);
            checkAllEnded(2);
        });
    }

    /**
     * S1 and S2 on the cancellation path: a task fails while its sibling sleeps (a Weft wait that
     * only the cancellation ends, an interrupt under Fray's control). The scope reports the failure
     * once and not the sibling's cancellation; both threads have ended when {@code run} throws.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s1_s2_aFailureCancelsASleepingSiblingAndOnlyTheFailureIsReported() {
        explore("S1 S2 a failure cancels a sleeper", iterations(100, 400), () -> {
            IOException down = new IOException("boom");
            ExceptionGroup g = expectGroup(() -> Scope.builder().clock(clock()).run(s -> {
                s.fork("sleeper", () -> {
                    Weft.sleep(Duration.ofDays(1)); // on a clock nobody advances: only cancellation ends it
                    return "woke";
                });
                s.fork("boom", () -> {
                    throw down;
                });
                return "body";
            }));
            checkReportedExactly(g, List.of(new ExceptionGroup.Failure("boom", down)));
            checkAllEnded(2);
        });
    }

    /**
     * S2, S3, S4: a task cancels the scope while the body joins a sleeping sibling. The body ends by
     * the cancellation, so {@code run} throws {@link Cancelled} with the requested reason, and
     * nothing is reported as a failure; no thread is left.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s2_aScopeCancelledFromATaskEndsWithItsReasonAndNoFailure() {
        explore("S2 a task cancels the scope", iterations(100, 400), () -> {
            Throwable thrown = null;
            try {
                Scope.builder().clock(clock()).run(s -> {
                    Task<String> sleeper = s.fork("sleeper", () -> {
                        Weft.sleep(Duration.ofDays(1));
                        return "woke";
                    });
                    s.fork("canceller", () -> {
                        s.cancel("enough");
                        return "cancelled";
                    });
                    return sleeper.join();
                });
            } catch (Throwable t) {
                thrown = t;
            }
            Throwable t = thrown;
            check(t instanceof Cancelled c && c.reason().kind() == CancelReason.Kind.REQUESTED,
                    () -> "run should throw Cancelled (REQUESTED), threw " + t);
            checkAllEnded(2);
        });
    }

    // ---------------------------------------------------------------- scenario helpers

    /** A clock nobody advances, so a sleep ends only by cancellation. */
    static FakeClock clock() {
        return new FakeClock(Instant.EPOCH);
    }

    static String fail(List<ExceptionGroup.Failure> thrown, String task) throws IOException {
        IOException e = new IOException(task + " failed");
        thrown.add(new ExceptionGroup.Failure(task, e));
        throw e;
    }

    static ExceptionGroup expectGroup(Runnable run) {
        try {
            run.run();
        } catch (ExceptionGroup g) {
            return g;
        } catch (Throwable t) {
            throw new AssertionError("the scope should throw an ExceptionGroup, threw " + t, t);
        }
        throw new AssertionError("the scope should throw an ExceptionGroup, returned");
    }

    /** S2: the group holds exactly {@code expected} (task name and the very exception), in any order, each once. */
    static void checkReportedExactly(ExceptionGroup g, List<ExceptionGroup.Failure> expected) {
        List<ExceptionGroup.Failure> got = g.failures();
        boolean same = got.size() == expected.size();
        for (ExceptionGroup.Failure e : expected) {
            long n = got.stream().filter(f -> f.taskName().equals(e.taskName()) && f.error() == e.error()).count();
            same &= n == 1;
        }
        boolean ok = same;
        check(ok, () -> "S2: every failure exactly once under its task; expected " + expected + ", the scope reported " + got);
    }

    /**
     * S1: the scope started {@code count} threads, and the work of each has returned; none is
     * alive (checked after the exploration, see {@link FraySupport#checkAfterwards}).
     */
    static void checkAllEnded(int count) {
        List<FraySupport.TaskThreads.Started> threads = FraySupport.TaskThreads.INSTANCE.all();
        check(threads.size() == count, () -> count + " task threads should have been started, saw " + threads);
        for (FraySupport.TaskThreads.Started s : threads) {
            boolean returned = s.workReturned; // read once: the message must say what the check saw
            check(returned, () -> "S1: run returned while the work of task thread '" + s.thread.getName() + "' had not returned");
            FraySupport.checkAfterwards(!s.thread.isAlive(), () -> "S1: task thread " + s + " was alive after run returned");
        }
    }
}
