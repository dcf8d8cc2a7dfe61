package dev.weft.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The layering rules every Weft module keeps (ADR 0028), checked with ArchUnit on the module's
 * compiled main classes. Shared through weft-core's test jar; each module's
 * {@code ArchitectureTest} calls them.
 */
public final class Layering {
    private Layering() {}

    /** The compiled main classes of the module {@code shape} describes (its packages only, no tests). */
    public static JavaClasses mainClasses(ApiShape shape) {
        // From the module's class directory only: scanning the whole class path takes seconds.
        return new ClassFileImporter().importPath(shape.classesDir());
    }

    /** No cycle between packages: each package is a slice, and the slices form a DAG. */
    public static void assertNoPackageCycles(JavaClasses classes) {
        slices().matching("(**)").should().beFreeOfCycles().check(classes);
    }

    /**
     * No class of this module (its packages: {@code own}) depends on a package named
     * {@code internal} of another module. The compiler enforces this for modular builds (the
     * packages are not exported); this also pins it for the class path.
     */
    public static void assertNoForeignInternals(JavaClasses classes, Set<String> own) {
        List<String> violations = new ArrayList<>();
        for (JavaClass c : classes) {
            if (!own.contains(c.getPackageName())) continue;
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (isInternal(target) && !own.contains(target)) violations.add(d.getDescription());
            }
        }
        assertThat(violations).as("dependencies on another module's internal packages").isEmpty();
    }

    /** Whether a package is machinery: a package named {@code internal} or below one. */
    public static boolean isInternal(String pkg) {
        return List.of(pkg.split("\\.")).contains("internal");
    }
}
