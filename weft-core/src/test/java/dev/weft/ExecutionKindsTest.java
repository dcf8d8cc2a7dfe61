package dev.weft;

import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** S9: CPU tasks on a bounded platform pool, process tasks that die with their scope, one Task type for all. */
class ExecutionKindsTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ CPU

    @Test
    void s9_forkCpuRunsOnAPlatformThreadOfThePoolNamedAfterTheTask() {
        try (CpuPool pool = CpuPool.create("crunch", 1)) {
            AtomicReference<Thread> thread = new AtomicReference<>();
            String name = Scope.builder().cpuPool(pool).run(s -> s.forkCpu("hash-1", () -> {
                thread.set(Thread.currentThread());
                assertThat(Thread.currentThread().isVirtual()).isFalse();
                return Thread.currentThread().getName();
            }).join());
            assertThat(name).isEqualTo("hash-1");
            assertThat(thread.get().getName()).as("the pool thread gets its name back").isEqualTo("crunch-1");
            assertThat(thread.get().isDaemon()).isTrue();
            String unnamed = Scope.builder().name("batch").cpuPool(pool)
                    .run(s -> s.forkCpu(() -> Thread.currentThread().getName()).join());
            assertThat(unnamed).as("an unnamed task's thread carries its scope's name (ADR 0007)").isEqualTo("batch");
        }
    }

    @Test
    void s9_atMostNCpuTasksRunAtOnce() {
        try (CpuPool pool = CpuPool.create("t", 2)) {
            assertThat(pool.threads()).isEqualTo(2);
            AtomicInteger running = new AtomicInteger();
            AtomicInteger max = new AtomicInteger();
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            CountDownLatch twoRunning = new CountDownLatch(2);
            CountDownLatch gate = new CountDownLatch(1);
            Scope.builder().cpuPool(pool).run(s -> {
                List<Task<Integer>> tasks = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    tasks.add(s.forkCpu(() -> {
                        int now = running.incrementAndGet();
                        max.accumulateAndGet(now, Math::max);
                        threads.add(Thread.currentThread());
                        twoRunning.countDown();
                        gate.await();
                        running.decrementAndGet();
                        return now;
                    }));
                }
                twoRunning.await();
                assertThat(tasks).filteredOn(t -> t.state() == TaskState.PENDING).as("queued behind the busy two").hasSize(4);
                gate.countDown();
                for (Task<Integer> t : tasks) t.join();
                return null;
            });
            assertThat(max.get()).isEqualTo(2);
            assertThat(threads).as("six tasks, two pool threads").hasSize(2);
        }
    }

    @Test
    void s9_aBusyCpuTaskStopsAtItsNextCheckpointWhenCancelled() {
        try (CpuPool pool = CpuPool.create("busy", 1)) {
            AtomicInteger laps = new AtomicInteger();
            Task<?> busy = Scope.builder().cpuPool(pool).run(s -> {
                CountDownLatch started = new CountDownLatch(1);
                Task<Object> t = s.forkCpu(() -> {
                    started.countDown();
                    while (true) {
                        Weft.checkpoint();
                        laps.incrementAndGet();
                    }
                });
                started.await();
                s.cancel("enough");
                return t;
            });
            assertThat(busy.state()).isEqualTo(TaskState.CANCELLED);
            boolean interruptedOnReuse = Scope.builder().cpuPool(pool)
                    .run(s -> s.forkCpu(() -> Thread.currentThread().isInterrupted()).join());
            assertThat(interruptedOnReuse).as("no stray interrupt left on the pool thread").isFalse();
        }
    }

    @Test
    void s9_aQueuedCpuTaskCancelledAloneNeverRuns() {
        try (CpuPool pool = CpuPool.create("one", 1)) {
            AtomicBoolean ran = new AtomicBoolean();
            CountDownLatch occupied = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Task<?> queued = Scope.builder().cpuPool(pool).run(s -> {
                s.forkCpu("occupier", () -> {
                    occupied.countDown();
                    release.await();
                    return null;
                });
                occupied.await();
                Task<Object> q = s.forkCpu("queued", () -> {
                    ran.set(true);
                    return null;
                });
                assertThat(q.state()).isEqualTo(TaskState.PENDING);
                q.cancel("not needed");
                assertThat(q.state()).as("completed at once, without waiting for the pool").isEqualTo(TaskState.CANCELLED);
                assertThatThrownBy(q::join).isInstanceOf(TaskCancelledException.class);
                release.countDown();
                return q;
            });
            assertThat(queued.state()).isEqualTo(TaskState.CANCELLED);
            assertThat(ran).isFalse();
        }
    }

    @Test
    void s9_cancellingTheScopeDropsCpuTasksStillQueuedBehindBusyOnes() {
        try (CpuPool pool = CpuPool.create("one", 1)) {
            AtomicBoolean ran = new AtomicBoolean();
            List<Task<?>> tasks = Scope.builder().cpuPool(pool).run(s -> {
                CountDownLatch started = new CountDownLatch(1);
                Task<Object> busy = s.forkCpu(() -> {
                    started.countDown();
                    while (true) Weft.checkpoint();
                });
                started.await();
                Task<Object> queued = s.forkCpu(() -> {
                    ran.set(true);
                    return null;
                });
                s.cancel("stop all");
                return List.of(busy, queued);
            });
            assertThat(tasks).extracting(Task::state).containsOnly(TaskState.CANCELLED);
            assertThat(ran).isFalse();
        }
    }

    @Test
    void s9_aCpuTaskForkedIntoACancelledScopeDoesNotWaitForABusyPool() throws Throwable {
        try (CpuPool pool = CpuPool.create("busy-elsewhere", 1)) {
            CountDownLatch occupied = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean ran = new AtomicBoolean();
            FutureTask<Object> other = inThread(() -> Scope.builder().cpuPool(pool).run(s -> s.forkCpu(() -> {
                occupied.countDown();
                CancellationTest.awaitUninterruptibly(release);
                return null;
            }).join()));
            try {
                occupied.await();
                FutureTask<TaskState> cancelled = inThread(() -> Scope.builder().cpuPool(pool).run(s -> {
                    s.cancel("stop");
                    Task<Object> t = s.forkCpu(() -> {
                        ran.set(true);
                        return null;
                    });
                    return t;
                }).state());
                // While the pool is still busy with another scope's task:
                assertThat(cancelled.get(5, SECONDS)).isEqualTo(TaskState.CANCELLED);
                assertThat(ran).isFalse();
            } catch (TimeoutException e) {
                throw new AssertionError("the cancelled scope waited for the busy pool to reach its task", e);
            } finally {
                release.countDown();
                outcome(other);
            }
        }
    }

    @Test
    void s9_closedPoolRejectsForksNamingThePool() {
        CpuPool pool = CpuPool.create("closed-pool", 1);
        pool.close();
        String r = Scope.builder().cpuPool(pool).run(s -> {
            assertThatThrownBy(() -> s.forkCpu(() -> 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("CPU pool 'closed-pool' is closed");
            return "scope still fine";
        });
        assertThat(r).isEqualTo("scope still fine");
        assertThatThrownBy(() -> CpuPool.shared().close()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> CpuPool.create("none", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1 thread");
        assertThat(CpuPool.shared().threads()).isPositive();
    }

    // ------------------------------------------------------------------ one Task type

    @Test
    void s9_allThreeKindsAreTheSameTaskType() {
        List<Task<?>> tasks = Scope.run(s -> List.<Task<?>>of(
                s.fork(() -> "io"),
                s.forkCpu(() -> 6 * 7),
                s.forkProcess(new ProcessBuilder("true"))));
        assertThat(tasks).extracting(Task::kind)
                .containsExactly(ExecutionKind.VIRTUAL, ExecutionKind.CPU, ExecutionKind.PROCESS);
        assertThat(tasks).extracting(Task::state).containsOnly(TaskState.SUCCEEDED);
        assertThat(tasks.get(1).result()).isEqualTo(42);
    }

    // ------------------------------------------------------------------ processes

    @Test
    void s9_forkProcessReturnsExitCodeAndOutput() {
        ProcessResult r = Scope.run(s -> s.forkProcess(
                new ProcessBuilder("sh", "-c", "printf 'out\\n'; printf 'oops' >&2; exit 3")).join());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.succeeded()).isFalse();
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("oops");
        assertThat(r.command()).containsExactly("sh", "-c", "printf 'out\\n'; printf 'oops' >&2; exit 3");
        assertThat(r.pid()).isPositive();
        assertThatThrownBy(r::requireSuccess).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with status 3").hasMessageContaining("oops");

        ProcessResult ok = Scope.run(s -> s.forkProcess(new ProcessBuilder("sh", "-c", "echo fine")).join());
        assertThat(ok.requireSuccess()).isSameAs(ok);
        assertThat(ok.stdout()).isEqualTo("fine\n");
    }

    @Test
    void s9_aProcessReadingStdinSeesEndOfFile() {
        ProcessResult r = Scope.failAfter(Duration.ofSeconds(20), s -> s.forkProcess(new ProcessBuilder("cat")).join());
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void s9_forkProcessLeavesTheCallersProcessBuilderReusable() {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "echo again");
        List<String> outputs = Scope.run(s -> List.of(s.forkProcess(pb).join().stdout(), s.forkProcess(pb).join().stdout()));
        assertThat(outputs).containsExactly("again\n", "again\n");
        assertThat(pb.redirectOutput()).isEqualTo(ProcessBuilder.Redirect.PIPE);
        assertThat(pb.redirectError()).isEqualTo(ProcessBuilder.Redirect.PIPE);
    }

    @Test
    void s9_forkProcessKeepsTheBuildersEnvironmentDirectoryAndMergedStderr() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "echo \"$WEFT_PROBE\"; pwd; echo oops >&2")
                .directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().put("WEFT_PROBE", "from-the-builder");
        ProcessResult r = Scope.run(s -> s.forkProcess("probe", pb).join());
        assertThat(r.stdout().lines().toList())
                .containsExactly("from-the-builder", dir.toRealPath().toString(), "oops");
        assertThat(r.stderr()).as("merged into stdout").isEmpty();
    }

    @Test
    void s9_requireSuccessQuotesTheEndOfStderr() {
        String longErr = "x".repeat(600) + "THE-END";
        ProcessResult failed = new ProcessResult(java.util.List.of("tool"), 7, 3, "", longErr);
        assertThat(failed.succeeded()).isFalse();
        assertThatThrownBy(failed::requireSuccess)
                .hasMessageContaining("exited with status 3")
                .hasMessageContaining("THE-END")
                .hasMessageContaining("...");
        ProcessResult ok = new ProcessResult(java.util.List.of("tool"), 7, 0, "fine", "");
        assertThat(ok.requireSuccess()).isSameAs(ok);
    }

    @Test
    void s9_cancellingAProcessTaskKillsTheProcessAndItsChildren() throws Exception {
        // Two FIFOs instead of polling: the shell's write to `pids` blocks until we read it, and
        // the child holds `alive` open for writing, so reading it ends exactly when the child dies.
        Path pids = dir.resolve("pids");
        Path alive = dir.resolve("alive");
        Scope.run(s -> s.forkProcess(new ProcessBuilder("mkfifo", pids.toString(), alive.toString())).join().requireSuccess());
        String script = "sleep 300 3>'" + alive + "' & echo \"$$ $!\" > '" + pids + "'; wait";
        AtomicReference<String> said = new AtomicReference<>();
        AtomicReference<InputStream> childAlive = new AtomicReference<>();
        Task<ProcessResult> task = Scope.run(s -> {
            Task<ProcessResult> p = s.forkProcess("tree", new ProcessBuilder("sh", "-c", script));
            said.set(Files.readString(pids));                   // blocks until the shell has written both pids
            childAlive.set(Files.newInputStream(alive));         // opens once the child holds the other end
            s.cancel("shut down");
            return p;
        });
        String[] both = said.get().trim().split(" ");
        long shell = Long.parseLong(both[0]);
        long child = Long.parseLong(both[1]);
        try (InputStream in = childAlive.get()) {
            assertThat(in.read()).as("end of file: the child's end was closed by its death").isEqualTo(-1);
        }
        assertThat(task.state()).isEqualTo(TaskState.CANCELLED);
        assertThat(isGone(shell)).as("the process itself").isTrue();
        assertThat(awaitGone(child)).as("its child").isTrue();
    }

    @Test
    void s9_emptyProcessCommandIsRejected() {
        Scope.run(s -> {
            assertThatThrownBy(() -> s.forkProcess(new ProcessBuilder())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no command");
            assertThatThrownBy(() -> s.forkProcess(null)).isInstanceOf(NullPointerException.class);
            return null;
        });
    }

    @Test
    void s9_aProcessThatCannotStartFailsTheTask() {
        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> Scope.run(s -> s.forkProcess(
                "missing", new ProcessBuilder(dir.resolve("no-such-program").toString()))));
        assertThat(g.failures()).singleElement().satisfies(f -> {
            assertThat(f.taskName()).isEqualTo("missing");
            assertThat(f.error()).isInstanceOf(IOException.class);
        });
    }

    // ------------------------------------------------------------------ helpers

    /** Dead, or a zombie that its new parent has not reaped yet (the container's init may reap late). */
    private static boolean isGone(long pid) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return true;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException | RuntimeException e) {
            return !h.get().isAlive();
        }
    }

    /**
     * The process's descriptors are closed (we saw end of file) a moment before the kernel marks
     * it a zombie: spin briefly over that gap, giving up after a bound.
     */
    private static boolean awaitGone(long pid) {
        long give = System.nanoTime() + SECONDS.toNanos(10);
        while (!isGone(pid)) {
            if (System.nanoTime() > give) return false;
            Thread.onSpinWait();
        }
        return true;
    }

}
