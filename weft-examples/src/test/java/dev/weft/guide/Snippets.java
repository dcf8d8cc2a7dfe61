package dev.weft.guide;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The snippet check of the guide: every {@code ```java} block of {@code docs/guide/*.md} is a copy
 * of a tagged region of a test source, so the build compiles and runs every line the guide shows.
 *
 * <p>In a test source a region is the lines between {@code // tag::NAME[]} and
 * {@code // end::NAME[]} (Asciidoctor's syntax); regions may nest, and the tag lines of inner
 * regions are left out of the outer one's text. In a page, a Java block says which region it
 * copies on the line before it, with an HTML comment that Markdown does not render:
 *
 * <pre>
 * &lt;!-- snippet: fan-out --&gt;
 * ```java
 * ...
 * ```
 * </pre>
 *
 * <p>A block equals its region when the two are the same line by line after the common
 * indentation is stripped from each and trailing blanks are dropped. The check reports, with a
 * line number and how to fix it: a Java block without a marker, a marker naming no region, a block
 * that differs from its region (with the first differing line), a region no page uses, a region
 * used twice, malformed tags (unclosed, unopened, duplicate names), a relative link of a page that
 * points to no file, and a page the guide's index does not link to. {@link #update} rewrites the
 * drifted blocks from their regions, the sources being the truth.
 *
 * <p>Plain Java on purpose: no Markdown library, no build plugin, so the rules are all here.
 */
final class Snippets {

    /** How to fix a drifted block; printed with every finding about one. */
    static final String HOW_TO_UPDATE =
            "the test source is the truth: edit the region there, then copy it into the page, or let the check do it:\n"
            + "    ./dev mvn -B -pl weft-examples -am test -Dtest=GuideSnippetsTest -Dsurefire.failIfNoSpecifiedTests=false"
            + " -Dweft.guide.update=true";

    private static final Pattern TAG = Pattern.compile("^\\s*//\\s*(tag|end)::([A-Za-z0-9._-]+)\\[\\]\\s*$");
    private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*snippet:\\s*([A-Za-z0-9._-]+)\\s*-->\\s*$");
    private static final Pattern FENCE_OPEN = Pattern.compile("^(\\s*)(```+)\\s*([A-Za-z0-9_+-]*).*$");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    private Snippets() {}

    /** A tagged region of a source file. */
    record Region(String name, Path file, int firstLine, int lastLine, List<String> lines) {
        String where(Path root) {
            return root.relativize(file) + ":" + firstLine + "-" + lastLine;
        }
    }

    /** A fenced Java block of a page, with the marker before it (if any). */
    record Block(Path page, int markerLine, Optional<String> name, int firstLine, int lastLine, List<String> lines) {}

    /** One thing wrong, with where it is. */
    record Finding(String where, String problem) {
        @Override
        public String toString() {
            return where + ": " + problem;
        }
    }

    // ------------------------------------------------------------------ reading

    /** Every region of every {@code .java} file under {@code sourceRoot}; malformed tags become findings. */
    static Map<String, Region> regions(Path root, Path sourceRoot, List<Finding> findings) {
        Map<String, Region> regions = new LinkedHashMap<>();
        for (Path file : files(sourceRoot, ".java")) {
            List<String> lines = read(file);
            Map<String, Integer> open = new LinkedHashMap<>();
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = TAG.matcher(lines.get(i));
                if (!m.matches()) continue;
                String name = m.group(2);
                String where = root.relativize(file) + ":" + (i + 1);
                if (m.group(1).equals("tag")) {
                    if (open.containsKey(name) || regions.containsKey(name)) {
                        Region other = regions.get(name);
                        findings.add(new Finding(where, "region '" + name + "' is tagged twice"
                                + (other != null ? " (also " + other.where(root) + ")" : "")
                                + ": give each region a name of its own"));
                    } else {
                        open.put(name, i);
                    }
                } else {
                    Integer start = open.remove(name);
                    if (start == null) {
                        findings.add(new Finding(where, "'// end::" + name + "[]' closes no region: add '// tag::"
                                + name + "[]' above it, or remove it"));
                        continue;
                    }
                    List<String> body = new ArrayList<>();
                    for (String line : lines.subList(start + 1, i)) {
                        if (!TAG.matcher(line).matches()) body.add(line);
                    }
                    regions.put(name, new Region(name, file, start + 2, i, normalize(body)));
                }
            }
            open.forEach((name, start) -> findings.add(new Finding(root.relativize(file) + ":" + (start + 1),
                    "region '" + name + "' is never closed: add '// end::" + name + "[]' after its last line")));
        }
        return regions;
    }

    /** Every fenced {@code java} block of {@code page}. */
    static List<Block> blocks(Path page) {
        List<String> lines = read(page);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE_OPEN.matcher(lines.get(i));
            if (!open.matches()) continue;
            String fence = open.group(2);
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).strip().equals(fence)) end++;
            if (open.group(3).equals("java")) {
                Optional<String> name = Optional.empty();
                int markerLine = 0;
                int before = i - 1;
                while (before >= 0 && lines.get(before).isBlank()) before--;
                if (before >= 0) {
                    Matcher marker = MARKER.matcher(lines.get(before));
                    if (marker.matches()) {
                        name = Optional.of(marker.group(1));
                        markerLine = before + 1;
                    }
                }
                List<String> body = lines.subList(i + 1, Math.min(end, lines.size()));
                blocks.add(new Block(page, markerLine, name, i + 2, end, normalize(body)));
            }
            i = end;
        }
        return blocks;
    }

    // ------------------------------------------------------------------ checking

    /**
     * Checks {@code pages} against the regions under {@code sourceRoot}. {@code index}, if present,
     * must link to every page. Returns every finding, empty when all is well.
     */
    static List<Finding> check(Path root, List<Path> pages, Path sourceRoot, Optional<Path> index) {
        List<Finding> findings = new ArrayList<>();
        Map<String, Region> regions = regions(root, sourceRoot, findings);
        Map<String, Block> usedBy = new LinkedHashMap<>();
        for (Path page : pages) {
            findings.addAll(checkPage(root, page, regions, usedBy));
        }
        findings.addAll(unused(root, regions, usedBy.keySet()));
        index.ifPresent(ix -> findings.addAll(checkIndex(root, ix, pages)));
        return findings;
    }

    /** The regions under {@code sourceRoot} that no Java block of {@code pages} names, and malformed tags. */
    static List<Finding> checkRegions(Path root, List<Path> pages, Path sourceRoot) {
        List<Finding> findings = new ArrayList<>();
        Map<String, Region> regions = regions(root, sourceRoot, findings);
        java.util.Set<String> used = new java.util.HashSet<>();
        for (Path page : pages) {
            for (Block b : blocks(page)) b.name().ifPresent(used::add);
        }
        findings.addAll(unused(root, regions, used));
        return findings;
    }

    private static List<Finding> unused(Path root, Map<String, Region> regions, java.util.Set<String> used) {
        List<Finding> findings = new ArrayList<>();
        for (Region r : regions.values()) {
            if (!used.contains(r.name())) {
                findings.add(new Finding(r.where(root), "region '" + r.name() + "' is shown by no page of docs/guide: "
                        + "show it in a page (a ```java block on the line after '<!-- snippet: " + r.name()
                        + " -->'), or remove its tag lines"));
            }
        }
        return findings;
    }

    /** The findings of one page: its Java blocks, and its relative links. */
    static List<Finding> checkPage(Path root, Path page, Map<String, Region> regions, Map<String, Block> usedBy) {
        List<Finding> findings = new ArrayList<>();
        String pageName = root.relativize(page).toString();
        for (Block b : blocks(page)) {
            String where = pageName + ":" + (b.firstLine() - 1);
            if (b.name().isEmpty()) {
                findings.add(new Finding(where, "this ```java block names no region: every Java block of the guide is a copy "
                        + "of a region of a test in weft-examples/src/test/java/dev/weft/guide (between '// tag::NAME[]' and "
                        + "'// end::NAME[]'), so the build compiles and runs it; put the code in a test, tag it, and write "
                        + "'<!-- snippet: NAME -->' on the line before the block"));
                continue;
            }
            String name = b.name().get();
            Region r = regions.get(name);
            if (r == null) {
                findings.add(new Finding(where, "no test source has a region '" + name + "': tag the code with '// tag::"
                        + name + "[]' and '// end::" + name + "[]' in a test under weft-examples/src/test/java/dev/weft/guide, "
                        + "or fix the name in '<!-- snippet: " + name + " -->'"));
                continue;
            }
            Block earlier = usedBy.putIfAbsent(name, b);
            if (earlier != null) {
                findings.add(new Finding(where, "region '" + name + "' is already shown at " + root.relativize(earlier.page())
                        + ":" + (earlier.firstLine() - 1) + ": show each region once, and tag a second region for a second block"));
                continue;
            }
            Optional<String> diff = firstDifference(b.lines(), r.lines());
            diff.ifPresent(d -> findings.add(new Finding(where, "the block differs from region '" + name + "' ("
                    + r.where(root) + "): " + d + "\n  " + HOW_TO_UPDATE)));
        }
        findings.addAll(checkLinks(root, page));
        return findings;
    }

    /** Relative links of {@code page} must point to files that exist (so a moved class breaks the build, not the reader). */
    static List<Finding> checkLinks(Path root, Path page) {
        List<Finding> findings = new ArrayList<>();
        List<String> lines = read(page);
        boolean inFence = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.strip().startsWith("```")) inFence = !inFence;
            if (inFence) continue;
            Matcher m = LINK.matcher(line);
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z][a-z0-9+.-]*:.*")) continue; // http:, https:, mailto:
                String path = target.replaceAll("#.*$", "");
                if (path.isEmpty()) path = page.getFileName().toString(); // #anchor on this page
                String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : "";
                Path file = page.getParent().resolve(path).normalize();
                if (!Files.exists(file)) {
                    findings.add(new Finding(root.relativize(page) + ":" + (i + 1), "the link '" + target
                            + "' points to no file: a class or page moved? fix the path (relative to the page)"));
                } else if (!anchor.isEmpty() && path.endsWith(".md") && !anchors(file).contains(anchor)) {
                    findings.add(new Finding(root.relativize(page) + ":" + (i + 1), "the link '" + target
                            + "' points to no heading of " + path + ": a heading was renamed? its anchors are " + anchors(file)));
                }
            }
        }
        return findings;
    }

    /** The anchors GitHub makes for the headings of a Markdown file: lower case, punctuation dropped, spaces to hyphens. */
    static List<String> anchors(Path markdown) {
        List<String> anchors = new ArrayList<>();
        boolean inFence = false;
        for (String line : read(markdown)) {
            if (line.strip().startsWith("```")) inFence = !inFence;
            if (inFence || !line.startsWith("#")) continue;
            String heading = line.replaceFirst("^#+\\s*", "").strip();
            anchors.add(heading.toLowerCase(java.util.Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
        }
        return anchors;
    }

    static List<Finding> checkIndex(Path root, Path index, List<Path> pages) {
        String text = String.join("\n", read(index));
        List<Finding> findings = new ArrayList<>();
        for (Path page : pages) {
            if (page.equals(index)) continue;
            if (!text.contains("](" + page.getFileName() + ")") && !text.contains("](" + page.getFileName() + "#")) {
                findings.add(new Finding(root.relativize(index).toString(), "the guide's index does not link to "
                        + page.getFileName() + ": add it to the list of pages"));
            }
        }
        return findings;
    }

    /** The first line where {@code block} and {@code region} differ, said so a person can find it; empty if equal. */
    static Optional<String> firstDifference(List<String> block, List<String> region) {
        int n = Math.min(block.size(), region.size());
        for (int i = 0; i < n; i++) {
            if (!block.get(i).equals(region.get(i))) {
                return Optional.of("line " + (i + 1) + " of the block is\n      " + block.get(i) + "\n    the region has\n      " + region.get(i));
            }
        }
        if (block.size() > region.size()) {
            return Optional.of("the block has " + (block.size() - region.size()) + " line(s) more, from line " + (n + 1) + ": "
                    + block.get(n).strip());
        }
        if (region.size() > block.size()) {
            return Optional.of("the block lacks the region's last " + (region.size() - block.size()) + " line(s), from: "
                    + region.get(n).strip());
        }
        return Optional.empty();
    }

    // ------------------------------------------------------------------ updating

    /**
     * Rewrites every block of {@code page} that names an existing region but differs from it, keeping
     * the fence and the block's own indentation. Returns the names of the blocks it rewrote.
     */
    static List<String> update(Path page, Map<String, Region> regions) {
        List<String> lines = new ArrayList<>(read(page));
        List<String> updated = new ArrayList<>();
        List<Block> blocks = blocks(page);
        for (int k = blocks.size() - 1; k >= 0; k--) { // from the end, so earlier line numbers hold
            Block b = blocks.get(k);
            if (b.name().isEmpty() || !regions.containsKey(b.name().get())) continue;
            Region r = regions.get(b.name().get());
            if (firstDifference(b.lines(), r.lines()).isEmpty()) continue;
            String indent = FENCE_OPEN.matcher(lines.get(b.firstLine() - 2)).replaceAll("$1");
            List<String> body = r.lines().stream().map(l -> l.isEmpty() ? l : indent + l).toList();
            List<String> tail = new ArrayList<>(lines.subList(b.lastLine(), lines.size()));
            lines = new ArrayList<>(lines.subList(0, b.firstLine() - 1));
            lines.addAll(body);
            lines.addAll(tail);
            updated.add(0, b.name().get());
        }
        if (!updated.isEmpty()) write(page, lines);
        return updated;
    }

    // ------------------------------------------------------------------ text

    /** Strips the common indentation and trailing blanks of every line, and blank lines at both ends. */
    static List<String> normalize(List<String> lines) {
        int from = 0;
        int to = lines.size();
        while (from < to && lines.get(from).isBlank()) from++;
        while (to > from && lines.get(to - 1).isBlank()) to--;
        List<String> kept = lines.subList(from, to);
        int indent = Integer.MAX_VALUE;
        for (String l : kept) {
            if (l.isBlank()) continue;
            int i = 0;
            while (i < l.length() && l.charAt(i) == ' ') i++;
            indent = Math.min(indent, i);
        }
        List<String> out = new ArrayList<>(kept.size());
        for (String l : kept) {
            out.add(l.isBlank() ? "" : l.substring(indent).stripTrailing());
        }
        return out;
    }

    static List<Path> files(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> read(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, List<String> lines) {
        try {
            Files.writeString(file, String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
