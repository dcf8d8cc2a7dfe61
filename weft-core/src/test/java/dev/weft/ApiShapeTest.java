package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.architecture.ApiShape;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * weft-core's public API, package by package (STYLE.md, after Trio's test_exports.py): a new
 * public type, a public constructor or an exported package shows up here as a deliberate change,
 * never by accident. The layering itself is {@link ArchitectureTest}'s.
 */
class ApiShapeTest {

    private static final ApiShape SHAPE = ApiShape.ofModuleContaining(Scope.class);

    @Test
    void scopesTasksCancellationDeadlinesErrorsContextClocksAndCombinators() {
        assertThat(SHAPE.publicTypes("dev.weft")).containsExactlyInAnyOrder(
                "CancelReason", "Cancelled", "ContextKey", "CpuPool", "DeadlineExceeded", "ExceptionGroup",
                "ExecutionKind", "FakeClock", "MoveOnResult", "Par", "ProcessOutput", "ProcessResult", "ProcessTask",
                "RetryPolicy", "Schedule", "Scope", "ScopeBody", "ScopeObserver", "ScopeStatistics", "ScopeSummary", "StartBody", "Task",
                "TaskCancelledException", "TaskFailedException", "TaskState", "TaskStatus", "Weft", "WeftClock");
        assertThat(SHAPE.publicNestedTypes("dev.weft")).containsExactlyInAnyOrder(
                "CancelReason.Kind", "ExceptionGroup.Failure", "ExceptionGroup.GroupHandler", "ExceptionGroup.Handler",
                "ExceptionGroup.Split", "Par.Action", "Par.Mapper", "Scope.Builder", "ScopeObserver.Registration",
                "ScopeStatistics.TaskSnapshot", "ScopeSummary.Outcome", "WeftClock.Scheduled");
        // Types users may construct; everything else comes from a factory or from Weft itself.
        assertThat(SHAPE.publiclyConstructible("dev.weft")).containsExactlyInAnyOrder(
                "Cancelled", "ExceptionGroup", "FakeClock", "ProcessResult", "RetryPolicy", "ScopeStatistics", "ScopeSummary");
    }

    @Test
    void channels() {
        assertThat(SHAPE.publicTypes("dev.weft.channels")).containsExactlyInAnyOrder(
                "Channel", "ChannelClosedException", "ChannelStatistics", "ReceiveChannel", "ReceiveResult", "Select",
                "SelectClause", "SendChannel", "SendResult");
        assertThat(SHAPE.publicNestedTypes("dev.weft.channels")).containsExactly("ReceiveResult.Status");
        assertThat(SHAPE.publiclyConstructible("dev.weft.channels")).containsExactly("ChannelStatistics");
    }

    @Test
    void synchronizationPrimitives() {
        assertThat(SHAPE.publicTypes("dev.weft.sync")).containsExactlyInAnyOrder(
                "CapacityLimiter", "CapacityLimiterStatistics", "Condition", "ConditionStatistics", "Mutex",
                "MutexStatistics", "OnceFlag", "OnceFlagStatistics", "Permit", "Semaphore", "SemaphoreStatistics");
        assertThat(SHAPE.publicNestedTypes("dev.weft.sync")).isEmpty();
        assertThat(SHAPE.publiclyConstructible("dev.weft.sync")).containsExactlyInAnyOrder(
                "CapacityLimiter", "CapacityLimiterStatistics", "ConditionStatistics", "Mutex", "MutexStatistics",
                "OnceFlag", "OnceFlagStatistics", "Semaphore", "SemaphoreStatistics");
    }

    @Test
    void batching() {
        assertThat(SHAPE.publicTypes("dev.weft.batch")).containsExactlyInAnyOrder(
                "BatchFunction", "BatchListener", "BatchResults", "DispatchReason", "LoadFailedException", "Loader",
                "LoaderStatistics", "SharedCache");
        assertThat(SHAPE.publicNestedTypes("dev.weft.batch")).containsExactlyInAnyOrder(
                "BatchFunction.PerKey", "BatchListener.Batch", "Loader.Builder");
        assertThat(SHAPE.publiclyConstructible("dev.weft.batch")).containsExactly("LoaderStatistics");
    }

    @Test
    void scopeHasTheCompletionHookOfAdr0016() throws Exception {
        Method m = Scope.class.getMethod("onCompletion", java.util.function.Consumer.class);
        assertThat(m.getReturnType()).isEqualTo(void.class);
        assertThat(Modifier.isStatic(m.getModifiers())).isFalse();
    }

    @Test
    void theModuleExportsItsFourPackagesToEveryoneAndRequiresOnlyTheJdk() {
        ModuleDescriptor d = SHAPE.module();
        assertThat(d.name()).isEqualTo("dev.weft.core");
        assertThat(d.exports()).allSatisfy(e -> assertThat(e.isQualified()).as("exported to everyone, not to friends").isFalse());
        assertThat(SHAPE.exportedPackages()).isEqualTo(Set.of("dev.weft", "dev.weft.channels", "dev.weft.sync", "dev.weft.batch"));
        assertThat(d.opens()).isEmpty();
        assertThat(d.isOpen()).isFalse();
        // java.base, and Flight Recorder only where the runtime has it (requires static, ADR 0031)
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name).containsExactlyInAnyOrder("java.base", "jdk.jfr");
        assertThat(d.requires()).filteredOn(r -> r.name().equals("jdk.jfr")).singleElement()
                .satisfies(r -> assertThat(r.modifiers()).contains(ModuleDescriptor.Requires.Modifier.STATIC));
        assertThat(d.uses()).isEmpty();
        assertThat(d.provides()).isEmpty();
    }
}
