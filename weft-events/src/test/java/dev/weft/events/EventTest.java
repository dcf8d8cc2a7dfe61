package dev.weft.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.ExceptionGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** E1: multicast events with subscriptions, order, isolated failures, changes during a firing. */
class EventTest {

    @Test
    void e1_handlersRunInSubscriptionOrderOnTheFiringThread() {
        Event<String> e = new Event<>("clicked");
        List<String> log = new ArrayList<>();
        Thread me = Thread.currentThread();
        e.subscribe(v -> log.add("a:" + v));
        e.subscribe(v -> log.add("b:" + v + (Thread.currentThread() == me ? "@caller" : "@other")));
        e.subscribe(v -> log.add("c:" + v));
        e.fire("x");
        assertThat(log).containsExactly("a:x", "b:x@caller", "c:x");
    }

    @Test
    void e1_subscriptionIsAutoCloseableAndUnsubscribeByHandlerRemovesTheLatest() {
        Event<Integer> e = new Event<>();
        List<String> log = new ArrayList<>();
        Consumer<Integer> h = v -> log.add("h" + v);
        Subscription first = e.subscribe(h);
        try (Subscription s = e.subscribe(v -> log.add("scoped" + v))) {
            e.fire(1);
            assertThat(s.isActive()).isTrue();
        }
        e.subscribe(h); // the same handler twice
        e.fire(2);
        assertThat(e.unsubscribe(h)).isTrue(); // the second subscription
        assertThat(first.isActive()).isTrue();
        e.fire(3);
        first.close();
        first.close(); // idempotent
        assertThat(e.unsubscribe(h)).isFalse();
        e.fire(4);
        assertThat(log).containsExactly("h1", "scoped1", "h2", "h2", "h3");
        assertThat(e.subscriberCount()).isZero();
    }

    @Test
    void e1_aHandlerThatThrowsDoesNotStopTheOthersAndAllFailuresComeBackTogether() {
        Event<String> e = new Event<>("saved");
        List<String> ran = new ArrayList<>();
        IllegalStateException one = new IllegalStateException("one");
        Error two = new AssertionError("two");
        e.subscribe(v -> ran.add("a"));
        e.subscribe(v -> {
            ran.add("b");
            throw one;
        });
        e.subscribe(v -> ran.add("c"));
        e.subscribe("audit-log", v -> {
            ran.add("d");
            throw two;
        });
        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> e.fire("x"));
        assertThat(ran).containsExactly("a", "b", "c", "d");
        assertThat(g.exceptions()).containsExactly(one, two);
        // named by subscription: the given name, else '<event> subscriber #n'
        assertThat(g.failures()).extracting(ExceptionGroup.Failure::taskName).containsExactly("saved subscriber #2", "audit-log");
        assertThat(g.getMessage()).contains("2 of 4 handlers of event 'saved' failed");
    }

    @Test
    void e1_aDefaultSubscriptionNameStaysTheSameWhenOthersUnsubscribe() {
        Event<String> e = new Event<>("saved");
        Subscription first = e.subscribe(v -> {});
        Subscription second = e.subscribe(v -> {
            throw new IllegalStateException("second fails");
        });
        first.close();
        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> e.fire("x"));
        assertThat(g.failures()).extracting(ExceptionGroup.Failure::taskName).containsExactly("saved subscriber #2");
        assertThat(second.name()).isEqualTo("saved subscriber #2");
        assertThatThrownBy(() -> e.subscribe(" ", v -> {})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("subscription name is blank");
    }

    @Test
    void e1_subscribingAndUnsubscribingDuringAFiringAffectsTheNextFiring() {
        Event<Integer> e = new Event<>();
        List<String> log = new ArrayList<>();
        Subscription[] later = new Subscription[1];
        e.subscribe(v -> {
            log.add("first" + v);
            if (v == 1) {
                e.subscribe(x -> log.add("added" + x));
                later[0].close(); // unsubscribes the third, which still runs in this firing
            }
        });
        e.subscribe(v -> log.add("second" + v));
        later[0] = e.subscribe(v -> log.add("third" + v));
        e.fire(1);
        e.fire(2);
        assertThat(log).containsExactly("first1", "second1", "third1", "first2", "second2", "added2");
    }

    @Test
    void e1_concurrentSubscribersAreNotLostAndAFiringSeesASnapshot() throws Exception {
        Event<Integer> e = new Event<>();
        int threads = 8, each = 100;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        List<Integer> seen = new CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
                for (int i = 0; i < each; i++) {
                    e.subscribe(v -> {
                        if (v >= 0) seen.add(v);
                    });
                    e.fire(-1); // fires concurrently with other subscribes
                }
            }));
        }
        start.countDown();
        for (Thread t : ts) t.join();
        assertThat(e.subscriberCount()).isEqualTo(threads * each);
        seen.clear();
        e.fire(7);
        assertThat(seen).hasSize(threads * each).containsOnly(7);
    }

    @Test
    void e1_reentrantFiringAndNullValues() {
        Event<String> e = new Event<>();
        List<String> log = new ArrayList<>();
        e.subscribe(v -> {
            log.add(String.valueOf(v));
            if ("outer".equals(v)) e.fire(null);
        });
        e.fire("outer");
        assertThat(log).containsExactly("outer", "null");
    }
}
