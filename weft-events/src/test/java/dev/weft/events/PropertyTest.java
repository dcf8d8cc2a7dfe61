package dev.weft.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.ExceptionGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** E2: a property fires old and new value on change, and nothing on an equal value. */
class PropertyTest {

    @Test
    void e2_firesOldAndNewOnChangeAndNothingForAnEqualValue() {
        Property<String> p = new Property<>("mood", "calm");
        List<Property.Change<String>> changes = new ArrayList<>();
        p.subscribe(changes::add);
        assertThat(p.set("busy")).isTrue();
        assertThat(p.set(new String("busy"))).isFalse(); // equal, not identical
        assertThat(p.set(null)).isTrue();
        assertThat(p.set(null)).isFalse();
        assertThat(p.set("calm")).isTrue();
        assertThat(changes).containsExactly(new Property.Change<>("calm", "busy"), new Property.Change<>("busy", null),
                new Property.Change<>(null, "calm"));
        assertThat(p.get()).isEqualTo("calm");
    }

    @Test
    void e2_handlerFailuresComeBackAfterTheValueChanged() {
        Property<Integer> p = new Property<>(1);
        List<Integer> seen = new ArrayList<>();
        p.changed().subscribe(c -> {
            throw new IllegalStateException("listener broke");
        });
        p.changed().subscribe(c -> seen.add(c.newValue()));
        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> p.set(2));
        assertThat(g.leaves()).hasSize(1);
        assertThat(p.get()).isEqualTo(2);
        assertThat(seen).containsExactly(2);
    }

    @Test
    void e2_concurrentSetsAreSeenAsOneChainOfChanges() throws Exception {
        Property<Integer> p = new Property<>(0);
        List<Property.Change<Integer>> changes = new CopyOnWriteArrayList<>();
        p.subscribe(changes::add);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            ts.add(Thread.ofVirtual().start(() -> {
                for (int i = 1; i <= 250; i++) p.set(base + i);
            }));
        }
        for (Thread t : ts) t.join();
        // Each change starts where the previous one ended: no change was lost or seen out of order.
        for (int i = 1; i < changes.size(); i++) {
            assertThat(changes.get(i).oldValue()).isEqualTo(changes.get(i - 1).newValue());
        }
        assertThat(changes.get(changes.size() - 1).newValue()).isEqualTo(p.get());
    }

    @Test
    void e2_aHandlerMaySetThePropertyAgain() {
        Property<Integer> p = new Property<>(0);
        List<String> log = new ArrayList<>();
        p.subscribe(c -> {
            log.add(c.oldValue() + "->" + c.newValue());
            if (c.newValue() < 3) p.set(c.newValue() + 1);
        });
        p.set(1);
        assertThat(log).containsExactly("0->1", "1->2", "2->3");
        assertThat(p.get()).isEqualTo(3);
    }

    /** A handler that logs "old->new" for each change it sees. */
    private static List<String> log(Property<Integer> p) {
        List<String> log = new CopyOnWriteArrayList<>();
        p.subscribe(c -> log.add(c.oldValue() + "->" + c.newValue()));
        return log;
    }

    /** Each change starts where the previous one ended. */
    private static void assertChain(List<String> log, int first, int last) {
        assertThat(log).isNotEmpty();
        assertThat(log.get(0)).startsWith(first + "->");
        for (int i = 1; i < log.size(); i++) {
            String previousNew = log.get(i - 1).substring(log.get(i - 1).indexOf("->") + 2);
            assertThat(log.get(i)).as("change %d of %s", i, log).startsWith(previousNew + "->");
        }
        assertThat(log.get(log.size() - 1)).endsWith("->" + last);
    }

    @Test
    void e2_aSetFromAHandlerFiresAfterTheChangeUnderWay_soEveryHandlerSeesTheChangesInOrder() {
        Property<Integer> p = new Property<>(0);
        List<String> before = log(p);
        AtomicReference<Boolean> nestedSetReturned = new AtomicReference<>();
        List<Integer> valueSeenByLaterHandler = new ArrayList<>();
        p.subscribe(c -> {
            if (c.newValue() == 1) nestedSetReturned.set(p.set(2)); // queued: fires once every handler has seen 0->1
        });
        p.subscribe(c -> valueSeenByLaterHandler.add(p.get()));
        List<String> after = log(p);

        assertThat(p.set(1)).isTrue();
        assertThat(before).containsExactly("0->1", "1->2");
        assertThat(after).containsExactly("0->1", "1->2"); // not 1->2 first, as a nested firing would show it
        assertThat(nestedSetReturned.get()).isTrue(); // the value changed at once...
        assertThat(valueSeenByLaterHandler).containsExactly(2, 2); // ...so get() is ahead of the change being fired
        assertThat(p.get()).isEqualTo(2);
    }

    @Test
    void e2_severalSetsFromHandlers_eachQueuedInTheOrderMade_equalOnesSkipped() {
        Property<Integer> p = new Property<>(0);
        List<String> a = log(p);
        List<Boolean> returned = new ArrayList<>();
        p.subscribe(c -> {
            if (c.newValue() == 1) {
                returned.add(p.set(2));
                returned.add(p.set(2)); // equal to the value now (2): nothing queued
                returned.add(p.set(3));
            }
        });
        p.subscribe(c -> {
            if (c.newValue() == 3) returned.add(p.set(4)); // made while 2->3 fires, which was itself queued
        });
        List<String> b = log(p);

        p.set(1);
        assertThat(a).containsExactly("0->1", "1->2", "2->3", "3->4");
        assertThat(b).isEqualTo(a);
        assertThat(returned).containsExactly(true, false, true, true);
        assertThat(p.get()).isEqualTo(4);
    }

    @Test
    void e2_failuresOfQueuedChangesComeBackFromTheSetThatStartedTheFiring() {
        Property<Integer> p = new Property<>("level", 0);
        AtomicReference<Boolean> nested = new AtomicReference<>();
        p.subscribe(c -> {
            if (c.newValue() == 1) nested.set(p.set(2));
        });
        p.subscribe(c -> {
            throw new IllegalStateException("broke on " + c.oldValue() + "->" + c.newValue());
        });
        List<String> last = log(p);

        ExceptionGroup g = catchThrowableOfType(ExceptionGroup.class, () -> p.set(1));
        assertThat(nested.get()).isTrue(); // the nested set did not throw: its change had not fired yet
        assertThat(last).containsExactly("0->1", "1->2"); // every handler of every change ran
        assertThat(g.leaves()).extracting(f -> f.error().getMessage()).containsExactly("broke on 0->1", "broke on 1->2");
        assertThat(g.failures()).extracting(ExceptionGroup.Failure::taskName).containsExactly("change 0->1", "change 1->2");
        assertThat(g.message()).isEqualTo("handlers of 2 changes of property 'level' failed (every handler of every change ran)");
        assertThat(p.get()).isEqualTo(2);

        // One failing change: its group comes back as it is.
        Property<Integer> q = new Property<>(0);
        q.subscribe(c -> {
            if (c.newValue() == 1) q.set(2);
        });
        q.subscribe(c -> {
            if (c.newValue() == 2) throw new IllegalStateException("broke on 1->2");
        });
        ExceptionGroup one = catchThrowableOfType(ExceptionGroup.class, () -> q.set(1));
        assertThat(one.single()).hasMessage("broke on 1->2");
        assertThat(one.failures()).singleElement().satisfies(f -> assertThat(f.taskName()).endsWith("subscriber #2"));
    }

    @Test
    void e2_concurrentSetsAndSetsFromHandlers_everyHandlerSeesTheSameChain() throws Exception {
        Property<Integer> p = new Property<>(0);
        List<String> first = log(p);
        p.subscribe(c -> {
            if (c.newValue() > 0 && c.newValue() % 7 == 0) p.set(-c.newValue()); // a handler that corrects some values
        });
        List<String> last = log(p);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 1; t <= 4; t++) {
            int base = t * 1000;
            ts.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                for (int i = 1; i <= 250; i++) p.set(base + i);
            }));
        }
        go.countDown();
        for (Thread t : ts) t.join();

        assertChain(first, 0, p.get());
        assertThat(last).isEqualTo(first);
        assertThat(first).contains("4242->-4242"); // the corrections were fired too, in the chain
    }
}
