package dev.weft.guide;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The snippet check itself fails on drift: each kind of mistake, made on purpose in a small guide
 * of its own (a temporary directory), gives one finding that says where and how to fix it.
 */
class SnippetCheckTest {

    @TempDir Path root;
    Path guide;
    Path sources;

    /** A test source; its tags are written with '#' so the real check does not take them for the guide's regions. */
    static final String SOURCE = java("""
            class PageTest {
                void hello() {
                    #tag::hello[]
                    String greeting = "hello";
                    System.out.println(greeting);
                    #end::hello[]
                }
            }
            """);

    private static String java(String source) {
        return source.replace("#tag::", "// tag::").replace("#end::", "// end::");
    }

    static final String PAGE = """
            # Hello

            <!-- snippet: hello -->
            ```java
            String greeting = "hello";
            System.out.println(greeting);
            ```

            Output:

            ```text
            hello
            ```
            """;

    @BeforeEach
    void guide() throws IOException {
        guide = Files.createDirectories(root.resolve("docs/guide"));
        sources = Files.createDirectories(root.resolve("src"));
        Files.writeString(guide.resolve("README.md"), "# Guide\n\n- [Hello](hello.md)\n");
    }

    private List<Snippets.Finding> check(String source, String page) throws IOException {
        Files.writeString(sources.resolve("PageTest.java"), source);
        Files.writeString(guide.resolve("hello.md"), page);
        return Snippets.check(root, Snippets.files(guide, ".md"), sources, Optional.of(guide.resolve("README.md")));
    }

    @Test
    void aPageThatCopiesItsRegionPasses() throws IOException {
        assertThat(check(SOURCE, PAGE)).isEmpty();
    }

    @Test
    void indentationAndTrailingBlanksDoNotCount() throws IOException {
        String indented = PAGE.replace("String greeting", "    String greeting").replace("System.out", "    System.out")
                .replace("println(greeting);", "println(greeting);   ");
        assertThat(check(SOURCE, indented)).isEmpty();
    }

    @Test
    void aBlockThatDriftedFromItsRegionFailsWithTheLineAndTheFix() throws IOException {
        List<Snippets.Finding> findings = check(SOURCE.replace("\"hello\"", "\"hello, world\""), PAGE);
        assertThat(findings).singleElement().satisfies(f -> {
            assertThat(f.where()).isEqualTo("docs/guide/hello.md:4");
            assertThat(f.problem()).contains("differs from region 'hello' (src/PageTest.java:4-5)")
                    .contains("line 1 of the block is\n      String greeting = \"hello\";")
                    .contains("the region has\n      String greeting = \"hello, world\";")
                    .contains("-Dweft.guide.update=true");
        });
    }

    @Test
    void aBlockWithALineTooManyOrTooFewFails() throws IOException {
        assertThat(check(SOURCE.replace("System.out.println(greeting);", "System.out.println(greeting);\n        return;"), PAGE))
                .singleElement().satisfies(f -> assertThat(f.problem()).contains("lacks the region's last 1 line(s), from: return;"));
        assertThat(check(SOURCE, PAGE.replace("System.out.println(greeting);", "System.out.println(greeting);\nreturn;")))
                .singleElement().satisfies(f -> assertThat(f.problem()).contains("has 1 line(s) more, from line 3: return;"));
    }

    @Test
    void aJavaBlockWithoutAMarkerFails() throws IOException {
        assertThat(check(SOURCE, PAGE.replace("<!-- snippet: hello -->\n", "") + "\n<!-- snippet: hello -->\n```java\nString greeting = \"hello\";\nSystem.out.println(greeting);\n```\n"))
                .singleElement().satisfies(f -> {
                    assertThat(f.where()).isEqualTo("docs/guide/hello.md:3");
                    assertThat(f.problem()).contains("names no region").contains("<!-- snippet: NAME -->");
                });
    }

    @Test
    void aMarkerNamingNoRegionFails() throws IOException {
        List<Snippets.Finding> findings = check(SOURCE, PAGE.replace("snippet: hello", "snippet: helo"));
        assertThat(findings).extracting(Snippets.Finding::problem).anySatisfy(p -> assertThat(p)
                .contains("no test source has a region 'helo'"));
        assertThat(findings).extracting(Snippets.Finding::problem).anySatisfy(p -> assertThat(p)
                .contains("region 'hello' is shown by no page"));
    }

    @Test
    void aRegionNoPageShowsFails() throws IOException {
        String more = SOURCE.replace("    }\n}", "        // tag::unused[]\n        int x = 1;\n        // end::unused[]\n    }\n}");
        assertThat(check(more, PAGE)).singleElement().satisfies(f -> {
            assertThat(f.where()).isEqualTo("src/PageTest.java:8-8");
            assertThat(f.problem()).contains("region 'unused' is shown by no page").contains("remove its tag lines");
        });
    }

    @Test
    void aRegionShownTwiceFails() throws IOException {
        assertThat(check(SOURCE, PAGE + "\n<!-- snippet: hello -->\n```java\nString greeting = \"hello\";\nSystem.out.println(greeting);\n```\n"))
                .singleElement().satisfies(f -> assertThat(f.problem()).contains("region 'hello' is already shown at docs/guide/hello.md:4"));
    }

    @Test
    void malformedTagsFail() throws IOException {
        assertThat(check(SOURCE.replace("// end::hello[]", ""), PAGE)).extracting(Snippets.Finding::problem)
                .anySatisfy(p -> assertThat(p).contains("region 'hello' is never closed"));
        assertThat(check(SOURCE.replace("// tag::hello[]", ""), PAGE)).extracting(Snippets.Finding::problem)
                .anySatisfy(p -> assertThat(p).contains("'// end::hello[]' closes no region"));
        String twice = SOURCE.replace("    }\n}", "        // tag::hello[]\n        // end::hello[]\n    }\n}");
        assertThat(check(twice, PAGE)).extracting(Snippets.Finding::problem)
                .anySatisfy(p -> assertThat(p).contains("region 'hello' is tagged twice (also src/PageTest.java:4-5)"));
    }

    @Test
    void nestedRegionsLeaveTheInnerTagsOut() throws IOException {
        String nested = SOURCE.replace("        System.out.println(greeting);\n",
                "        // tag::print[]\n        System.out.println(greeting);\n        // end::print[]\n");
        String page = PAGE + "\n<!-- snippet: print -->\n```java\nSystem.out.println(greeting);\n```\n";
        assertThat(check(nested, page)).isEmpty();
    }

    @Test
    void aLinkToAFileThatMovedFails() throws IOException {
        Files.writeString(root.resolve("Scope.java"), "");
        assertThat(check(SOURCE, PAGE + "\nSee [Scope](../../Scope.java), [Trio](https://trio.rtfd.io) and [above](#hello).\n")).isEmpty();
        assertThat(check(SOURCE, PAGE + "\nSee [Worker](../../weft-redis/Worker.java#L10).\n"))
                .singleElement().satisfies(f -> assertThat(f.problem()).contains("the link '../../weft-redis/Worker.java#L10' points to no file"));
    }

    @Test
    void aLinkToAHeadingThatWasRenamedFails() throws IOException {
        assertThat(check(SOURCE, PAGE + "\n## Pitfalls (S3)\n\nSee [hello](hello.md#hello), [pitfalls](#pitfalls-s3), [index](README.md#guide).\n")).isEmpty();
        assertThat(check(SOURCE, PAGE + "\nSee [pitfalls](#pitfalls).\n")).singleElement().satisfies(f -> assertThat(f.problem())
                .isEqualTo("the link '#pitfalls' points to no heading of hello.md: a heading was renamed? its anchors are [hello]"));
    }

    @Test
    void aPageTheIndexDoesNotListFails() throws IOException {
        Files.writeString(guide.resolve("README.md"), "# Guide\n");
        assertThat(check(SOURCE, PAGE)).singleElement().satisfies(f -> assertThat(f.problem())
                .isEqualTo("the guide's index does not link to hello.md: add it to the list of pages"));
    }

    @Test
    void updateCopiesTheRegionIntoTheBlockAndThenTheCheckPasses() throws IOException {
        String changed = SOURCE.replace("\"hello\"", "\"hello, world\"");
        assertThat(check(changed, PAGE)).hasSize(1);
        Path page = guide.resolve("hello.md");
        List<Snippets.Finding> unused = new java.util.ArrayList<>();
        assertThat(Snippets.update(page, Snippets.regions(root, sources, unused))).containsExactly("hello");
        assertThat(Files.readString(page)).isEqualTo(PAGE.replace("\"hello\"", "\"hello, world\""));
        assertThat(Snippets.check(root, Snippets.files(guide, ".md"), sources, Optional.empty())).isEmpty();
    }
}
