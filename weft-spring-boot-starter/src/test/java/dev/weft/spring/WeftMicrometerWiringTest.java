package dev.weft.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.events.EventBus;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.spring.fixtures.Fixtures.Handlers;
import dev.weft.spring.fixtures.Fixtures.OrderPlaced;
import dev.weft.test.Poll;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** weft-micrometer wired from the application's registries: meters of the bus and the worker, observations of scopes, handlers and deliveries. */
class WeftMicrometerWiringTest {

    /** The names of the observations that stopped. */
    private final List<String> stopped = new CopyOnWriteArrayList<>();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WeftMicrometerAutoConfiguration.class, WeftAutoConfiguration.class))
            .withPropertyValues("weft.events.packages=dev.weft.spring.fixtures", "weft.worker.poll-wait=50ms")
            .withBean(Handlers.class)
            .withBean(Transport.class, () -> InMemoryTransport.builder().name("memory").build())
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withBean(ObservationRegistry.class, () -> {
                ObservationRegistry r = ObservationRegistry.create();
                r.observationConfig().observationHandler(new ObservationHandler<>() {
                    @Override
                    public void onStop(Observation.Context context) {
                        stopped.add(context.getName());
                    }

                    @Override
                    public boolean supportsContext(Observation.Context context) {
                        return true;
                    }
                });
                return r;
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
        });
        runner.withPropertyValues("weft.metrics.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(dev.weft.micrometer.WeftMicrometer.class);
            assertThat(context).hasSingleBean(EventBus.class);
        });
    }
}
