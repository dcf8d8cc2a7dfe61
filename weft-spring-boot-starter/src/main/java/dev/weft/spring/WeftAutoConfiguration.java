package dev.weft.spring;

import dev.weft.RetryPolicy;
import dev.weft.events.DeadLetterStore;
import dev.weft.events.EventBus;
import dev.weft.events.EventObserver;
import dev.weft.events.worker.WorkerObserver;
import dev.weft.batch.BatchListener;
import dev.weft.events.EventType;
import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.Outbox;
import dev.weft.events.transport.Transport;
import dev.weft.jdbc.JdbcOutbox;
import dev.weft.jdbc.OutboxRelay;
import dev.weft.redis.RedisStreamsTransport;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.aop.Advisor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.util.ClassUtils;
import org.springframework.web.context.annotation.RequestScope;

/**
 * Weft in a Spring Boot application (docs/SPRING.md): the {@link EventBus}, its event types and
 * handlers, the request filter, the transaction interceptor, the Redis transport with its worker,
 * the JDBC outbox and the per-request loaders. Every bean backs off when the application defines
 * its own of the same type.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration"})
@ConditionalOnBooleanProperty(name = "weft.enabled", matchIfMissing = true)
@EnableConfigurationProperties(WeftProperties.class)
public class WeftAutoConfiguration {

    /** The codec of transported events: JSON (weft-events-jackson). */
    @Bean
    @ConditionalOnMissingBean
    public EventCodec weftEventCodec() {
        return new JacksonEventCodec();
    }

    /** The bus's dead letters: in memory unless the application declares a store. */
    @Bean
    @ConditionalOnMissingBean
    public DeadLetterStore weftDeadLetters() {
        return DeadLetterStore.inMemory();
    }

    /**
     * The bus: event types from {@link WeftEvent} records (scanned) and {@link EventType} beans;
     * the transport when there is one (through the outbox when {@code weft.outbox.enabled}).
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public EventBus weftEventBus(WeftProperties properties, BeanFactory beanFactory, EventCodec codec, DeadLetterStore deadLetters,
                                 ObjectProvider<EventType<?>> typeBeans, ObjectProvider<Transport> transports,
                                 ObjectProvider<Outbox> outboxes, ObjectProvider<EventObserver> observers) {
        EventBus.Builder b = EventBus.builder()
                .capacity(properties.getCapacity())
                .whenFull(properties.getWhenFull())
                .dispatchPolicy(properties.getDispatchPolicy())
                .defaultHandlerMode(properties.getHandlerMode())
                .retry(retryPolicy(properties.getRetry()))
                .codec(codec)
                .deadLetters(deadLetters);
        observers.orderedStream().forEach(b::observer);
        for (EventType<?> t : eventTypes(properties, beanFactory, typeBeans)) b.declare(t);
        Outbox outbox = outboxes.getIfUnique();
        Transport transport = transports.getIfUnique();
        if (outbox != null) {
            b.outbox(outbox, properties.getOutbox().getPattern()); // the relay publishes to the transport
        } else if (transport != null) {
            b.transport(transport, properties.getRedis().getPattern());
        }
        return b.build();
    }

    static RetryPolicy retryPolicy(WeftProperties.Retry r) {
        return RetryPolicy.exponential(r.getMaxAttempts(), r.getInitialBackoff(), r.getMaxBackoff());
    }

    /** The declared types: EventType beans first, then the scanned records no bean declared. */
    static List<EventType<?>> eventTypes(WeftProperties properties, BeanFactory beanFactory, ObjectProvider<EventType<?>> typeBeans) {
        Map<Class<?>, EventType<?>> types = new LinkedHashMap<>();
        typeBeans.orderedStream().forEach(t -> types.put(t.type(), t));
        List<String> packages = new ArrayList<>(properties.getEvents().getPackages());
        if (packages.isEmpty() && AutoConfigurationPackages.has(beanFactory)) packages.addAll(AutoConfigurationPackages.get(beanFactory));
        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(WeftEvent.class));
        ClassLoader loader = beanFactory instanceof ConfigurableListableBeanFactory c && c.getBeanClassLoader() != null
                ? c.getBeanClassLoader() : WeftAutoConfiguration.class.getClassLoader();
        for (String p : packages) {
            for (BeanDefinition d : scanner.findCandidateComponents(p)) {
                Class<?> c = ClassUtils.resolveClassName(d.getBeanClassName(), loader);
                if (types.containsKey(c)) continue;
                types.put(c, typeOf(c));
            }
        }
        return List.copyOf(types.values());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static EventType<?> typeOf(Class<?> c) {
        if (!c.isRecord()) {
            throw new IllegalStateException("@WeftEvent is on " + c.getName() + ", which is not a record: event types are records"
                    + " (their components are the event's data)");
        }
        WeftEvent a = c.getAnnotation(WeftEvent.class);
        EventType t = EventType.of((Class) c);
        if (!a.value().isEmpty()) t = t.named(a.value());
        if (a.dispatch().length > 1) {
            throw new IllegalStateException("@WeftEvent on " + c.getName() + " names " + a.dispatch().length + " dispatch policies: name one");
        }
        if (a.dispatch().length == 1) t = t.dispatch(a.dispatch()[0]);
        return t;
    }

    /** Subscribes the {@link WeftHandler} methods once every singleton exists. */
    @Bean
    WeftHandlerRegistrar weftHandlerRegistrar(ConfigurableListableBeanFactory beanFactory, EventBus bus, WeftProperties properties) {
        return new WeftHandlerRegistrar(beanFactory, bus, properties.getRetry());
    }

    @Bean
    SmartLifecycle weftBusLifecycle(EventBus bus, Environment environment, WeftProperties properties) {
        return new WeftBusLifecycle(bus, shutdownGrace(environment, properties));
    }

    static Duration shutdownGrace(Environment environment, WeftProperties properties) {
        if (properties.getWorker().getShutdownGrace() != null) return properties.getWorker().getShutdownGrace();
        return Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class).orElse(Duration.ofSeconds(30));
    }

    /** Figures of the per-request loaders, for the actuator endpoint. */
    @Bean
    @ConditionalOnMissingBean
    public LoaderTotals weftLoaderTotals() {
        return new LoaderTotals();
    }

    /** Each servlet request a unit of work; the loaders of each request. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = {"jakarta.servlet.Filter", "org.springframework.web.filter.OncePerRequestFilter"})
    static class Web {

        @Bean
        @ConditionalOnBooleanProperty(name = "weft.web.enabled", matchIfMissing = true)
        @ConditionalOnMissingBean(name = "weftRequestFilter")
        FilterRegistrationBean<WeftRequestFilter> weftRequestFilter(WeftProperties properties) {
            FilterRegistrationBean<WeftRequestFilter> r = new FilterRegistrationBean<>(new WeftRequestFilter());
            r.setName("weftRequestFilter");
            r.setOrder(properties.getWeb().getFilterOrder());
            r.setUrlPatterns(properties.getWeb().getUrlPatterns());
            r.setAsyncSupported(true);
            return r;
        }

        @Bean(destroyMethod = "requestEnded")
        @RequestScope
        @ConditionalOnMissingBean
        RequestLoaders weftRequestLoaders(LoaderTotals totals, WeftProperties properties, ObjectProvider<BatchListener> listener) {
            return new RequestLoaders(totals, properties.getLoaders().getMaxDelay(), properties.getLoaders().getMaxBatchSize(),
                    listener.getIfUnique());
        }
    }

    /** Events in {@code @Transactional} methods wait for the transaction. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.transaction.TransactionExecutionListener")
    @ConditionalOnBooleanProperty(name = "weft.transaction.enabled", matchIfMissing = true)
    static class Transactions {

        @Bean
        @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
        static WeftTransactionInterceptor weftTransactionInterceptor() {
            return new WeftTransactionInterceptor();
        }

        /** Outside Spring's transaction interceptor (whose advisor has the lowest precedence), so the scope ends after the commit. */
        @Bean
        @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
        static Advisor weftTransactionAdvisor(WeftTransactionInterceptor interceptor) {
            ComposablePointcut pointcut = new ComposablePointcut(new AnnotationMatchingPointcut(Transactional.class, true))
                    .union(new AnnotationMatchingPointcut(null, Transactional.class, true));
            DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(pointcut, interceptor);
            advisor.setOrder(org.springframework.core.Ordered.LOWEST_PRECEDENCE - 1);
            return advisor;
        }
    }

    /** The Redis Streams transport, from weft.redis.url or spring.data.redis.*. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "dev.weft.redis.RedisStreamsTransport")
    @ConditionalOnBooleanProperty(name = "weft.redis.enabled", matchIfMissing = true)
    @Conditional(RedisSettings.Configured.class)
    static class Redis {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean(Transport.class)
        RedisStreamsTransport weftTransport(WeftProperties properties, Environment environment) {
            WeftProperties.Redis r = properties.getRedis();
            return RedisStreamsTransport.builder(RedisSettings.url(r, environment)).stream(r.getStream())
                    .maxDeliveries(r.getMaxDeliveries()).redeliverAfter(r.getRedeliverAfter()).commandTimeout(r.getCommandTimeout())
                    .build();
        }
    }

    /** The worker, whenever there is a transport. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBooleanProperty(name = "weft.worker.enabled", matchIfMissing = true)
    static class Workers {

        @Bean
        @ConditionalOnMissingBean
        WeftWorkerLifecycle weftWorker(ObjectProvider<Transport> transport, EventCodec codec, WeftHandlerRegistrar handlers, WeftProperties properties,
                                       Environment environment, ObjectProvider<WorkerObserver> observer,
                                       ObjectProvider<WeftWorkerLifecycle.Binder> binder) {
            return new WeftWorkerLifecycle(transport.getIfUnique(), codec, handlers, properties, shutdownGrace(environment, properties),
                    observer.getIfUnique(), binder.getIfUnique());
        }
    }

    /** The JDBC outbox in Spring's transactions, and its relay to the transport. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"dev.weft.jdbc.JdbcOutbox", "org.springframework.jdbc.datasource.DataSourceUtils"})
    @ConditionalOnBooleanProperty(name = "weft.outbox.enabled")
    @ConditionalOnBean(DataSource.class)
    static class Outboxes {

        @Bean
        @ConditionalOnMissingBean(Outbox.class)
        SpringTransactionOutbox weftOutbox(DataSource dataSource, WeftProperties properties) throws SQLException {
            JdbcOutbox jdbc = JdbcOutbox.builder(dataSource).table(properties.getOutbox().getTable())
                    .createTable(properties.getOutbox().isCreateTable()).build();
            return new SpringTransactionOutbox(jdbc, dataSource);
        }

        /** Publishes committed outbox rows to the transport; without a transport the rows wait in the table. */
        @Bean
        WeftRelayLifecycle weftOutboxRelay(SpringTransactionOutbox outbox, ObjectProvider<Transport> transport, WeftProperties properties) {
            Transport t = transport.getIfUnique();
            OutboxRelay relay = t == null ? null : outbox.jdbc().relay(t).pollInterval(properties.getOutbox().getPollInterval()).build();
            return new WeftRelayLifecycle(relay);
        }
    }
}
