package dev.weft;

import dev.weft.internal.Format;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** White-box checks of internals that no contract test would notice breaking. */
class SweepAndFormatTest {

    @Test
    void finishedTasksDoNotPileUpInALongLivedScope() {
        // A server's scope may fork millions of short tasks over its life: finished children
        // must be unlinked, or the scope leaks them all.
        int linked = Scope.run(scope -> {
            for (int i = 0; i < 20_000; i++) {
                scope.fork(() -> 1).join();
            }
            return ((CancelNode) scope).linkedLength();
        });
        assertThat(linked).as("children still linked after 20,000 finished tasks").isLessThan(200);
    }

    @Test
    void liveTasksStayLinkedThroughSweeps() throws Exception {
        // The sweep must unlink only finished children: a live one must still be cancellable.
        var started = new java.util.concurrent.CountDownLatch(1);
        AtomicReference<Task<Object>> blocked = new AtomicReference<>();
        Scope.run(scope -> {
            blocked.set(scope.fork("blocked", () -> {
                started.countDown();
                return TestSupport.blockForever();
            }));
            started.await();
            for (int i = 0; i < 5_000; i++) scope.fork(() -> 1).join();
            scope.cancel("done");
            return null;
        });
        assertThat(blocked.get().state()).isEqualTo(TaskState.CANCELLED);
    }

    @Test
    void s3_aWeftWaitThrowsEvenAfterTheUserClearedTheInterrupt() {
        // Weft's own waits ask the scope, not the interrupt flag: clearing the flag after a
        // caught Cancelled must not let the next wait block (level-triggered, S3).
        Cancelled second = Scope.run(scope -> {
            scope.cancel("stop");
            try {
                Weft.checkpoint();
            } catch (Cancelled first) {
                Thread.interrupted();
            }
            Cancelled c = catchThrowableOfType(Cancelled.class, () -> Weft.sleep(Duration.ofDays(1)));
            Thread.interrupted();
            return c;
        });
        assertThat(second).isNotNull();
        assertThat(second.reason().message()).contains("stop");
    }

    @Test
    void summariesNameTheTypeAndTheMessage() {
        assertThat(Format.summary(new IOException("boom"))).isEqualTo("IOException: boom");
        assertThat(Format.summary(new IllegalStateException())).isEqualTo("IllegalStateException");
        assertThat(Format.summary(new RuntimeException() {})).startsWith("dev.weft.SweepAndFormatTest$");
    }

    @Test
    void durationsReadNaturally() {
        assertThat(Format.duration(Duration.ofNanos(500))).isEqualTo("500ns");
        assertThat(Format.duration(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Format.duration(Duration.ofMillis(999))).isEqualTo("999ms");
        assertThat(Format.duration(Duration.ofSeconds(1))).isEqualTo("1s");
        assertThat(Format.duration(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(Format.duration(Duration.ofMinutes(3))).isEqualTo("3m");
        assertThat(Format.duration(Duration.ofSeconds(90))).isEqualTo("90s");
    }
}
