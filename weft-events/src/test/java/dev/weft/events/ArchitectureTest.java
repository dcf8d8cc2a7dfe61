package dev.weft.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.weft.architecture.ApiShape;
import dev.weft.architecture.Layering;
import org.junit.jupiter.api.Test;

/** weft-events' layering (ADR 0028): the transport SPI at the bottom, the bus on it, adapters on top. */
class ArchitectureTest {

    private static final ApiShape SHAPE = ApiShape.ofModuleContaining(EventBus.class);
    private static final JavaClasses CLASSES = Layering.mainClasses(SHAPE);

    @Test
    void noCyclesBetweenPackages() {
        Layering.assertNoPackageCycles(CLASSES);
    }

    @Test
    void theTransportSpiDependsOnNothingElseOfWeftEvents() {
        assertThat(CLASSES.stream().filter(c -> c.getPackageName().equals("dev.weft.events.transport"))
                .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
                .map(d -> d.getTargetClass().getPackageName())
                .filter(p -> p.startsWith("dev.weft.events") && !p.equals("dev.weft.events.transport")))
                .as("a transport implements the SPI without the bus").isEmpty();
    }

    @Test
    void nothingReachesWeftCoresInternals() {
        Layering.assertNoForeignInternals(CLASSES, SHAPE.packages());
    }

    @Test
    void theApiNeverMentionsATypeUsersCannotUse() {
        assertThat(SHAPE.exposures()).isEmpty();
    }
}
