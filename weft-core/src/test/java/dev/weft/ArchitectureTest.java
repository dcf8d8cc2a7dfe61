package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.weft.architecture.ApiShape;
import dev.weft.architecture.Layering;
import org.junit.jupiter.api.Test;

/** weft-core's layering (ADR 0028): packages by concern, machinery hidden, no cycles. */
class ArchitectureTest {

    private static final ApiShape SHAPE = ApiShape.ofModuleContaining(Scope.class);
    private static final JavaClasses CLASSES = Layering.mainClasses(SHAPE);

    @Test
    void thePackagesFormADagWithTheMachineryAtTheBottom() {
        Layering.assertNoPackageCycles(CLASSES);
    }

    @Test
    void theInternalPackageDependsOnNoOtherPackageOfWeft() {
        assertThat(CLASSES.stream().filter(c -> c.getPackageName().equals("dev.weft.internal"))
                .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
                .map(d -> d.getTargetClass().getPackageName())
                .filter(p -> p.startsWith("dev.weft") && !p.equals("dev.weft.internal")))
                .as("dev.weft.internal must sit below every other package (it reaches dev.weft by name only)").isEmpty();
    }

    @Test
    void theApiNeverMentionsATypeUsersCannotUse() {
        assertThat(SHAPE.exposures()).isEmpty();
    }

    @Test
    void onlyTheMachineryIsLeftUnexported() {
        assertThat(SHAPE.packages()).containsExactlyInAnyOrder("dev.weft", "dev.weft.channels", "dev.weft.sync",
                "dev.weft.batch", "dev.weft.internal");
        assertThat(SHAPE.exportedPackages()).containsExactlyInAnyOrder("dev.weft", "dev.weft.channels", "dev.weft.sync",
                "dev.weft.batch");
    }
}
