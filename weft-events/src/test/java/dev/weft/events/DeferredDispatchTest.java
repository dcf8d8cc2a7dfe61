package dev.weft.events;

import dev.weft.events.transport.Envelope;
import static dev.weft.events.Support.await;
import static dev.weft.events.Support.idle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.ExceptionGroup;
import dev.weft.Scope;
import dev.weft.events.Support.NestFound;
import dev.weft.events.Support.OrderPlaced;
import dev.weft.events.Support.SightingReported;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** E4: events emitted in a scope are held and dispatched after it completes, by default only if it succeeded. */
class DeferredDispatchTest {

    private final List<Object> seen = new CopyOnWriteArrayList<>();

    private EventBus bus(DispatchPolicy policy) {
        EventBus bus = EventBus.builder().declare(SightingReported.class).declare(NestFound.class)
                .declare(EventType.of(OrderPlaced.class).dispatch(DispatchPolicy.ALWAYS))
                .dispatchPolicy(policy).build();
        bus.handler("recorder").sync().onPattern("*", e -> seen.add(e.payload()));
        return bus;
    }

    @Test
    void e4_outsideAScopeEmitDispatchesAtOnce() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        bus.emit(new NestFound("owl"));
        assertThat(seen).containsExactly(new NestFound("owl")); // a SYNC handler ran inside emit
        CountDownLatch async = new CountDownLatch(1);
        bus.handler("async").onPattern("nest.*", e -> async.countDown());
        bus.emit(new NestFound("wren"));
        await(async);
    }

    @Test
    void e4_heldUntilTheScopeSucceedsThenDispatchedInOrder() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        String result = Scope.run(scope -> {
            bus.emit(new NestFound("a"));
            scope.fork(() -> {
                bus.emit(new NestFound("from a task"));
                return null;
            }).join();
            bus.emit(new NestFound("b"));
            assertThat(seen).as("nothing dispatched while the scope runs").isEmpty();
            assertThat(bus.statistics().heldInScopes()).isEqualTo(3);
            return "ok";
        });
        assertThat(result).isEqualTo("ok");
        idle(bus);
        assertThat(seen).containsExactly(new NestFound("a"), new NestFound("from a task"), new NestFound("b"));
        assertThat(bus.statistics().heldInScopes()).isZero();
    }

    @Test
    void e4_aFailedScopeDispatchesNothingByDefault() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        assertThatThrownBy(() -> Scope.run(scope -> {
            bus.emit(new NestFound("lost"));
            scope.fork(() -> {
                throw new IllegalStateException("request failed");
            });
            return null;
        })).isInstanceOf(ExceptionGroup.class);
        idle(bus);
        assertThat(seen).isEmpty();
        assertThat(bus.statistics().discardedByFailedScopes()).isEqualTo(1);
        assertThat(bus.statistics().heldInScopes()).isZero();
    }

    @Test
    void e4_policyAlwaysDispatchesAfterAFailedScopeToo_perBusAndPerType() throws Exception {
        EventBus always = bus(DispatchPolicy.ALWAYS);
        assertThatThrownBy(() -> Scope.run(scope -> {
            always.emit(new NestFound("kept"));
            throw new IllegalStateException("failed");
        })).isInstanceOf(ExceptionGroup.class);
        idle(always);
        assertThat(seen).containsExactly(new NestFound("kept"));

        seen.clear();
        EventBus perType = bus(DispatchPolicy.ON_SUCCESS);
        assertThatThrownBy(() -> Scope.run(scope -> {
            perType.emit(new NestFound("dropped"));
            perType.emit(new OrderPlaced("o-1")); // declared with ALWAYS
            throw new IllegalStateException("failed");
        })).isInstanceOf(ExceptionGroup.class);
        idle(perType);
        assertThat(seen).containsExactly(new OrderPlaced("o-1"));
    }

    @Test
    void e4_policyImmediatelyDispatchesAtTheEmitCall() {
        EventBus bus = bus(DispatchPolicy.IMMEDIATELY);
        assertThatThrownBy(() -> Scope.run(scope -> {
            bus.emit(new NestFound("now"));
            assertThat(seen).containsExactly(new NestFound("now"));
            throw new IllegalStateException("failed");
        })).isInstanceOf(ExceptionGroup.class);
        assertThat(seen).containsExactly(new NestFound("now"));
    }

    @Test
    void e4_aNestedScopeThatSucceedsHandsItsEventsToTheOuterOne_soAFailingOuterDropsThem() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        assertThatThrownBy(() -> Scope.run(outer -> {
            Scope.run(inner -> {
                bus.emit(new NestFound("inner"));
                return null;
            });
            idle(bus);
            assertThat(seen).as("not dispatched when the inner scope ends").isEmpty();
            throw new IllegalStateException("outer failed");
        })).isInstanceOf(ExceptionGroup.class);
        idle(bus);
        assertThat(seen).isEmpty();

        Scope.run(outer -> {
            Scope.run(inner -> {
                bus.emit(new NestFound("inner"));
                return null;
            });
            bus.emit(new NestFound("outer"));
            return null;
        });
        idle(bus);
        assertThat(seen).containsExactly(new NestFound("inner"), new NestFound("outer"));
    }

    @Test
    void e4_aFailedNestedScopeDropsItsOwnEventsEvenIfTheOuterOneCatchesAndSucceeds() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        Scope.run(outer -> {
            bus.emit(new NestFound("outer"));
            try {
                Scope.run(inner -> {
                    bus.emit(new NestFound("inner"));
                    throw new IllegalStateException("inner failed");
                });
            } catch (ExceptionGroup expected) {
                // handled: the outer scope succeeds
            }
            return null;
        });
        idle(bus);
        assertThat(seen).containsExactly(new NestFound("outer"));
    }

    @Test
    void e4_aUnitOfWorkDispatchesWhenItEndsEvenInsideALongLivedScope() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        CountDownLatch dispatched = new CountDownLatch(1);
        bus.handler("latch").onPattern("*", e -> dispatched.countDown());
        Scope.run(server -> {
            EventBus.unitOfWork("request-1").run(request -> {
                Scope.run(inner -> {
                bus.emit(new NestFound("from a nested scope of the request"));
                return null;
            });
                return null;
            });
            await(dispatched); // while the long-lived scope is still open
            assertThat(seen).containsExactly(new NestFound("from a nested scope of the request"));
            return null;
        });
    }

    @Test
    void e4_dispatchDoesNotDelayTheScopesResult() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        CountDownLatch handlerStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Thread> handlerThread = new AtomicReference<>();
        bus.handler("slow").sync().onPattern("*", e -> {
            handlerThread.set(Thread.currentThread());
            handlerStarted.countDown();
            await(release); // blocks until the test lets go
        });
        String r = Scope.run(scope -> {
            bus.emit(new NestFound("x"));
            return "returned";
        });
        // We got here while the (even synchronous) handler is blocked on another thread.
        assertThat(r).isEqualTo("returned");
        await(handlerStarted);
        assertThat(handlerThread.get()).isNotSameAs(Thread.currentThread());
        assertThat(handlerThread.get().isVirtual()).isTrue();
        release.countDown();
        idle(bus);
    }

    @Test
    void e4_aHandlerThatEmitsFurtherEventsHasThemDispatchedToo() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        bus.handler("chain").onPattern("nest.found", e -> bus.emit(new SightingReported(((NestFound) e.payload()).species(), 1)));
        Scope.run(scope -> {
                bus.emit(new NestFound("owl"));
                return null;
            });
        Support.spinUntil("the follow-up event", () -> seen.size() == 2);
        idle(bus);
        assertThat(seen).containsExactly(new NestFound("owl"), new SightingReported("owl", 1));
    }

    @Test
    void e4_traceContextOfTheScopeIsCapturedAtEmit() throws Exception {
        EventBus bus = bus(DispatchPolicy.ON_SUCCESS);
        List<Envelope<?>> envelopes = new CopyOnWriteArrayList<>();
        bus.handler("env").sync().onPattern("*", envelopes::add);
        Scope.builder().bind(EventBus.TRACE, Map.of("correlation-id", "r-42")).run(scope -> {
            bus.emit(new NestFound("owl"));
            return null;
        });
        idle(bus);
        assertThat(envelopes).singleElement().satisfies(e -> {
            assertThat(e.payload()).isEqualTo(new NestFound("owl"));
            assertThat(e.name()).isEqualTo("nest.found");
            assertThat(e.trace()).containsEntry("correlation-id", "r-42");
        });
    }
}
