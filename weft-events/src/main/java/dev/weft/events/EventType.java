package dev.weft.events;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The declaration of one event type on a bus (rule E3): a Java record, its stable wire name, how
 * its payloads are validated, and optionally its own {@link DispatchPolicy}. Immutable; each
 * method returns a new declaration.
 *
 * <pre>{@code
 * EventType.of(SightingReported.class)                 // name "sighting.reported", or @EventName
 *          .named("sightings.v1.reported")             // a fixed wire name
 *          .validatedBy(s -> s.count() > 0 ? null : "count must be positive, got " + s.count())
 *          .dispatch(DispatchPolicy.ALWAYS);           // this type only
 * }</pre>
 *
 * <p>Validation, run on every emit before anything is held or dispatched: every record component
 * of a reference type must be non-null (unless {@link #allowingNulls()}), then each validator in
 * order; the first problem found rejects the event.
 *
 * @param <T> the record type
 */
public final class EventType<T extends Record> {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]+([._-][a-z0-9]+)*");

    private final Class<T> type;
    private final String name;
    private final List<Function<? super T, String>> validators;
    private final boolean allowNulls;
    private final DispatchPolicy policy; // null: the bus's
    final Method[] nullChecked;          // accessors of reference components, when nulls are not allowed

    private EventType(Class<T> type, String name, List<Function<? super T, String>> validators, boolean allowNulls,
                      DispatchPolicy policy) {
        this.type = type;
        this.name = name;
        this.validators = List.copyOf(validators);
        this.allowNulls = allowNulls;
        this.policy = policy;
        List<Method> checked = new ArrayList<>();
        if (!allowNulls) {
            for (RecordComponent c : type.getRecordComponents()) {
                if (!c.getType().isPrimitive()) {
                    Method m = c.getAccessor();
                    try {
                        m.setAccessible(true);
                    } catch (RuntimeException inaccessible) {
                        // A record of a module that does not open its package: public accessors still work.
                    }
                    checked.add(m);
                }
            }
        }
        this.nullChecked = checked.toArray(Method[]::new);
    }

    /**
     * Declares {@code type} with its {@link EventName} or, without one, the name derived from its
     * simple name ({@code SightingReported} becomes {@code sighting.reported}).
     *
     * @throws IllegalArgumentException if {@code type} is not a record, or its annotated name is not a valid name
     */
    public static <T extends Record> EventType<T> of(Class<T> type) {
        Objects.requireNonNull(type, "type");
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + " is not a record: declare events as Java records, "
                    + "e.g. record SightingReported(String species, int count) {}");
        }
        EventName annotated = type.getAnnotation(EventName.class);
        String name = annotated != null ? checkName(annotated.value(), type) : derivedName(type);
        return new EventType<>(type, name, List.of(), false, null);
    }

    /** The same declaration with a fixed wire name. @throws IllegalArgumentException if the name is not lower-case words joined by {@code . - _} */
    public EventType<T> named(String wireName) {
        return new EventType<>(type, checkName(wireName, type), validators, allowNulls, policy);
    }

    /**
     * Adds a validator: it returns {@code null} when the payload is fine, else the problem, e.g.
     * {@code "count must be positive, got -1"}. It must not block or have side effects.
     */
    public EventType<T> validatedBy(Function<? super T, String> validator) {
        Objects.requireNonNull(validator, "validator");
        List<Function<? super T, String>> v = new ArrayList<>(validators);
        v.add(validator);
        return new EventType<>(type, name, v, allowNulls, policy);
    }

    /** The same declaration, letting record components be null. */
    public EventType<T> allowingNulls() {
        return new EventType<>(type, name, validators, true, policy);
    }

    /** The same declaration with its own dispatch policy, instead of the bus's. */
    public EventType<T> dispatch(DispatchPolicy policy) {
        return new EventType<>(type, name, validators, allowNulls, Objects.requireNonNull(policy, "policy"));
    }

    /** The record type. */
    public Class<T> type() {
        return type;
    }

    /** The wire name. */
    public String name() {
        return name;
    }

    /** This type's own dispatch policy, or null to use the bus's. */
    DispatchPolicy policy() {
        return policy;
    }

    /**
     * The first problem of {@code payload} (a null component not allowed, or a validator's
     * message), or null if it is valid: what {@link EventBus#emit} checks, for consumers that
     * dispatch decoded events themselves (the Redis worker).
     *
     * @throws ClassCastException if {@code payload} is not of this type
     */
    public String problem(Object payload) {
        T p = type.cast(payload);
        for (Method m : nullChecked) {
            Object v;
            try {
                v = m.invoke(p);
            } catch (ReflectiveOperationException e) {
                return "cannot read component " + m.getName() + ": " + e;
            }
            if (v == null) {
                return m.getName() + " is null (every component of an event must be set; declare the type allowingNulls() if null is meaningful)";
            }
        }
        for (Function<? super T, String> v : validators) {
            String problem = v.apply(p);
            if (problem != null) return problem;
        }
        return null;
    }

    static String derivedName(Class<?> type) {
        String simple = type.getSimpleName();
        StringBuilder b = new StringBuilder(simple.length() + 4);
        for (int i = 0; i < simple.length(); i++) {
            char c = simple.charAt(i);
            if (Character.isUpperCase(c)) {
                boolean prevLower = i > 0 && !Character.isUpperCase(simple.charAt(i - 1));
                boolean nextLower = i + 1 < simple.length() && Character.isLowerCase(simple.charAt(i + 1));
                if (i > 0 && (prevLower || nextLower)) b.append('.');
                b.append(Character.toLowerCase(c));
            } else if (Character.isLetterOrDigit(c)) {
                b.append(c);
            } else {
                b.append('.');
            }
        }
        return checkName(b.toString(), type);
    }

    private static String checkName(String name, Class<?> type) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("event name '" + name + "' of " + type.getName()
                    + " is not valid: use lower-case words and digits joined by '.', '-' or '_', e.g. \"sighting.reported\"");
        }
        return name;
    }

    @Override
    public String toString() {
        return "EventType[" + name + " = " + type.getName() + "]";
    }
}
