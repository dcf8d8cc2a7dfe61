package dev.weft.spring;

import dev.weft.ScopeObserver;
import dev.weft.batch.BatchListener;
import dev.weft.events.EventBus;
import dev.weft.events.EventObserver;
import dev.weft.micrometer.WeftMicrometer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Weft's meters and observations (weft-micrometer, docs/METRICS.md) from the application's
 * {@link MeterRegistry} and {@link ObservationRegistry}, the ones Spring Boot's Actuator makes:
 * every scope tree is observed (so a request's scope, its forked tasks and its events join the
 * request's trace), the bus puts the trace into each event's envelope and observes its handlers,
 * the worker continues the trace of each delivery, and the per-request loaders observe their
 * batches; the worker's meters include its group's lag when the transport can tell it. Off with
 * {@code weft.metrics.enabled=false}; {@code weft.metrics.bus-handler-timer} and
 * {@code weft.metrics.lag-interval} tune it.
 */
@AutoConfiguration(before = WeftAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"})
@ConditionalOnClass(name = {"dev.weft.micrometer.WeftMicrometer", "io.micrometer.core.instrument.MeterRegistry"})
@ConditionalOnBooleanProperty(name = {"weft.enabled", "weft.metrics.enabled"}, matchIfMissing = true)
public class WeftMicrometerAutoConfiguration {

    /** The bus's tag value ({@code bus=weft}) on the bus and handler meters. */
    public static final String BUS_NAME = "weft";

    /** Weft's Micrometer instrumentation over whichever of the two registries the application has. */
    @Bean
    @ConditionalOnMissingBean
    public WeftMicrometer weftMicrometer(ObjectProvider<MeterRegistry> meters, ObjectProvider<ObservationRegistry> observations,
            WeftProperties properties) {
        WeftMicrometer.Builder b = WeftMicrometer.builder()
                .busHandlerTimer(properties.getMetrics().isBusHandlerTimer())
                .lagInterval(properties.getMetrics().getLagInterval());
        MeterRegistry m = meters.getIfUnique();
        ObservationRegistry o = observations.getIfUnique();
        if (m != null) b.meterRegistry(m);
        if (o != null) b.observationRegistry(o);
        return b.build();
    }

    /** Every scope tree opened from now on is observed; the registration ends with the application. */
    @Bean(destroyMethod = "close")
    ScopeObserver.Registration weftScopeObservation(WeftMicrometer micrometer) {
        return micrometer.registerScopes();
    }

    /** Given to the bus by the starter: the trace into each envelope, handler tries timed and observed. */
    @Bean
    EventObserver weftEventObserver(WeftMicrometer micrometer) {
        return micrometer.eventObserver(BUS_NAME);
    }

    /** Given to the worker by the starter. */
    @Bean
    dev.weft.events.worker.WorkerObserver weftWorkerObserver(WeftMicrometer micrometer) {
        return micrometer.workerObserver();
    }

    /** Given to the per-request loaders by the starter. */
    @Bean
    BatchListener weftBatchListener(WeftMicrometer micrometer) {
        return micrometer.batchListener();
    }

    /** The weft.worker.* meters of the starter's worker, bound when it starts. */
    @Bean
    WeftWorkerLifecycle.Binder weftWorkerMeters(WeftMicrometer micrometer) {
        return micrometer::bindWorker;
    }

    /** The weft.bus.* meters, read from the bus's statistics when the registry is scraped. */
    @Bean(destroyMethod = "close")
    WeftMicrometer.Binding weftBusMeters(WeftMicrometer micrometer, EventBus bus) {
        return micrometer.bindBus(bus, BUS_NAME);
    }
}
