package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API's shape (STYLE.md, after Trio's test_exports.py): a new public type, a public
 * constructor or an exported package shows up here as a deliberate change, never by accident.
 */
class ApiShapeTest {

    private static final Set<String> PUBLIC_TYPES = Set.of(
            "BatchFunction", "BatchListener", "BatchResults", "DispatchReason", "LoadFailedException", "Loader",
            "LoaderStatistics", "SharedCache",
            "CancelReason", "Cancelled", "Channel", "ChannelClosedException", "ChannelStatistics", "ContextKey", "CpuPool", "DeadlineExceeded", "ExceptionGroup",
            "ExecutionKind", "FakeClock", "MoveOnResult", "Par", "ProcessOutput", "ProcessResult", "ProcessTask",
            "RetryPolicy", "Schedule", "Scope", "ScopeBody",
            "ReceiveChannel", "ReceiveResult", "ScopeStatistics", "Select", "SelectClause", "SendChannel", "SendResult",
            "StartBody", "Task", "TaskCancelledException", "TaskFailedException", "TaskState",
            "TaskStatus", "Weft", "WeftClock",
            // synchronization primitives (C6)
            "CapacityLimiter", "CapacityLimiterStatistics", "Condition", "ConditionStatistics", "Mutex",
            "MutexStatistics", "OnceFlag", "OnceFlagStatistics", "Permit", "Semaphore", "SemaphoreStatistics");

    private static final Set<String> PUBLIC_NESTED_TYPES = Set.of(
            "BatchFunction.PerKey", "BatchListener.Batch", "Loader.Builder",
            "CancelReason.Kind", "ExceptionGroup.Failure", "ExceptionGroup.GroupHandler", "ExceptionGroup.Handler",
            "ExceptionGroup.Split", "Par.Action", "Par.Mapper", "ReceiveResult.Status", "Scope.Builder",
            "ScopeStatistics.TaskSnapshot", "WeftClock.Scheduled");

    /** Types users may construct; every other class is obtained from a factory or from Weft itself. */
    private static final Set<String> PUBLICLY_CONSTRUCTIBLE = Set.of(
            "Cancelled", "ChannelStatistics", "LoaderStatistics", "ExceptionGroup", "FakeClock", "ProcessResult", "RetryPolicy", "ScopeStatistics",
            // synchronization primitives (C6) and their statistics records
            "CapacityLimiter", "CapacityLimiterStatistics", "ConditionStatistics", "Mutex", "MutexStatistics",
            "OnceFlag", "OnceFlagStatistics", "Semaphore", "SemaphoreStatistics");

    @Test
    void packageDevWeftHasExactlyTheExpectedPublicTopLevelTypes() throws Exception {
        assertThat(publicTopLevelTypes()).extracting(Class::getSimpleName)
                .containsExactlyInAnyOrderElementsOf(PUBLIC_TYPES);
    }

    @Test
    void publicTypesHaveExactlyTheExpectedPublicNestedTypes() throws Exception {
        Set<String> nested = new TreeSet<>();
        for (Class<?> c : publicTopLevelTypes()) {
            for (Class<?> n : c.getDeclaredClasses()) {
                if (Modifier.isPublic(n.getModifiers())) nested.add(c.getSimpleName() + "." + n.getSimpleName());
            }
        }
        assertThat(nested).containsExactlyInAnyOrderElementsOf(PUBLIC_NESTED_TYPES);
    }

    @Test
    void onlyTheExpectedTypesHavePublicConstructors() throws Exception {
        Set<String> constructible = new TreeSet<>();
        for (Class<?> c : publicTopLevelTypes()) {
            if (Stream.of(c.getConstructors()).findAny().isPresent()) constructible.add(c.getSimpleName());
        }
        assertThat(constructible).containsExactlyInAnyOrderElementsOf(PUBLICLY_CONSTRUCTIBLE);
    }

    @Test
    void scopeHasTheCompletionHookOfAdr0016() throws Exception {
        Method m = Scope.class.getMethod("onCompletion", java.util.function.Consumer.class);
        assertThat(m.getReturnType()).isEqualTo(void.class);
        assertThat(Modifier.isStatic(m.getModifiers())).isFalse();
    }

    @Test
    void noPublicSignatureMentionsAPackagePrivateType() throws Exception {
        List<String> leaks = new ArrayList<>();
        List<Class<?>> types = new ArrayList<>(publicTopLevelTypes());
        for (Class<?> c : publicTopLevelTypes()) {
            Stream.of(c.getDeclaredClasses()).filter(n -> Modifier.isPublic(n.getModifiers())).forEach(types::add);
        }
        for (Class<?> c : types) {
            List<Executable> members = new ArrayList<>(List.of(c.getConstructors()));
            for (Method m : c.getMethods()) {
                if (m.getDeclaringClass().getPackageName().equals("dev.weft")) members.add(m);
            }
            for (Executable e : members) {
                List<Class<?>> mentioned = new ArrayList<>(List.of(e.getParameterTypes()));
                mentioned.addAll(List.of(e.getExceptionTypes()));
                if (e instanceof Method m) mentioned.add(m.getReturnType());
                for (Class<?> t : mentioned) {
                    while (t.isArray()) t = t.getComponentType();
                    if (t.getPackageName().equals("dev.weft") && !Modifier.isPublic(t.getModifiers())) {
                        leaks.add(c.getSimpleName() + "." + e.getName() + " mentions " + t.getSimpleName());
                    }
                }
            }
        }
        assertThat(leaks).isEmpty();
    }

    @Test
    void theModuleExportsOnlyDevWeftAndRequiresOnlyJavaBase() throws Exception {
        Path moduleInfo = classesDir().resolve("module-info.class");
        assertThat(moduleInfo).exists();
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(moduleInfo)) {
            d = ModuleDescriptor.read(in);
        }
        assertThat(d.name()).isEqualTo("dev.weft.core");
        assertThat(d.exports()).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo("dev.weft");
            assertThat(e.isQualified()).as("exported to everyone, not to friends").isFalse();
        });
        assertThat(d.opens()).isEmpty();
        assertThat(d.isOpen()).isFalse();
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name).containsExactly("java.base");
        assertThat(d.uses()).isEmpty();
        assertThat(d.provides()).isEmpty();
    }

    @Test
    void everyCompiledClassLivesInTheOneApiPackage() throws Exception {
        Path root = classesDir();
        Set<String> packages;
        try (Stream<Path> files = Files.walk(root)) {
            packages = files.filter(p -> p.toString().endsWith(".class"))
                    .filter(p -> !p.getFileName().toString().equals("module-info.class"))
                    .map(p -> root.relativize(p.getParent()).toString().replace('/', '.'))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(packages).containsExactly("dev.weft");
    }

    // ------------------------------------------------------------------ helpers

    /** The compiled main classes (target/classes), found from where Scope.class was loaded. */
    private static Path classesDir() throws URISyntaxException {
        return Path.of(Scope.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<Class<?>> publicTopLevelTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path pkg = classesDir().resolve("dev/weft");
        List<String> names;
        try (Stream<Path> files = Files.list(pkg)) {
            names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$"))
                    .map(n -> n.substring(0, n.length() - ".class".length()))
                    .sorted()
                    .toList();
        }
        List<Class<?>> out = new ArrayList<>();
        for (String n : names) {
            Class<?> c = Class.forName("dev.weft." + n, false, ApiShapeTest.class.getClassLoader());
            if (Modifier.isPublic(c.getModifiers())) out.add(c);
        }
        return out;
    }
}
