package dev.weft.guide;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The guide cannot drift from the API: every {@code ```java} block of {@code docs/guide/*.md} must
 * equal a tagged region of a test in this package, which the build compiles and runs (the tests
 * beside this class, one per page, assert what the pages say). See {@link Snippets} for the
 * rules, and docs/TESTING.md ("The guide's snippets").
 *
 * <p>{@code -Dweft.guide.update=true} first copies each region into the block that names it
 * (the test source is the truth), then checks as usual.
 */
class GuideSnippetsTest {

    static final Path MODULE = moduleDir();
    static final Path ROOT = MODULE.getParent();
    static final Path GUIDE = ROOT.resolve("docs/guide");
    static final Path SOURCES = MODULE.resolve("src/test/java/dev/weft/guide");
    static final Path INDEX = GUIDE.resolve("README.md");

    @TestFactory
    Stream<DynamicTest> everyJavaBlockOfEveryPageIsARegionOfATest() {
        List<Snippets.Finding> malformed = new ArrayList<>();
        Map<String, Snippets.Region> regions = Snippets.regions(ROOT, SOURCES, malformed);
        if (Boolean.getBoolean("weft.guide.update")) {
            for (Path page : pages()) {
                List<String> updated = Snippets.update(page, regions);
                if (!updated.isEmpty()) System.out.println("updated " + ROOT.relativize(page) + ": " + updated);
            }
        }
        Map<String, Snippets.Block> usedBy = new LinkedHashMap<>();
        return pages().stream().map(page -> DynamicTest.dynamicTest(page.getFileName().toString(),
                () -> report(Snippets.checkPage(ROOT, page, regions, usedBy))));
    }

    @Test
    void everyRegionIsShownByAPageAndTagsAreWellFormed() {
        report(Snippets.checkRegions(ROOT, pages(), SOURCES));
    }

    @Test
    void theIndexLinksEveryPage() {
        report(Snippets.checkIndex(ROOT, INDEX, pages()));
    }

    @Test
    void theGuideHasItsPages() {
        assertThat(pages()).extracting(p -> p.getFileName().toString()).contains(
                "README.md", "scopes.md", "deadlines.md", "errors.md", "execution-kinds.md", "channels.md",
                "primitives.md", "batching.md", "events.md", "redis.md");
    }

    static List<Path> pages() {
        return Snippets.files(GUIDE, ".md");
    }

    private static void report(List<Snippets.Finding> findings) {
        if (findings.isEmpty()) return;
        fail(findings.size() + " problem(s) with the guide's snippets:\n"
                + findings.stream().map(f -> "- " + f).collect(Collectors.joining("\n")));
    }

    private static Path moduleDir() {
        // Surefire sets basedir; from an IDE the working directory is usually the module or the root.
        Path dir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        if (Files.isDirectory(dir.resolve("weft-examples"))) dir = dir.resolve("weft-examples");
        return dir;
    }

}
