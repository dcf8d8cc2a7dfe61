package dev.weft.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.EventBus;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.spring.fixtures.Fixtures.Handlers;
import dev.weft.spring.fixtures.Fixtures.OrderPlaced;
import dev.weft.test.Poll;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** weft-micrometer wired from the application's registries: meters of the bus and the worker, observations of scopes, handlers and deliveries. */
class WeftMicrometerWiringTest {

    /** The names of the observations that stopped. */
    private final List<String> stopped = new CopyOnWriteArrayList<>();

    /** Boot's own metrics and observation auto-configuration (a simple registry), as in an application with Actuator. */
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class, MetricsAutoConfiguration.class,
                    SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
                    WeftMicrometerAutoConfiguration.class, WeftAutoConfiguration.class))
            .withPropertyValues("weft.events.packages=dev.weft.spring.fixtures", "weft.worker.poll-wait=50ms", "weft.metrics.lag-interval=0s")
            .withBean(Handlers.class)
            .withBean(Transport.class, () -> InMemoryTransport.builder().name("memory").build())
            .withBean("recordingObservationHandler", ObservationHandler.class, () -> new ObservationHandler<>() {
                @Override
                public void onStop(Observation.Context context) {
                    stopped.add(context.getName());
                }

                @Override
                public boolean supportsContext(Observation.Context context) {
                    return true;
                }
            });

    @Test
    void theBusTheWorkerAndTheScopesAreMeasuredAndObserved() {
        runner.run(context -> {
            EventBus bus = context.getBean(EventBus.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            Handlers handlers = context.getBean(Handlers.class);
            EventBus.unitOfWork("request").run(scope -> {
                bus.emit(new OrderPlaced("o-1", 1));
                return null;
            });
            Poll.until(() -> handlers.fromWorker.size() == 1 && handlers.placed.size() == 1);
            Poll.until(() -> meters.find("weft.worker.handled").functionCounter() != null
                    && meters.find("weft.worker.handled").functionCounter().count() == 1);
            assertThat(meters.get("weft.bus.events.emitted").tag("bus", "weft").functionCounter().count()).isEqualTo(1);
            assertThat(meters.get("weft.scope.opened").counter().count()).isGreaterThanOrEqualTo(1);
            Poll.until(() -> stopped.contains("weft.event.handle") && stopped.contains("weft.worker.delivery"));
            assertThat(stopped).contains("weft.scope");
            // Boot's meter handler times each observation, with a long task timer <name>.active,
            // beside weft-micrometer's own meters: no name is taken twice (weft-micrometer's gauge of
            // open scopes is weft.scope.open), so every scope's observation starts.
            assertThat(meters.get("weft.scope.open").gauge()).isNotNull();
            assertThat(meters.get("weft.scope.active").longTaskTimer()).isNotNull();
            assertThat(meters.get("weft.scope").timer().count()).isGreaterThanOrEqualTo(1);
            assertThat(meters.get("weft.bus.handler.duration").tag("bus", "weft").timers()).isNotEmpty();
            // The in-memory transport tells its group's lag; the event was handled and acknowledged.
            Poll.until(() -> meters.get("weft.worker.lag").tag("transport", "memory").gauge().value() == 0);
            assertThat(meters.get("weft.worker.pending").tag("transport", "memory").gauge().value()).isZero();
        });
        runner.withPropertyValues("weft.metrics.bus-handler-timer=false").run(context -> {
            EventBus bus = context.getBean(EventBus.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            Handlers handlers = context.getBean(Handlers.class);
            bus.emit(new OrderPlaced("o-2", 2));
            Poll.until(() -> handlers.placed.size() == 1);
            assertThat(meters.find("weft.bus.handler.duration").timers()).isEmpty();
        });
        runner.withPropertyValues("weft.metrics.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(dev.weft.micrometer.WeftMicrometer.class);
            assertThat(context).hasSingleBean(EventBus.class);
        });
    }
}
