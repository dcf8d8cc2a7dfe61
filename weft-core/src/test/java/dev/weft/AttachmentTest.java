package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * Which thread a cancellation interrupts: the one attached to each affected node, and no
 * other (CancelNode's "waking blocked threads" and "no stray interrupts"). These pin the
 * wiring that the mutation report showed no contract test would miss.
 */
class AttachmentTest {

    @Test
    void s3_cancellingTheOuterScopeWakesAJdkWaitInsideANestedScopeOfATask() throws Exception {
        CountDownLatch blocked = new CountDownLatch(2);
        AtomicReference<Task<Object>> inner = new AtomicReference<>();
        Scope.run(outer -> {
            outer.fork("opens-nested", () -> Scope.run(nested -> {
                inner.set(nested.fork("deep", () -> {
                    blocked.countDown();
                    return TestSupport.blockForever(); // a JDK wait: only an interrupt ends it
                }));
                blocked.countDown();
                return TestSupport.blockForever(); // the nested scope's own body, blocked too
            }));
            blocked.await();
            outer.cancel("shutting down");
            return null;
        });
        assertThat(inner.get().state()).isEqualTo(TaskState.CANCELLED);
    }

    @Test
    void s5_aJdkWaitInsideAShieldIsNotInterruptedByTheOuterCancellation() throws Exception {
        CountDownLatch inShield = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<String> shielded = new AtomicReference<>();
        Scope.run(outer -> {
            outer.fork("cleanup", () -> Scope.shielded(s -> {
                inShield.countDown();
                release.await(); // an interruptible JDK wait: an interrupt here would be a bug
                shielded.set("finished");
                return null;
            }));
            inShield.await();
            outer.cancel("shutting down");
            release.countDown();
            return null;
        });
        assertThat(shielded.get()).isEqualTo("finished");
    }

    @Test
    void s9_cancellingAFinishedCpuTaskDoesNotInterruptThePoolThreadsNextTask() throws Exception {
        try (CpuPool pool = CpuPool.create("one", 1)) {
            CountDownLatch secondWaiting = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            String second = Scope.builder().cpuPool(pool).run(scope -> {
                Task<String> first = scope.forkCpu("first", () -> "done");
                first.join();
                Task<String> next = scope.forkCpu("second", () -> {
                    secondWaiting.countDown();
                    release.await(); // same pool thread as "first"
                    return "undisturbed";
                });
                secondWaiting.await();
                first.cancel("too late to matter");
                release.countDown();
                return next.join();
            });
            assertThat(second).isEqualTo("undisturbed");
        }
    }

    @Test
    void finishedNestedScopesDoNotPileUpUnderTheirParent() {
        int linked = Scope.run(scope -> {
            for (int i = 0; i < 20_000; i++) {
                Scope.run(nested -> 1);
            }
            return ((CancelNode) scope).linkedLength();
        });
        assertThat(linked).as("nested scopes still linked after 20,000 closed").isLessThan(200);
    }
}
