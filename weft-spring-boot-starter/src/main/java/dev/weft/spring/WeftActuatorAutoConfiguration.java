package dev.weft.spring;

import dev.weft.events.EventBus;
import dev.weft.events.transport.Transport;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The {@code weft} actuator endpoint and the transport's health indicator, when Spring Boot Actuator is there. */
@AutoConfiguration(after = WeftAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
@ConditionalOnBean(EventBus.class)
public class WeftActuatorAutoConfiguration {

    /** The endpoint ({@code management.endpoints.web.exposure.include=weft} exposes it over HTTP). */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint(WeftEndpoint.class)
    public WeftEndpoint weftEndpoint(EventBus bus, ObjectProvider<Transport> transport, ObjectProvider<WeftWorkerLifecycle> worker,
                                     LoaderTotals loaders) {
        return new WeftEndpoint(bus, transport.getIfUnique(), worker.getIfUnique(), loaders);
    }

    /** The transport's health, as {@code weft} in /actuator/health. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    @ConditionalOnBean(Transport.class)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "weftHealthIndicator")
        WeftTransportHealthIndicator weftHealthIndicator(Transport transport) {
            return new WeftTransportHealthIndicator(transport);
        }
    }
}
