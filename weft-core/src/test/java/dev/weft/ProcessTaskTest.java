package dev.weft;

import static dev.weft.TestSupport.catchGroup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** S9 for processes: the pid while the process runs, and its output streamed line by line. */
class ProcessTaskTest {

    private final ConcurrentLinkedQueue<Thread> readers = new ConcurrentLinkedQueue<>();

    @TempDir
    Path dir;

    @Test
    void s9_thePidIsKnownWhileTheProcessRuns_andCancellingKillsIt() {
        long pid = Scope.run(scope -> {
            ProcessTask sleeper = scope.forkProcess("sleeper", new ProcessBuilder("sh", "-c", "exec sleep 60"));
            long p = sleeper.pid();
            assertThat(ProcessHandle.of(p)).hasValueSatisfying(h -> assertThat(h.isAlive()).isTrue());
            sleeper.cancel("enough");
            return p;
        });
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        assertThat(h.isEmpty() || !h.get().isAlive()).as("pid %d gone once the scope returned", pid).isTrue();
    }

    @Test
    void s9_linesAreStreamedWhileTheProcessRuns_toAChannel() throws Exception {
        // The process prints a line, then waits until the test has seen it (a flag file): so the
        // line arrived while the process was still running, not at its exit.
        Path flag = dir.resolve("seen");
        Channel<String> lines = Channel.unbounded();
        List<String> stderr = new CopyOnWriteArrayList<>();
        ProcessResult r = Scope.run(scope -> {
            ProcessBuilder pb = new ProcessBuilder("sh", "-c",
                    "echo started; echo warn >&2; while [ ! -f \"$FLAG\" ]; do sleep 0.01; done; echo finished");
            pb.environment().put("FLAG", flag.toString());
            ProcessTask p = scope.forkProcess("talker", pb, ProcessOutput.streamed(line -> {
                readers.add(Thread.currentThread());
                lines.sender().send(line);
            }, stderr::add).alsoCaptured());
            assertThat(lines.receiver().receive()).isEqualTo("started");
            assertThat(ProcessHandle.of(p.pid())).hasValueSatisfying(h -> assertThat(h.isAlive()).isTrue());
            assertThat(p.isDone()).isFalse();
            Files.createFile(flag);
            return p.join();
        });
        assertThat(lines.receiver().receive()).isEqualTo("finished");
        assertThat(stderr).containsExactly("warn");
        assertThat(r.stdout()).isEqualTo("started\nfinished");
        assertThat(r.stderr()).isEqualTo("warn");
        assertThat(readers).allSatisfy(t -> assertThat(t.isAlive()).as("reader %s ended with the task (S1)", t).isFalse());
    }

    @Test
    void s9_streamedWithoutCaptureTheResultHasNoOutput() {
        List<String> out = new CopyOnWriteArrayList<>();
        ProcessResult r = Scope.run(s -> s.forkProcess("p", new ProcessBuilder("sh", "-c", "printf 'a\\nb\\nc'; exit 2"),
                ProcessOutput.streamed(out::add, line -> {})).join());
        assertThat(out).containsExactly("a", "b", "c");
        assertThat(r.stdout()).isEmpty();
        assertThat(r.exitCode()).isEqualTo(2);
    }

    @Test
    void s9_aConsumerThatThrowsFailsTheTaskAndTheProcessIsDestroyed() {
        IllegalStateException bad = new IllegalStateException("cannot parse line");
        long[] pid = new long[1];
        ExceptionGroup g = catchGroup(() -> Scope.run(scope -> {
            ProcessTask p = scope.forkProcess("noisy", new ProcessBuilder("sh", "-c", "echo first; exec sleep 60"),
                    ProcessOutput.streamed(line -> {
                        throw bad;
                    }, line -> {}));
            pid[0] = p.pid();
            return p.join();
        }));
        assertThat(g.failures()).singleElement().satisfies(f -> {
            assertThat(f.taskName()).isEqualTo("noisy");
            assertThat(f.error()).isSameAs(bad);
        });
        Optional<ProcessHandle> h = ProcessHandle.of(pid[0]);
        assertThat(h.isEmpty() || !h.get().isAlive()).isTrue();
    }

    @Test
    void s9_cancellationEndsATaskWhoseConsumerIsBlocked() {
        Channel<String> full = Channel.rendezvous(); // nobody receives: the consumer blocks on the first line
        MoveOnResult<Object> m = Scope.moveOnAfter(java.time.Duration.ofMillis(50), scope -> {
            ProcessTask p = scope.forkProcess("blocked", new ProcessBuilder("sh", "-c", "while true; do echo line; done"),
                    ProcessOutput.streamed(line -> {
                        readers.add(Thread.currentThread());
                        full.sender().send(line);
                    }, line -> {}));
            return p.join();
        });
        assertThat(m.timedOut()).isTrue();
        assertThat(readers).allSatisfy(t -> assertThat(t.isAlive()).isFalse());
    }

    @Test
    void s9_noPidForAProcessThatCouldNotStartOrWasNeverStarted() {
        catchGroup(() -> Scope.run(scope -> {
            ProcessTask missing = scope.forkProcess("missing", new ProcessBuilder("/no/such/program"));
            assertThatThrownBy(missing::pid).isInstanceOf(IllegalStateException.class).hasMessageContaining("could not start");
            return null;
        }));
        Scope.run(scope -> {
            scope.cancel("before anything starts");
            ProcessTask never = scope.forkProcess("never", new ProcessBuilder("true"));
            // asked from a shield, so the wait itself is not cut short by the scope's cancellation
            assertThat(catchGroup(() -> Scope.shielded(s -> never.pid())).single()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cancelled before it started");
            return null;
        });
    }
}
