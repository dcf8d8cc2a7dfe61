package dev.weft.events;

import dev.weft.ExceptionGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A multicast event (rule E1), after C#'s {@code event} and Python's {@code events} package:
 * subscribe handlers, fire the event, every handler runs, in subscription order.
 *
 * <pre>{@code
 * Event<String> clicked = new Event<>("clicked");
 * Subscription s = clicked.subscribe(label -> System.out.println("clicked " + label));
 * clicked.fire("OK");      // prints "clicked OK"
 * s.close();               // or clicked.unsubscribe(handler)
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Handlers run on the firing thread, in the order they subscribed, before {@link #fire}
 *   returns.</li>
 *   <li>A handler that throws does not stop the others: after every handler ran, {@code fire}
 *   throws one {@link ExceptionGroup} holding every failure, in the order they happened, each
 *   under its subscription's {@linkplain Subscription#name() name}: the one given to
 *   {@link #subscribe(String, Consumer)}, else {@code <event> subscriber #n} (n counts this
 *   event's subscriptions from 1, and stays the same when others unsubscribe).</li>
 *   <li>Subscribing or unsubscribing while a firing is under way (from a handler or another
 *   thread) affects the next firing, not the one under way: each firing works on the snapshot
 *   of handlers taken when it started.</li>
 *   <li>Thread-safe. Firings from several threads may overlap; each sees its own snapshot.</li>
 *   <li>A fire with no failure allocates nothing (the handler list is a copy-on-write array).</li>
 * </ul>
 *
 * @param <T> what the event carries
 */
// Implementer's note. The handlers are a copy-on-write array of entries; fire() reads the
// volatile array once and loops over it, so a firing never sees a change that happens during
// it, and never allocates unless a handler throws (the failure list is created on the first
// failure). Entries, not bare consumers, so that subscribing the same lambda twice gives two
// subscriptions that close independently. Writers take a ReentrantLock (never held while a
// handler runs), as the project does for state shared with virtual threads.
public final class Event<T> {

    private static final Entry<?>[] NONE = new Entry<?>[0];

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private int subscriptions; // guarded by lock: numbers the default names
    @SuppressWarnings("unchecked")
    private volatile Entry<T>[] entries = (Entry<T>[]) NONE;

    /** An event named {@code "event"} (the name only appears in messages). */
    public Event() {
        this("event");
    }

    /** An event with a name for messages, e.g. {@code "temperature-changed"}. */
    public Event(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    /** The event's name. */
    public String name() {
        return name;
    }

    /**
     * Subscribes {@code handler}; it runs from the next firing on, after every handler that
     * subscribed before it. The same handler may subscribe more than once (it then runs once per
     * subscription).
     *
     * @return the subscription; {@code close()} it to unsubscribe
     */
    public Subscription subscribe(Consumer<? super T> handler) {
        return subscribe(null, handler);
    }

    /**
     * As {@link #subscribe(Consumer)}, with a name for the subscription: a failure of the handler
     * is reported under it (say {@code "audit-log"}), instead of a generated
     * {@code <event> subscriber #n}.
     *
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Subscription subscribe(String name, Consumer<? super T> handler) {
        Objects.requireNonNull(handler, "handler: pass the code to run when the event fires");
        if (name != null && name.isBlank()) {
            throw new IllegalArgumentException("subscription name is blank: name it after what the handler does, e.g. \"audit-log\"");
        }
        lock.lock();
        try {
            Entry<T> e = new Entry<>(this, handler, name != null ? name : this.name + " subscriber #" + ++subscriptions);
            if (name != null) subscriptions++;
            Entry<T>[] old = entries;
            Entry<T>[] next = Arrays.copyOf(old, old.length + 1);
            next[old.length] = e;
            entries = next;
            return e;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Unsubscribes the most recent subscription of {@code handler} (C#'s {@code -=}).
     *
     * @return whether it was subscribed
     */
    public boolean unsubscribe(Consumer<? super T> handler) {
        Objects.requireNonNull(handler, "handler");
        lock.lock();
        try {
            Entry<T>[] old = entries;
            for (int i = old.length - 1; i >= 0; i--) {
                if (old[i].handler == handler) {
                    remove(i);
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private boolean remove(Entry<T> e) {
        lock.lock();
        try {
            Entry<T>[] old = entries;
            for (int i = 0; i < old.length; i++) {
                if (old[i] == e) {
                    remove(i);
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void remove(int i) { // lock held
        Entry<T>[] old = entries;
        @SuppressWarnings("unchecked")
        Entry<T>[] next = old.length == 1 ? (Entry<T>[]) NONE : Arrays.copyOf(old, old.length - 1);
        System.arraycopy(old, i + 1, next, i, old.length - i - 1);
        entries = next;
    }

    /**
     * Calls every handler subscribed when this call starts, in subscription order, with {@code value}.
     *
     * @throws ExceptionGroup if any handler threw: after every handler ran, holding each failure
     */
    public void fire(T value) {
        Entry<T>[] snapshot = entries;
        List<ExceptionGroup.Failure> failures = null;
        for (int i = 0; i < snapshot.length; i++) {
            try {
                snapshot[i].handler.accept(value);
            } catch (Throwable t) {
                if (failures == null) failures = new ArrayList<>(2);
                failures.add(new ExceptionGroup.Failure(snapshot[i].name, t));
            }
        }
        if (failures != null) {
            throw new ExceptionGroup(failures.size() + " of " + snapshot.length + " handlers of event '" + name
                    + "' failed (every handler ran)", failures);
        }
    }

    /** How many subscriptions are active. */
    public int subscriberCount() {
        return entries.length;
    }

    @Override
    public String toString() {
        return "Event[" + name + ", " + entries.length + " subscribers]";
    }

    private static final class Entry<T> implements Subscription {
        final Event<T> event;
        final Consumer<? super T> handler;
        final String name;

        Entry(Event<T> event, Consumer<? super T> handler, String name) {
            this.event = event;
            this.handler = handler;
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void close() {
            event.remove(this);
        }

        @Override
        public boolean isActive() {
            for (Entry<T> e : event.entries) {
                if (e == this) return true;
            }
            return false;
        }

        @Override
        public String toString() {
            return "Subscription[" + name + ", " + (isActive() ? "active" : "closed") + "]";
        }
    }
}
