package dev.weft;

import static dev.weft.FraySupport.check;
import static dev.weft.FraySupport.explore;
import static dev.weft.FraySupport.iterations;
import static dev.weft.ScopeFrayTest.checkReportedExactly;
import static dev.weft.ScopeFrayTest.clock;
import static dev.weft.ScopeFrayTest.expectGroup;

import dev.weft.sync.OnceFlag;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * S7 under Fray: {@code start} races the task it starts (its {@code started} signal, its failure,
 * its end) and the scope around them (a sibling's failure, the cancellation that follows). A
 * failure before the signal comes out of {@code start} and is not the scope's; a failure after it
 * is the scope's; and whatever the interleaving, every failure is reported exactly once (S2).
 */
class StartFrayTest {

    /** S7: a failure before {@code started} is thrown by {@code start}, and the scope reports nothing. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s7_aFailureBeforeStartedComesOutOfStartAndNotTheScope() {
        explore("S7 a failure before started", iterations(100, 400), () -> {
            IOException refused = new IOException("port in use");
            AtomicReference<Throwable> fromStart = new AtomicReference<>();
            String v = Scope.run(s -> {
                try {
                    s.start("server", status -> {
                        throw refused;
                    });
                } catch (TaskFailedException e) {
                    fromStart.set(e);
                }
                return "body done";
            });
            check(v.equals("body done"), () -> "run returned " + v);
            Throwable e = fromStart.get();
            check(e != null && e.getCause() == refused,
                    () -> "S7: start should throw the task's failure (wrapped, as it is checked), threw " + e);
        });
    }

    /**
     * S7, S2: {@code start} returns the started value while the task goes on; a failure after that
     * is the scope's, reported once under the task's name. (The task fails only once the body has
     * the value: a failure racing the signal itself cancels the caller while it may still be
     * waiting, and whether {@code start} must then return the value is left to ADR 0025's notes.)
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s7_aFailureAfterStartedIsReportedByTheScopeOnce() {
        explore("S7 a failure after started", iterations(100, 400), () -> {
            IOException crashed = new IOException("crashed while serving");
            OnceFlag served = new OnceFlag();
            AtomicReference<Object> started = new AtomicReference<>();
            ExceptionGroup g = expectGroup(() -> Scope.run(s -> {
                started.set(s.start("server", status -> {
                    status.started("listening");
                    served.await();
                    throw crashed;
                }));
                served.set();
                return "body done";
            }));
            check("listening".equals(started.get()), () -> "S7: start should return the started value, got " + started.get());
            checkReportedExactly(g, List.of(new ExceptionGroup.Failure("server", crashed)));
        });
    }

    /**
     * S7, S2: the task fails before {@code started} while a sibling fails too; the body lets what
     * {@code start} throws escape. Both failures must be in the scope's group, each once (the
     * started task's, as it came out of {@code start}: the body's failure, or under the task): the
     * scope left the first one to the caller of {@code start}, so if it then takes the body's end
     * for a mere consequence of the sibling's cancellation, that failure is reported nowhere.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s7_s2_aFailureBeforeStartedRacingASiblingFailureIsReportedOnce() {
        explore("S7 S2 a failure before started and a sibling failure", iterations(100, 400), () -> {
            IOException boom = new IOException("boom");
            IOException refused = new IOException("port in use");
            List<Throwable> ran = java.util.Collections.synchronizedList(new ArrayList<>());
            ExceptionGroup g = expectGroup(() -> Scope.run(s -> {
                s.fork("boom", () -> {
                    ran.add(boom);
                    throw boom;
                });
                return s.start("server", status -> {
                    ran.add(refused);
                    throw refused;
                });
            }));
            List<Throwable> leaves = new ArrayList<>();
            for (ExceptionGroup.Failure f : g.failures()) leaves.add(f.error());
            for (Throwable t : List.copyOf(ran)) {
                long n = leaves.stream().filter(l -> l == t || l.getCause() == t).count();
                check(n == 1, () -> "S2: the failure '" + t.getMessage() + "' should be reported exactly once, the scope reported "
                        + g.failures());
            }
            check(leaves.size() == ran.size(), () -> "S2: only the failures that happened (" + ran + "), the scope reported "
                    + g.failures());
        });
    }

    /**
     * S7, S3: the caller of {@code start} is cancelled (a sibling failed) while the task has not
     * signalled yet: {@code start} throws {@link Cancelled}, the task is cancelled too and, as it
     * ends by that cancellation, is not reported; only the sibling's failure is.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s7_aStarterCancelledWhileWaitingCancelsTheTask() {
        explore("S7 the starter is cancelled while waiting", iterations(80, 250), () -> {
            IOException boom = new IOException("boom");
            AtomicReference<Throwable> fromStart = new AtomicReference<>();
            ExceptionGroup g = expectGroup(() -> Scope.builder().clock(clock()).run(s -> {
                s.fork("boom", () -> {
                    throw boom;
                });
                try {
                    return s.start("server", status -> {
                        Weft.sleep(Duration.ofDays(1)); // never signals: only the cancellation ends it
                        status.started("late");
                    });
                } catch (Throwable t) {
                    fromStart.set(t);
                    throw t;
                }
            }));
            Throwable t = fromStart.get();
            check(t instanceof Cancelled, () -> "S7: start should throw Cancelled when its caller is cancelled, threw " + t);
            checkReportedExactly(g, List.of(new ExceptionGroup.Failure("boom", boom)));
        });
    }

    /**
     * S7, C4: the task's {@code started(value)} races its starter's cancellation (the starter runs
     * in a nested scope that cancels itself). Either the start happened, and then {@code start}
     * returns the value and the task goes on untouched, or it did not, and then {@code start}
     * throws {@link Cancelled} and the task is cancelled: never a value with a cancelled task, and
     * never {@code Cancelled} with a task left running as if it had been started.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void s7_startedRacingTheStartersCancellationEitherStartsOrNot() {
        explore("S7 started() racing the starter's cancellation", iterations(100, 400), () -> {
            AtomicReference<Object> fromStart = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
            OnceFlag release = new OnceFlag();
            Scope.builder().clock(clock()).run(outer -> {
                Scope.builder().moveOn(inner -> { // catches its own cancel
                    inner.fork(() -> {
                        inner.cancel("stop waiting");
                        return null;
                    });
                    try {
                        fromStart.set(outer.start("server", status -> {
                            status.started("v");
                            release.await();  // may return although cancelled, if the flag is set first
                            Weft.checkpoint(); // so ask: a cancelled task stops here (S3)
                            finished.set(true);
                        }));
                    } catch (Cancelled c) {
                        fromStart.set(c);
                    }
                    return null;
                });
                release.set();
                return null;
            });
            Object r = fromStart.get();
            if ("v".equals(r)) {
                check(finished.get(), () -> "S7: start returned the value, so the task must go on, but it was cancelled");
            } else {
                check(r instanceof Cancelled, () -> "S7: start should return \"v\" or throw Cancelled, got " + r);
                check(!finished.get(), () -> "S7: start threw Cancelled, so the task must be cancelled, but it ran on");
            }
        });
    }
}
