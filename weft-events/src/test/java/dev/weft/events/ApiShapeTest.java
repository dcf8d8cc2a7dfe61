package dev.weft.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.architecture.ApiShape;
import java.lang.module.ModuleDescriptor;
import org.junit.jupiter.api.Test;

/** The public API of weft-events, package by package: a new public type shows up here as a deliberate change. */
class ApiShapeTest {

    private static final ApiShape SHAPE = ApiShape.ofModuleContaining(EventBus.class);

    @Test
    void eventsAndTheBus() {
        assertThat(SHAPE.publicTypes("dev.weft.events")).containsExactlyInAnyOrder(
                "BusStatistics", "DeadLetter", "DeadLetterStore", "DispatchPolicy", "Event", "EventBus", "EventHandler",
                "EventName", "EventObserver", "EventRejectedException", "EventType", "FullPolicy", "HandlerMode",
                "Property", "Subscription");
        assertThat(SHAPE.publicNestedTypes("dev.weft.events")).containsExactlyInAnyOrder(
                "BusStatistics.Handler", "EventBus.Builder", "EventBus.HandlerBuilder", "EventObserver.HandlerRun", "EventRejectedException.Reason",
                "Property.Change");
    }

    @Test
    void theTransportSpi() {
        assertThat(SHAPE.publicTypes("dev.weft.events.transport")).containsExactlyInAnyOrder(
                "Delivery", "EncodedDeadLetter", "EncodedDeadLetterStore", "Envelope", "EventCodec", "GroupLag", "InMemoryTransport", "Outbox", "Transport",
                "TransportClosedException", "TransportException", "TransportMessage");
        assertThat(SHAPE.publicNestedTypes("dev.weft.events.transport")).containsExactly("InMemoryTransport.Builder");
    }

    @Test
    void theHttpAdapter() {
        assertThat(SHAPE.publicTypes("dev.weft.events.http")).containsExactly("RequestScopeFilter");
    }

    @Test
    void theWorker() {
        assertThat(SHAPE.publicTypes("dev.weft.events.worker")).containsExactlyInAnyOrder("Worker", "WorkerObserver", "WorkerStatistics");
        assertThat(SHAPE.publicNestedTypes("dev.weft.events.worker")).containsExactlyInAnyOrder("Worker.Builder",
                "WorkerObserver.DeliveryRun", "WorkerObserver.Outcome");
    }

    @Test
    void theModuleExportsItsFourPackagesAndNeedsOnlyWeftCoreAndTheJdk() {
        ModuleDescriptor d = SHAPE.module();
        assertThat(d.name()).isEqualTo("dev.weft.events");
        assertThat(SHAPE.exportedPackages()).containsExactlyInAnyOrder("dev.weft.events", "dev.weft.events.transport",
                "dev.weft.events.http", "dev.weft.events.worker");
        assertThat(d.exports()).allSatisfy(e -> assertThat(e.isQualified()).isFalse());
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name)
                .containsExactlyInAnyOrder("java.base", "dev.weft.core", "jdk.httpserver");
        assertThat(d.opens()).isEmpty();
    }
}
