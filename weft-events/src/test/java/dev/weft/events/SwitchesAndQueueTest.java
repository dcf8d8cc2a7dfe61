package dev.weft.events;

import static dev.weft.events.Support.await;
import static dev.weft.events.Support.idle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.Cancelled;
import dev.weft.Scope;
import dev.weft.events.Support.NestFound;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** E6 (switching handlers off and on) and E7 (a bounded queue that blocks or fails, never drops). */
class SwitchesAndQueueTest {

    @Test
    void e6_aHandlerSwitchedOffGetsNoNewEventsAndIsCountedThenComesBack() throws Exception {
        EventBus bus = EventBus.builder().declare(NestFound.class).defaultHandlerMode(HandlerMode.SYNC).build();
        List<String> audit = new CopyOnWriteArrayList<>();
        List<String> other = new CopyOnWriteArrayList<>();
        bus.handler("audit").on(NestFound.class, n -> audit.add(n.species()));
        bus.handler("other").on(NestFound.class, n -> other.add(n.species()));
        bus.emit(new NestFound("a"));
        bus.disable("audit");
        assertThat(bus.isEnabled("audit")).isFalse();
        bus.emit(new NestFound("b"));
        bus.enable("audit");
        bus.emit(new NestFound("c"));
        assertThat(audit).containsExactly("a", "c");
        assertThat(other).containsExactly("a", "b", "c");
        BusStatistics.Handler h = bus.statistics().handler("audit");
        assertThat(h.skipped()).isEqualTo(1);
        assertThat(h.succeeded()).isEqualTo(2);
        assertThat(h.enabled()).isTrue();
        assertThatThrownBy(() -> bus.disable("nope")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("audit");
    }

    @Test
    void e6_eventsAlreadyQueuedWhenSwitchedOffAreStillDelivered() throws Exception {
        EventBus bus = EventBus.builder().declare(NestFound.class).build();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        List<String> seen = new CopyOnWriteArrayList<>();
        bus.handler("slow").async().on(NestFound.class, n -> {
            started.countDown();
            await(release);
            seen.add(n.species());
        });
        bus.emit(new NestFound("a"));
        bus.emit(new NestFound("b")); // queued behind a
        await(started);
        bus.disable("slow");
        bus.emit(new NestFound("c")); // not delivered
        release.countDown();
        idle(bus);
        assertThat(seen).containsExactly("a", "b");
    }

    /** A bus with capacity 2 whose only handler blocks until released. */
    private static final class Jammed {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch started = new CountDownLatch(1);
        final List<String> seen = new CopyOnWriteArrayList<>();
        final EventBus bus;

        Jammed(FullPolicy policy) {
            bus = EventBus.builder().declare(NestFound.class).capacity(2).whenFull(policy).build();
            bus.handler("jam").async().on(NestFound.class, n -> {
                started.countDown();
                await(release);
                seen.add(n.species());
            });
        }
    }

    @Test
    void e7_aFullQueueFailsTheEmitUnderPolicyFail_andNothingOfThatEventIsDispatched() throws Exception {
        Jammed j = new Jammed(FullPolicy.FAIL);
        j.bus.emit(new NestFound("1"));
        j.bus.emit(new NestFound("2"));
        assertThat(j.bus.statistics().queued()).isEqualTo(2);
        EventRejectedException full = catchThrowableOfType(EventRejectedException.class, () -> j.bus.emit(new NestFound("3")));
        assertThat(full.reason()).isEqualTo(EventRejectedException.Reason.QUEUE_FULL);
        assertThat(full.getMessage()).contains("'nest.found'").contains("the bus is full, its capacity of 2 events in flight is used up (2 in flight");
        // In a scope the check is made at the emit call too, not when the scope ends.
        dev.weft.ExceptionGroup g = catchThrowableOfType(dev.weft.ExceptionGroup.class,
                () -> Scope.run(scope -> {
                    j.bus.emit(new NestFound("in scope"));
                    return null;
                }));
        assertThat(g.single()).isInstanceOf(EventRejectedException.class);
        j.release.countDown();
        idle(j.bus);
        assertThat(j.seen).containsExactly("1", "2");
        assertThat(j.bus.statistics().rejected()).isEqualTo(2);
        assertThat(j.bus.statistics().queued()).isZero();
        j.bus.emit(new NestFound("4")); // room again
        idle(j.bus);
        assertThat(j.seen).containsExactly("1", "2", "4");
    }

    @Test
    void e7_aFullQueueBlocksTheEmitUnderPolicyBlockUntilThereIsRoom() throws Exception {
        Jammed j = new Jammed(FullPolicy.BLOCK);
        j.bus.emit(new NestFound("1"));
        j.bus.emit(new NestFound("2"));
        await(j.started);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread emitter = Thread.ofVirtual().start(() -> {
            try {
                j.bus.emit(new NestFound("3"));
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        Support.spinUntil("the third emit to block", () -> Support.isBlocked(emitter));
        assertThat(j.seen).isEmpty();
        j.release.countDown();
        emitter.join();
        idle(j.bus);
        assertThat(failed.get()).isNull();
        assertThat(j.seen).containsExactly("1", "2", "3");
    }

    @Test
    void e7_aBlockedEmitIsACancellationPoint() throws Exception {
        Jammed j = new Jammed(FullPolicy.BLOCK);
        j.bus.emit(new NestFound("1"));
        j.bus.emit(new NestFound("2"));
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> Scope.run(scope -> {
            scope.fork(() -> {
                j.bus.emit(new NestFound("3")); // blocks on the full queue
                return null;
            });
            scope.fork(() -> {
                throw new IllegalStateException("sibling failed"); // cancels the blocked emit
            });
            return null;
        }));
        assertThat(t).isInstanceOf(dev.weft.ExceptionGroup.class);
        assertThat(((dev.weft.ExceptionGroup) t).leaves()).singleElement()
                .satisfies(f -> assertThat(f.error()).hasMessage("sibling failed"));
        j.release.countDown();
        idle(j.bus);
        assertThat(j.seen).containsExactly("1", "2");
        Thread.interrupted();
    }

    @Test
    void e7_statisticsAreAnImmutableSnapshot() {
        Jammed j = new Jammed(FullPolicy.FAIL);
        BusStatistics before = j.bus.statistics();
        j.bus.emit(new NestFound("1"));
        assertThat(before.emitted()).isZero();
        assertThat(j.bus.statistics().emitted()).isEqualTo(1);
        assertThatThrownBy(() -> before.handlers().clear()).isInstanceOf(UnsupportedOperationException.class);
        j.release.countDown();
        assertThat(Cancelled.class).isNotNull();
    }

    @Test
    void e7_capacityCountsEveryEventFromQueuedToDone_theOneAHandlerIsRunningIncluded_onceHoweverManyHandlers() throws Exception {
        EventBus bus = EventBus.builder().declare(NestFound.class).capacity(3).whenFull(FullPolicy.FAIL).build();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        List<String> first = new CopyOnWriteArrayList<>();
        List<String> second = new CopyOnWriteArrayList<>();
        bus.handler("first").async().on(NestFound.class, n -> {
            running.countDown();
            await(release);
            first.add(n.species());
        });
        bus.handler("second").async().on(NestFound.class, n -> second.add(n.species())); // a second handler: still one permit per event
        bus.emit(new NestFound("1"));
        await(running); // event 1 is being handled, not waiting: it still counts
        int accepted = 1;
        EventRejectedException full = null;
        for (int i = 2; i <= 10 && full == null; i++) {
            try {
                bus.emit(new NestFound(String.valueOf(i)));
                accepted++;
            } catch (EventRejectedException e) {
                full = e;
            }
        }
        assertThat(accepted).isEqualTo(3); // 1 running + 2 queued = the capacity of 3
        assertThat(full).isNotNull();
        assertThat(full.reason()).isEqualTo(EventRejectedException.Reason.QUEUE_FULL);
        assertThat(full.getMessage()).isEqualTo("event 'nest.found' not emitted: the bus is full, its capacity of 3 events in flight is used up"
                + " (3 in flight: an event counts once from when it is queued for a handler until every handler it went to is done"
                + " with it, while it waits, while a handler runs it and while it waits for a retry); slow handlers hold it up,"
                + " see statistics(); raise EventBus.Builder.capacity(..) or use FullPolicy.BLOCK");
        assertThat(bus.statistics().queued()).isEqualTo(3);
        release.countDown();
        idle(bus);
        assertThat(first).containsExactly("1", "2", "3");
        assertThat(second).containsExactly("1", "2", "3");
        assertThat(bus.statistics().queued()).isZero();
    }

    @Test
    void e7_eventsAScopeHoldsDoNotCountUntilItEnds_andThenWaitForRoomInsteadOfFailing() throws Exception {
        Jammed j = new Jammed(FullPolicy.FAIL); // capacity 2
        Scope.run(scope -> {
            for (int i = 1; i <= 5; i++) j.bus.emit(new NestFound(String.valueOf(i))); // the queue is empty: all 5 pass the check
            assertThat(j.bus.statistics().queued()).isZero();
            assertThat(j.bus.statistics().heldInScopes()).isEqualTo(5);
            return null;
        });
        // The hand-off dispatches them, waiting for room: the bound holds while the handler is jammed.
        Support.spinUntil("two events in flight", () -> j.bus.statistics().queued() == 2);
        await(j.started);
        assertThat(j.bus.statistics().queued()).isEqualTo(2);
        assertThat(j.seen).isEmpty();
        j.release.countDown();
        idle(j.bus);
        assertThat(j.seen).containsExactly("1", "2", "3", "4", "5");
        assertThat(j.bus.statistics().rejected()).isZero();
    }
}
