package dev.weft.spring;

import dev.weft.RetryPolicy;
import dev.weft.events.EventBus;
import dev.weft.events.EventHandler;
import dev.weft.events.EventType;
import dev.weft.events.transport.Envelope;
import dev.weft.events.worker.Worker;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Finds the {@link WeftHandler} methods of the application's beans once every singleton exists:
 * subscribes the bus handlers, and keeps the worker handlers for the starter's Worker. A method
 * the annotation cannot describe fails the start with a message naming it and the fix.
 */
final class WeftHandlerRegistrar implements SmartInitializingSingleton {

    /** One worker handler: its event type and how to call it. */
    record WorkerHandler(String name, EventType<?> type, boolean envelope, Object bean, Method method) {}

    private final ConfigurableListableBeanFactory beans;
    private final EventBus bus;
    private final WeftProperties.Retry defaults;
    private final List<WorkerHandler> workerHandlers = new ArrayList<>();
    private final List<String> busHandlers = new ArrayList<>();

    WeftHandlerRegistrar(ConfigurableListableBeanFactory beans, EventBus bus, WeftProperties.Retry defaults) {
        this.beans = beans;
        this.bus = bus;
        this.defaults = defaults;
    }

    @Override
    public void afterSingletonsInstantiated() {
        for (String beanName : beans.getBeanNamesForType(Object.class, false, false)) {
            Class<?> type = beans.getType(beanName, false);
            if (type == null || type.getName().startsWith("org.springframework.")) continue;
            Map<Method, WeftHandler> found = MethodIntrospector.selectMethods(type,
                    (MethodIntrospector.MetadataLookup<WeftHandler>) m -> AnnotatedElementUtils.findMergedAnnotation(m, WeftHandler.class));
            if (found.isEmpty()) continue;
            Object bean = beans.getBean(beanName);
            found.forEach((method, annotation) -> register(beanName, bean, method, annotation));
        }
    }

    /** The worker handlers found, in the order found. */
    List<WorkerHandler> workerHandlers() {
        return List.copyOf(workerHandlers);
    }

    /** The names of the bus handlers found. */
    List<String> busHandlers() {
        return List.copyOf(busHandlers);
    }

    private void register(String beanName, Object bean, Method method, WeftHandler a) {
        String where = "@WeftHandler method " + method.getDeclaringClass().getName() + "." + method.getName()
                + " (bean '" + beanName + "')";
        if (Modifier.isStatic(method.getModifiers())) throw new IllegalStateException(where + " is static: make it an instance method of the bean");
        if (method.getParameterCount() != 1) {
            throw new IllegalStateException(where + " takes " + method.getParameterCount() + " parameters: it must take one,"
                    + " the event's record type (or an Envelope of it), e.g. void on(SightingReported event)");
        }
        if (method.getReturnType() != void.class) {
            throw new IllegalStateException(where + " returns " + method.getReturnType().getSimpleName()
                    + ": a handler returns void (what it returns would be lost)");
        }
        boolean envelope = method.getParameterTypes()[0] == Envelope.class;
        Class<?> eventClass = envelope ? envelopeArgument(method, where) : method.getParameterTypes()[0];
        EventType<?> type = bus.declaredTypes().values().stream().filter(t -> t.type() == eventClass).findFirst()
                .orElseThrow(() -> new IllegalStateException(where + " handles " + eventClass.getName()
                        + ", which is no declared event type: annotate the record with @WeftEvent (in a package the starter scans:"
                        + " the application's, or weft.events.packages) or declare an EventType bean for it"));
        String name = a.name().isEmpty() ? beanName + "." + method.getName() : a.name();
        Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
        invocable.setAccessible(true);
        if (a.worker()) {
            if (a.mode().length > 0 || a.maxAttempts() != 0 || !a.backoff().isEmpty()) {
                throw new IllegalStateException(where + " is a worker handler (worker = true) and sets mode, maxAttempts or backoff:"
                        + " the Worker runs every handler with its own limits (weft.worker.*, weft.retry.*); remove them");
            }
            workerHandlers.add(new WorkerHandler(name, type, envelope, bean, invocable));
            return;
        }
        if (a.mode().length > 1) throw new IllegalStateException(where + " names " + a.mode().length + " modes: name one, or none for weft.handler-mode");
        EventBus.HandlerBuilder h = bus.handler(name);
        if (a.mode().length == 1) h.mode(a.mode()[0]);
        RetryPolicy retry = retry(a, where);
        if (retry != null) h.retry(retry);
        EventHandler<Object> call = event -> invoke(bean, invocable, event);
        if (envelope) h.onPattern(type.name(), call::handle);
        else subscribe(h, type.type(), call);
        busHandlers.add(name);
    }

    @SuppressWarnings("unchecked")
    private static <T> void subscribe(EventBus.HandlerBuilder h, Class<T> type, EventHandler<Object> call) {
        h.on(type, (EventHandler<? super T>) (EventHandler<?>) call);
    }

    private RetryPolicy retry(WeftHandler a, String where) {
        if (a.maxAttempts() == 0 && a.backoff().isEmpty()) return null;
        if (a.maxAttempts() < 0) throw new IllegalStateException(where + " has maxAttempts = " + a.maxAttempts() + ": it must be 1 or more (0: the bus's)");
        int attempts = a.maxAttempts() == 0 ? defaults.getMaxAttempts() : a.maxAttempts();
        Duration backoff;
        try {
            backoff = a.backoff().isEmpty() ? defaults.getInitialBackoff() : DurationStyle.detectAndParse(a.backoff());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + " has backoff = \"" + a.backoff() + "\", which is no duration: write e.g. \"200ms\" or \"2s\"", e);
        }
        Duration max = defaults.getMaxBackoff().compareTo(backoff) < 0 ? backoff : defaults.getMaxBackoff();
        return RetryPolicy.exponential(attempts, backoff, max);
    }

    private static Class<?> envelopeArgument(Method method, String where) {
        Type p = method.getGenericParameterTypes()[0];
        if (p instanceof ParameterizedType pt && pt.getActualTypeArguments()[0] instanceof Class<?> c) return c;
        throw new IllegalStateException(where + " takes an Envelope without its event type: write Envelope<SightingReported>");
    }

    static void invoke(Object bean, Method method, Object event) throws Exception {
        try {
            method.invoke(bean, event);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception x) throw x;
            if (e.getCause() instanceof Error x) throw x;
            throw e;
        }
    }

    /** Adds the worker handlers to {@code builder}. */
    void addTo(Worker.Builder builder) {
        for (WorkerHandler w : workerHandlers) addOne(builder, w);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void addOne(Worker.Builder builder, WorkerHandler w) {
        EventType type = w.type();
        if (w.envelope()) builder.onEnvelope(type, (EventHandler) e -> invoke(w.bean(), w.method(), e));
        else builder.on(type, (EventHandler) e -> invoke(w.bean(), w.method(), e));
    }

}
