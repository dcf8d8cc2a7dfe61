package dev.weft.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.events.BusStatistics;
import dev.weft.events.DispatchPolicy;
import dev.weft.events.EventBus;
import dev.weft.events.EventRejectedException;
import dev.weft.events.EventType;
import dev.weft.events.transport.InMemoryTransport;
import dev.weft.events.transport.Transport;
import dev.weft.redis.RedisStreamsTransport;
import dev.weft.spring.fixtures.BadHandlers;
import dev.weft.spring.fixtures.Fixtures;
import dev.weft.spring.fixtures.Fixtures.Handlers;
import dev.weft.spring.fixtures.Fixtures.OrderAudited;
import dev.weft.spring.fixtures.Fixtures.OrderPlaced;
import dev.weft.spring.fixtures.Fixtures.Untagged;
import dev.weft.test.Poll;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.mock.env.MockEnvironment;

/** The auto-configuration on its own (no web, no database): ApplicationContextRunner, one small context per case. */
class WeftAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WeftAutoConfiguration.class))
            .withPropertyValues("weft.events.packages=dev.weft.spring.fixtures");

    @Test
    void aBusWithTheScannedTypesThePropertiesAndTheAnnotatedHandlers() {
        runner.withBean(Handlers.class).withPropertyValues("weft.capacity=7").run(context -> {
            EventBus bus = context.getBean(EventBus.class);
            assertThat(bus.declaredTypes()).containsKeys("order.placed", "order.audited");
            assertThat(bus.statistics().capacity()).isEqualTo(7);
            Handlers handlers = context.getBean(Handlers.class);

            bus.emit(new OrderPlaced("o-1", 2)); // outside any scope: dispatched at once; "placed" is SYNC
            assertThat(handlers.placed).containsExactly(new OrderPlaced("o-1", 2));
            // In a failed unit of work: OrderPlaced (ON_SUCCESS) is dropped, OrderAudited (dispatch = ALWAYS) is not.
            assertThatThrownBy(() -> EventBus.unitOfWork("fails").run(scope -> {
                bus.emit(new OrderPlaced("o-dropped", 1));
                bus.emit(new OrderAudited("o-1"));
                throw new IllegalStateException("the unit of work fails");
            })).isInstanceOf(dev.weft.ExceptionGroup.class);
            Poll.until(() -> handlers.audited.size() == 1);
            assertThat(handlers.audited.get(0).name()).isEqualTo("order.audited");
            assertThat(handlers.placed).containsExactly(new OrderPlaced("o-1", 2));

            BusStatistics s = bus.statistics();
            assertThat(s.handler("placed").mode()).isEqualTo(dev.weft.events.HandlerMode.SYNC);
            assertThat(s.handlers()).extracting(BusStatistics.Handler::name).contains("placed")
                    .anyMatch(n -> n.endsWith(".onAudited"));
            // no transport, so the worker handler has nothing to run on: no worker runs
            assertThat(context.getBean(WeftWorkerLifecycle.class).isRunning()).isFalse();
            assertThatThrownBy(() -> bus.emit(new Untagged("x"))).isInstanceOf(EventRejectedException.class);
        });
    }

    @Test
    void eventTypeBeansDeclareTypesWithValidators() {
        runner.withBean("untagged", EventType.class, () -> EventType.of(Untagged.class).named("untagged.v1")
                        .validatedBy(u -> u.what().isBlank() ? "what must not be blank" : null))
                .run(context -> {
                    EventBus bus = context.getBean(EventBus.class);
                    assertThat(bus.declaredTypes()).containsKeys("untagged.v1", "order.placed");
                    assertThatThrownBy(() -> bus.emit(new Untagged(" "))).hasMessageContaining("what must not be blank");
                });
    }

    @Test
    void handlersTheStarterCannotDescribeFailTheStartNamingTheMethodAndTheFix() {
        Map<Class<?>, String> expected = Map.of(
                BadHandlers.TwoParameters.class, "takes 2 parameters: it must take one",
                BadHandlers.Undeclared.class, "no declared event type: annotate the record with @WeftEvent",
                BadHandlers.ReturnsValue.class, "returns String: a handler returns void",
                BadHandlers.WorkerWithRetry.class, "is a worker handler (worker = true) and sets mode, maxAttempts or backoff",
                BadHandlers.BadBackoff.class, "which is no duration: write e.g. \"200ms\"");
        expected.forEach((type, message) -> runner.withBean(type).run(context -> {
            assertThat(context).hasFailed();
            Throwable t = context.getStartupFailure();
            while (t != null && (t.getMessage() == null || !t.getMessage().startsWith("@WeftHandler"))) t = t.getCause();
            assertThat(t).as("a cause naming the method, in " + context.getStartupFailure()).isNotNull()
                    .hasMessageContaining("@WeftHandler method " + type.getName() + ".on")
                    .hasMessageContaining(message);
        }));
    }

    @Test
    void backsOffForTheApplicationsOwnBusAndWhenDisabled() {
        EventBus own = EventBus.builder().declare(OrderPlaced.class).build();
        runner.withBean(EventBus.class, () -> own).run(context -> assertThat(context.getBean(EventBus.class)).isSameAs(own));
        runner.withPropertyValues("weft.enabled=false").run(context -> assertThat(context).doesNotHaveBean(EventBus.class));
    }

    @Test
    void aTransportBeanCarriesTheEventsToTheWorkersHandlers() {
        runner.withBean(Handlers.class).withBean(Transport.class, InMemoryTransport::create)
                .withPropertyValues("weft.worker.poll-wait=50ms").run(context -> {
                    EventBus bus = context.getBean(EventBus.class);
                    WeftWorkerLifecycle worker = context.getBean(WeftWorkerLifecycle.class);
                    assertThat(worker.isRunning()).isTrue();
                    bus.emit(new OrderPlaced("o-2", 1));
                    Handlers handlers = context.getBean(Handlers.class);
                    Poll.until(() -> handlers.fromWorker.size() == 1);
                    assertThat(handlers.fromWorker).containsExactly(new OrderPlaced("o-2", 1));
                    assertThat(worker.statistics().orElseThrow().handled()).isEqualTo(1);
                });
    }

    @Test
    void noRedisTransportWithoutARedisSetting() {
        runner.run(context -> assertThat(context).doesNotHaveBean(Transport.class));
        runner.withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=1", "weft.redis.stream=orders")
                .run(context -> {
                    assertThat(context).hasSingleBean(RedisStreamsTransport.class);
                    assertThat(context.getBean(RedisStreamsTransport.class).stream()).isEqualTo("orders");
                    assertThat(context.getBean(RedisStreamsTransport.class).toString()).doesNotContain("secret");
                });
        runner.withPropertyValues("spring.data.redis.host=127.0.0.1", "weft.redis.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(Transport.class));
    }

    @Test
    void theRedisUrlComesFromWeftOrFromSpringDataRedisWithTlsAclAndAnEncodedPassword() {
        WeftProperties.Redis weft = new WeftProperties.Redis();
        MockEnvironment env = new MockEnvironment();
        assertThat(RedisSettings.url(weft, env)).isEqualTo("redis://localhost:6379");
        env.setProperty("spring.data.redis.host", "cache.internal");
        env.setProperty("spring.data.redis.port", "6380");
        env.setProperty("spring.data.redis.username", "orders");
        env.setProperty("spring.data.redis.password", "p@ss word:1");
        env.setProperty("spring.data.redis.database", "2");
        env.setProperty("spring.data.redis.ssl.enabled", "true");
        assertThat(RedisSettings.url(weft, env)).isEqualTo("rediss://orders:p%40ss%20word%3A1@cache.internal:6380/2");
        env.setProperty("spring.data.redis.url", "redis://u:p@h:1");
        assertThat(RedisSettings.url(weft, env)).isEqualTo("redis://u:p@h:1");
        weft.setUrl("redis://weft:7");
        assertThat(RedisSettings.url(weft, env)).isEqualTo("redis://weft:7");
    }

    @Test
    void theDispatchPolicyAttributeNeedsOneValue() {
        assertThat(Fixtures.OrderAudited.class.getAnnotation(WeftEvent.class).dispatch()).containsExactly(DispatchPolicy.ALWAYS);
        assertThat(WeftAutoConfiguration.retryPolicy(new WeftProperties.Retry()).maxAttempts()).isEqualTo(3);
        assertThat(new WeftProperties.Worker().getShutdownGrace()).isNull();
        assertThat(Duration.ofMillis(5)).isEqualTo(new WeftProperties.Loaders().getMaxDelay());
    }
}
