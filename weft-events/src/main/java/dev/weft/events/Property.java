package dev.weft.events;

import dev.weft.ExceptionGroup;
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
 *   <li>Sets are serialized and each one fires before the next one starts, on the setting
 *   thread: handlers see every change in order, and each change's old value is the previous
 *   change's new value. A handler may set the property again (the nested change fires first,
 *   inside the outer firing).</li>
 *   <li>The handlers follow {@link Event}'s rules (E1): all run, failures come back together
 *   as an {@link ExceptionGroup} from {@code set}, after the value has changed.</li>
 * </ul>
 *
 * @param <T> the value's type
 */
public final class Property<T> {

    /** A change of a property: the value before and after. */
    public record Change<T>(T oldValue, T newValue) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Event<Change<T>> changed;
    private volatile T value;

    /** A property named {@code "property"} holding {@code initial}. */
    public Property(T initial) {
        this("property", initial);
    }

    /** A property with a name for messages, holding {@code initial}. */
    public Property(String name, T initial) {
        this.changed = new Event<>(Objects.requireNonNull(name, "name") + " changed");
        this.value = initial;
    }

    /** The current value. */
    public T get() {
        return value;
    }

    /**
     * Sets the value; fires {@link #changed()} if it differs from the current one.
     *
     * @return whether the value changed
     * @throws ExceptionGroup if a handler of the change threw (the value has changed all the same)
     */
    public boolean set(T newValue) {
        lock.lock();
        try {
            T old = value;
            if (Objects.equals(old, newValue)) return false;
            value = newValue;
            changed.fire(new Change<>(old, newValue));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The change event, to subscribe to. */
    public Event<Change<T>> changed() {
        return changed;
    }

    /** Shorthand for {@code changed().subscribe(handler)}. */
    public Subscription subscribe(Consumer<? super Change<T>> handler) {
        return changed.subscribe(handler);
    }

    @Override
    public String toString() {
        return "Property[" + changed.name() + ": " + value + "]";
    }
}
