package dev.weft.jdbc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints one line at the end of the run naming the tests (or test classes) skipped because a
 * server they need is not installed, and why; nothing when none was. With {@code CI=true} such
 * tests fail instead (PostgresServer, RedisServer), so there is nothing to list. Registered in
 * {@code META-INF/services/org.junit.platform.launcher.TestExecutionListener}.
 */
public final class SkippedServersSummary implements TestExecutionListener {
    private final Map<String, List<String>> skipped = new TreeMap<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(test, result.getThrowable().map(Throwable::getMessage).orElse(""));
        }
    }

    private void record(TestIdentifier test, String reason) {
        if (reason == null) return;
        String why = reason.contains("PostgreSQL is not installed") ? "PostgreSQL is not installed (apt-get install -y --no-install-recommends postgresql)"
                : reason.contains("redis-server is not on PATH") ? "redis-server is not installed (apt-get install -y --no-install-recommends redis-server)" : null;
        if (why != null) skipped.computeIfAbsent(why, k -> new ArrayList<>()).add(test.getDisplayName());
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (skipped.isEmpty()) return;
        List<String> parts = new ArrayList<>();
        skipped.forEach((why, tests) -> parts.add(tests.size() + " skipped because " + why + ": " + String.join(", ", tests)));
        System.out.println("weft-jdbc: " + String.join("; ", parts));
    }

    @Override
    public void reportingEntryPublished(TestIdentifier test, ReportEntry entry) {}
}
