package dev.weft.guide;

import dev.weft.CpuPool;
import dev.weft.FakeClock;
import dev.weft.MoveOnResult;
import dev.weft.ProcessOutput;
import dev.weft.ProcessResult;
import dev.weft.ProcessTask;
import dev.weft.Schedule;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippets of docs/guide/execution-kinds.md. */
class ExecutionKindsGuideTest extends GuideTest {

    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    /** CPU work: a few milliseconds of arithmetic; records how many run at once and where. */
    int resize(String photo) {
        mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
            assertThat(Thread.currentThread().isVirtual()).isFalse();
            long h = photo.hashCode();
            for (int i = 0; i < 2_000_000; i++) {
                h = h * 31 + i;
                if ((i & 0xFFFF) == 0) Weft.checkpoint();
            }
            return (int) (h & 0xFF) + photo.length();
        } finally {
            running.decrementAndGet();
        }
    }

    @Test
    void cpuWorkRunsOnABoundedPool() {
        List<String> photos = List.of("a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg");
        // tag::fork-cpu[]
        try (CpuPool pool = CpuPool.create("thumbnails", 2)) {
            List<Integer> sizes = Scope.builder().cpuPool(pool).run(scope -> {
                List<Task<Integer>> tasks = new ArrayList<>();
                for (String photo : photos) tasks.add(scope.forkCpu(() -> resize(photo)));   // 2 at a time
                List<Integer> results = new ArrayList<>();
                for (Task<Integer> t : tasks) results.add(t.join());
                return results;
            });
            System.out.println(sizes.size() + " thumbnails");
        }
        // end::fork-cpu[]
        assertThat(printed()).containsExactly("6 thumbnails");
        assertThat(mostAtOnce.get()).isBetween(1, 2);
    }

    @Test
    void aProcessTaskStreamsItsOutput() {
        // tag::fork-process[]
        ProcessResult result = Scope.run(scope -> {
            ProcessTask build = scope.forkProcess("build", new ProcessBuilder("sh", "-c", "echo compiling; echo done"),
                    ProcessOutput.streamed(line -> System.out.println("build: " + line), System.err::println));
            return build.join().requireSuccess();       // a non-zero exit is a result until you say otherwise
        });
        System.out.println("exit " + result.exitCode());
        // end::fork-process[]
        assertThat(printed()).containsExactly("build: compiling", "build: done", "exit 0");
    }

    @Test
    void aCancelledProcessIsKilledWithItsChildren() {
        AtomicLong pid = new AtomicLong();
        // tag::process-cancelled[]
        MoveOnResult<ProcessResult> r = Scope.moveOnAfter(Duration.ofMillis(200), scope -> {
            ProcessTask stuck = scope.forkProcess("stuck", new ProcessBuilder("sh", "-c", "sleep 60 & wait"));
            pid.set(stuck.pid());                      // known as soon as the process started
            return stuck.join();
        });
        System.out.println("timed out: " + r.timedOut() + ", alive: " + ProcessHandle.of(pid.get()).isPresent());
        // end::process-cancelled[]
        assertThat(printed()).containsExactly("timed out: true, alive: false");
    }

    @Test
    void startReturnsOnceTheServerListens() throws Exception {
        // tag::start[]
        String greeting = Scope.run(scope -> {
            int port = scope.start("server", status -> {
                try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                    status.started(server.getLocalPort());    // start() returns the port now
                    try (Socket client = server.accept()) {   // ...while the server goes on
                        new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8).println("hello");
                    }
                }
            });
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {   // listening: no retry loop
                return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
            }
        });
        // end::start[]
        assertThat(greeting).isEqualTo("hello");
    }

    @Test
    void aBackgroundTaskIsCancelledWhenTheRestIsDone() {
        FakeClock clock = new FakeClock().autojump();
        Scope.builder().clock(clock).run(test -> {
            // tag::background[]
            Scope.run(scope -> {
                scope.forkBackground("heartbeat", () -> Weft.repeat(Schedule.fixedRate(Duration.ofSeconds(10)), () -> {
                    System.out.println("heartbeat at " + Weft.clock().instant().toString().substring(11, 19));
                    return null;
                }));
                Weft.sleep(Duration.ofSeconds(25));   // the real work; then the heartbeat is cancelled
                return null;
            });
            // end::background[]
            return null;
        });
        assertThat(printed()).containsExactly("heartbeat at 00:00:00", "heartbeat at 00:00:10", "heartbeat at 00:00:20");
    }
}
