package dev.weft.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.ExceptionGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
}
