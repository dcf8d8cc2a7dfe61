package dev.weft.events;

import dev.weft.ExceptionGroup;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A value that fires a {@link Change} event when it changes (rule E2).
 *
 * <pre>{@code
 * Property<Integer> temperature = new Property<>("temperature", 20);
 * temperature.changed().subscribe(c -> System.out.println(c.oldValue() + " -> " + c.newValue()));
 * temperature.set(21);   // prints "20 -> 21"
 * temperature.set(21);   // equal to the current value: nothing fires
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link #set} fires only when the new value is not {@linkplain Objects#equals equal} to the
 *   current one; the event carries the old and the new value. Null is a value like any other.</li>
 *   <li><b>One chain of changes.</b> Every handler sees every change, in the order the changes
 *   were made, and each change's old value is the previous change's new value; all handlers see
 *   the same sequence. Changes are never merged or skipped.</li>
 *   <li><b>A set from a handler</b> (on the thread that is firing, also through another
 *   property's handler) changes the value at once and returns whether it changed, but its change
 *   is queued: it fires after every handler has seen the change under way, then the changes
 *   queued after it, in the order they were made. So while a firing is under way, {@link #get}
 *   may already return a later value than the change's {@code newValue()}.</li>
 *   <li><b>Threads.</b> Handlers run on the thread of the {@code set} that started the firing,
 *   never two changes of one property at once. That {@code set} returns once its change and every
 *   change its handlers queued (and theirs, and so on) have fired. A {@code set} from another
 *   thread waits until then, and fires its change on its own thread. So a handler must not wait
 *   for another thread that sets the same property: that set waits for the handler.</li>
 *   <li><b>Failures.</b> The handlers follow {@link Event}'s rules (E1): all run, and the
 *   failures come back from the {@code set} that started the firing, after every queued change
 *   has fired too, and after the value has changed: as the {@link ExceptionGroup} of the one
 *   change whose handlers failed, or, when several did, one group holding each change's group,
 *   named {@code change <old>-><new>}. A set from a handler never throws a handler's failure.</li>
 * </ul>
 *
 * @param <T> the value's type
 */
// Implementer's note. One ReentrantLock serializes sets and is held while handlers run, which
// gives "never two changes at once" and the cross-thread order; a set on the thread that already
// holds it (hold count above one) can only come from a handler, so it updates the value and
// appends its change to `queued` instead of firing inside the firing under way (which would show
// later handlers the nested change before the outer one). The outermost set drains `queued` after
// its own change, so queued changes fire in the order they were made, each after every handler
// saw the one before. A handler that always sets a new value makes that set loop forever, as
// nested firings would have recursed until the stack overflowed.
public final class Property<T> {

    /** A change of a property: the value before and after. */
    public record Change<T>(T oldValue, T newValue) {}

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Event<Change<T>> changed;
    private final ArrayDeque<Change<T>> queued = new ArrayDeque<>(); // guarded by lock: changes made by handlers, not yet fired
    private volatile T value;

    /** A property named {@code "property"} holding {@code initial}. */
    public Property(T initial) {
        this("property", initial);
    }

    /** A property with a name for messages, holding {@code initial}. */
    public Property(String name, T initial) {
        this.name = Objects.requireNonNull(name, "name");
        this.changed = new Event<>(name + " changed");
        this.value = initial;
    }

    /** The current value: the last one set, which during a firing may be ahead of the change being fired. */
    public T get() {
        return value;
    }

    /**
     * Sets the value; fires {@link #changed()} if it differs from the current one: now, or, when
     * called from a handler of a change under way, after that change (see the class comment).
     *
     * @return whether the value changed
     * @throws ExceptionGroup if a handler threw, of this change or of one a handler queued meanwhile
     *                        (the value has changed all the same); never from a set made by a handler
     */
    public boolean set(T newValue) {
        lock.lock();
        try {
            T old = value;
            if (Objects.equals(old, newValue)) return false;
            value = newValue;
            Change<T> change = new Change<>(old, newValue);
            if (lock.getHoldCount() > 1) {
                queued.add(change); // made by a handler: fires after the change under way
            } else {
                fireInOrder(change);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Fires {@code first}, then every change handlers queue meanwhile; lock held. */
    private void fireInOrder(Change<T> first) {
        List<ExceptionGroup.Failure> failures = null;
        for (Change<T> c = first; c != null; c = queued.poll()) {
            try {
                changed.fire(c);
            } catch (ExceptionGroup g) {
                if (failures == null) failures = new ArrayList<>(2);
                failures.add(new ExceptionGroup.Failure("change " + c.oldValue() + "->" + c.newValue(), g));
            }
        }
        if (failures == null) return;
        if (failures.size() == 1) throw (ExceptionGroup) failures.get(0).error();
        throw new ExceptionGroup("handlers of " + failures.size() + " changes of property '" + name
                + "' failed (every handler of every change ran)", failures);
    }

    /** The change event, to subscribe to. */
    public Event<Change<T>> changed() {
        return changed;
    }

    /** Shorthand for {@code changed().subscribe(name, handler)}: failures are reported under {@code name}. */
    public Subscription subscribe(String name, Consumer<? super Change<T>> handler) {
        return changed.subscribe(name, handler);
    }

    /** Shorthand for {@code changed().subscribe(handler)}. */
    public Subscription subscribe(Consumer<? super Change<T>> handler) {
        return changed.subscribe(handler);
    }

    @Override
    public String toString() {
        return "Property[" + name + ": " + value + "]";
    }
}
