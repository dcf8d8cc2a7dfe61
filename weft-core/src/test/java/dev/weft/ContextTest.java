package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** S10: context bound in a scope is visible to its tasks and to nothing outside it. */
class ContextTest {

    private static final ContextKey<String> USER = ContextKey.named("user");
    private static final ContextKey<Integer> ATTEMPT = ContextKey.named("attempt");

    @Test
    void s10_boundValueIsVisibleInTheBodyAndInEveryKindOfTask() {
        try (CpuPool pool = CpuPool.create("ctx", 1)) {
            List<Optional<String>> seen = Scope.builder().bind(USER, "alice").cpuPool(pool).run(s -> List.of(
                    USER.find(),
                    s.fork(USER::find).join(),
                    s.forkCpu(USER::find).join(),
                    s.forkBackground(USER::find).join(),
                    s.<Optional<String>>start(status -> status.started(USER.find())),
                    s.fork(() -> Scope.run(nested -> nested.fork(USER::find).join())).join()));
            assertThat(seen).containsOnly(Optional.of("alice")).hasSize(6);
        }
    }

    @Test
    void s10_getReturnsTheValueAndIsBoundSaysSo() {
        Scope.builder().bind(USER, "alice").bind(ATTEMPT, 3).run(s -> {
            assertThat(USER.get()).isEqualTo("alice");
            assertThat(ATTEMPT.get()).isEqualTo(3);
            assertThat(USER.isBound()).isTrue();
            return null;
        });
        assertThat(USER.isBound()).isFalse();
    }

    @Test
    void s10_innermostBindingWinsAndTheOuterOneComesBack() {
        Scope.builder().bind(USER, "outer").bind(ATTEMPT, 1).run(outer -> {
            outer.fork(() -> Scope.builder().bind(USER, "inner").run(inner -> {
                assertThat(USER.get()).isEqualTo("inner");
                assertThat(inner.fork(USER::get).join()).isEqualTo("inner");
                assertThat(ATTEMPT.get()).as("keys it does not bind come from outside").isEqualTo(1);
                return null;
            })).join();
            assertThat(USER.get()).isEqualTo("outer");
            return null;
        });
    }

    @Test
    void s10_notVisibleOutsideTheScopeNorAfterItExits() {
        assertThat(USER.find()).isEmpty();
        Scope.run(plain -> {
            assertThat(USER.find()).isEmpty();
            Scope.builder().bind(USER, "alice").run(s -> USER.get());
            assertThat(USER.find()).as("after the binding scope exits").isEmpty();
            assertThat(plain.fork(USER::find).join()).isEmpty();
            return null;
        });
        assertThat(USER.find()).isEmpty();
    }

    @Test
    void s10_notVisibleInThreadsStartedByHandInsideATask() {
        AtomicReference<Optional<String>> platform = new AtomicReference<>();
        AtomicReference<Optional<String>> virtual = new AtomicReference<>();
        AtomicReference<Optional<Scope>> scopeInThread = new AtomicReference<>();
        AtomicReference<Boolean> deadlineInThread = new AtomicReference<>();
        Scope.builder().bind(USER, "alice").timeout(java.time.Duration.ofHours(1)).run(s -> s.fork(() -> {
            assertThat(USER.get()).isEqualTo("alice");
            Thread t1 = new Thread(() -> {
                platform.set(USER.find());
                scopeInThread.set(Scope.current());
                deadlineInThread.set(Weft.deadline().isPresent());
            });
            t1.start();
            t1.join();
            Thread t2 = Thread.ofVirtual().start(() -> virtual.set(USER.find()));
            t2.join();
            return null;
        }).join());
        assertThat(platform.get()).isEmpty();
        assertThat(virtual.get()).isEmpty();
        assertThat(scopeInThread.get()).isEmpty();
        assertThat(deadlineInThread.get()).isFalse();
    }

    @Test
    void s10_notVisibleInASiblingScopeOpenAtTheSameTime() {
        CyclicBarrier bothOpen = new CyclicBarrier(2);
        AtomicReference<Optional<String>> siblingSaw = new AtomicReference<>();
        Scope.run(s -> {
            s.fork(() -> Scope.builder().bind(USER, "alice").run(a -> {
                bothOpen.await(); // both scopes are open now
                bothOpen.await(); // the sibling has looked
                return null;
            }));
            s.fork(() -> Scope.run(b -> {
                bothOpen.await();
                siblingSaw.set(USER.find());
                bothOpen.await();
                return null;
            }));
            return null;
        });
        assertThat(siblingSaw.get()).isEmpty();
    }

    @Test
    void s10_aPoolThreadDoesNotCarryContextToTheNextTask() {
        try (CpuPool pool = CpuPool.create("ctx-reuse", 1)) {
            Scope.builder().cpuPool(pool).bind(USER, "alice").run(s -> s.forkCpu(USER::get).join());
            Optional<String> next = Scope.builder().cpuPool(pool).run(s -> s.forkCpu(USER::find).join());
            assertThat(next).isEmpty();
        }
    }

    @Test
    void s10_getOutsideThrowsNoSuchElementSayingHowToBind() {
        assertThatThrownBy(USER::get).isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("no value for context key 'user'")
                .hasMessageContaining("Scope.builder().bind(key, value)");
        Scope.run(s -> {
            assertThatThrownBy(USER::get).isInstanceOf(NoSuchElementException.class);
            return null;
        });
    }

    @Test
    void s10_bindingNullIsRejectedWithAClearMessage() {
        assertThatThrownBy(() -> Scope.builder().bind(USER, null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("value for context key 'user' is null")
                .hasMessageContaining("Optional");
        assertThatThrownBy(() -> Scope.builder().bind(null, "x")).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("key");
        assertThatThrownBy(() -> ContextKey.named(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void s10_keysCompareByIdentityNotByName() {
        ContextKey<String> sameName = ContextKey.named("user");
        Scope.builder().bind(USER, "alice").run(s -> {
            assertThat(sameName.find()).isEmpty();
            return null;
        });
        assertThat(sameName.name()).isEqualTo("user");
        assertThat(sameName.toString()).contains("user");
    }

    @Test
    void s10_scopeCurrentIsTheInnermostScopeAndOnlyInside() {
        assertThat(Scope.current()).isEmpty();
        try (CpuPool pool = CpuPool.create("ctx-current", 1)) {
            Scope.builder().cpuPool(pool).run(outer -> {
                assertThat(Scope.current()).containsSame(outer);
                assertThat(outer.fork(Scope::current).join()).containsSame(outer);
                assertThat(outer.forkCpu(Scope::current).join()).containsSame(outer);
                outer.fork(() -> {
                    Scope.run(inner -> {
                        assertThat(Scope.current()).containsSame(inner);
                        assertThat(inner.fork(Scope::current).join()).containsSame(inner);
                        return null;
                    });
                    assertThat(Scope.current()).as("back in the task").containsSame(outer);
                    return null;
                }).join();
                assertThat(Scope.current()).containsSame(outer);
                return null;
            });
        }
        assertThat(Scope.current()).isEmpty();
    }
}
