import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The API check of Weft's published modules (docs/adr/0050-api-signature-files.md).
 *
 * <p>Reads a module's compiled classes and its module descriptor and writes its public API, one
 * line per type and per member, in a stable text form: the public and protected signatures of
 * the public types of the packages the module exports to everyone (generic types included;
 * parameter names, annotations, constant values and method bodies left out). The build compares
 * it with the module's committed {@code api/<artifactId>.api} and fails on any difference, so a
 * change of the API is a deliberate, reviewed edit of that file; {@code ./dev api} rewrites the
 * files.
 *
 * <p>It also checks what else a published module needs for a release: a module descriptor (so
 * its jar has a JPMS module name), and a place in the BOM, whose version must be the module's.
 *
 * <p>Run by the parent POM (exec:exec, source-file mode, on the module's compile class path):
 * <pre>
 * java -cp CLASSPATH tools/ApiSignatures.java ARTIFACT_ID VERSION PACKAGING CLASSES_DIR API_FILE BOM_POM REPORT check|update [AUTOMATIC_MODULE_NAME|-]
 * </pre>
 * A module whose jar has no descriptor but an {@code Automatic-Module-Name} (weft-spring-boot-starter,
 * ADR 0080) passes that name as the last argument: its API is then every public type of every
 * package, as the module system exports all packages of an automatic module.
 * It prints what it finds and writes it to REPORT; an enforcer rule of the parent POM fails the
 * build when REPORT exists.
 */
public final class ApiSignatures {

    private static final String UPDATE_COMMAND = "./dev api";

    public static void main(String[] args) throws IOException {
        if (args.length < 8 || args.length > 9 || !(args[7].equals("check") || args[7].equals("update"))) {
            System.err.println("usage: ApiSignatures ARTIFACT_ID VERSION PACKAGING CLASSES_DIR API_FILE BOM_POM REPORT check|update [AUTOMATIC_MODULE_NAME|-]");
            System.exit(2);
        }
        String artifactId = args[0];
        String version = args[1];
        String packaging = args[2];
        Path classes = Path.of(args[3]);
        Path apiFile = Path.of(args[4]);
        Path bom = Path.of(args[5]);
        Path report = Path.of(args[6]);
        boolean update = args[7].equals("update");
        String automaticName = args.length == 9 && !args[8].isBlank() && !args[8].equals("-") ? args[8] : null;
        Files.deleteIfExists(report);
        if (!packaging.equals("jar")) return; // the parent POM has no classes

        List<String> problems = check(artifactId, version, classes, apiFile, bom, update, automaticName);
        if (!problems.isEmpty()) {
            // The build fails on the report's presence (an enforcer rule in the parent POM), so
            // Maven says so in one line instead of printing this process's exit as a stack trace.
            String text = String.join("\n", problems);
            Files.createDirectories(report.getParent());
            Files.writeString(report, text + "\n", StandardCharsets.UTF_8);
            System.err.println("[ERROR] " + text.replace("\n", "\n[ERROR] "));
        }
    }

    private static List<String> check(String artifactId, String version, Path classes, Path apiFile, Path bom,
                                      boolean update, String automaticName) throws IOException {
        List<String> problems = new ArrayList<>();
        String bomText = Files.readString(bom);
        if (!bomText.contains("<artifactId>" + artifactId + "</artifactId>")) {
            problems.add(artifactId + " is published but " + bom + " does not list it: add it there");
        }
        Matcher bomVersion = Pattern.compile("<artifactId>weft-bom</artifactId>\\s*<version>([^<]*)</version>").matcher(bomText);
        if (!bomVersion.find() || !bomVersion.group(1).equals(version)) {
            problems.add("the version of " + bom + " is " + (bomVersion.find(0) ? bomVersion.group(1) : "missing")
                    + ", not the project's " + version + ": the BOM has no parent, so its version is written there too");
        }
        Path descriptor = classes.resolve("module-info.class");
        ModuleDescriptor module;
        if (Files.isRegularFile(descriptor)) {
            if (automaticName != null) {
                problems.add(artifactId + " has a module-info.java and names an Automatic-Module-Name (" + automaticName
                        + "): keep one of them (docs/adr/0080)");
                return problems;
            }
            try (InputStream in = Files.newInputStream(descriptor)) {
                module = ModuleDescriptor.read(in);
            }
        } else if (automaticName != null) {
            module = ModuleDescriptor.newAutomaticModule(automaticName).packages(packages(classes)).build();
        } else {
            problems.add(artifactId + " is published but has no module-info.java, so its jar would have no JPMS "
                    + "module name: add one (or, for a jar meant for the class path, an Automatic-Module-Name: ADR 0080),"
                    + " or mark the module unpublished in its pom.xml (docs/adr/0051-release-shape.md)");
            return problems;
        }
        List<String> actual = render(artifactId, module, classes);
        if (update) {
            List<String> before = Files.isRegularFile(apiFile) ? Files.readAllLines(apiFile) : List.of();
            if (!before.equals(actual)) {
                Files.createDirectories(apiFile.getParent());
                Files.writeString(apiFile, String.join("\n", actual) + "\n", StandardCharsets.UTF_8);
                System.out.println("ApiSignatures: wrote " + apiFile + " (" + count(actual) + "); review it with git diff");
            }
        } else if (!Files.isRegularFile(apiFile)) {
            problems.add("no API baseline " + apiFile + ": run " + UPDATE_COMMAND + " and commit the file it writes");
        } else {
            List<String> expected = Files.readAllLines(apiFile);
            if (!expected.equals(actual)) problems.add(describeDifference(artifactId, apiFile, expected, actual));
        }
        return problems;
    }

    /** The packages of the compiled classes (the directories that hold a class file). */
    private static Set<String> packages(Path classes) throws IOException {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().equals("module-info.class"))
                    .map(f -> classes.relativize(f.getParent()).toString().replace(java.io.File.separatorChar, '.'))
                    .filter(p -> !p.isEmpty())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static String count(List<String> lines) {
        long types = lines.stream().filter(l -> !l.isEmpty() && !l.startsWith(" ") && !l.startsWith("#")
                && !l.startsWith("module ")).count();
        return types + " types";
    }

    // ---- the text form ----

    /** The module's compiled classes and the packages it exports to everyone (set once by {@link #render}). */
    private static Path moduleClasses;
    private static Set<String> exported = Set.of();

    static List<String> render(String artifactId, ModuleDescriptor module, Path classes) throws IOException {
        List<String> out = new ArrayList<>();
        out.add("# The public API of " + artifactId + ", checked by ./mvnw verify (docs/adr/0050-api-signature-files.md).");
        out.add("# A difference fails the build: after a deliberate API change, run " + UPDATE_COMMAND
                + " and commit this file with it.");
        out.add((module.isAutomatic() ? "automatic module " : "module ") + module.name());
        module.requires().stream()
                .filter(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE))
                .map(r -> "  requires transitive " + r.name())
                .sorted()
                .forEach(out::add);
        moduleClasses = classes;
        exported = module.isAutomatic() ? new TreeSet<>(module.packages()) : module.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
        exported.forEach(p -> out.add("  exports " + p));

        Map<String, Class<?>> types = new TreeMap<>();
        for (String pkg : exported) {
            for (Class<?> c : topLevelTypes(classes, pkg)) collect(c, types);
        }
        for (Class<?> c : types.values()) {
            out.add("");
            out.add(header(c));
            out.addAll(members(c));
        }
        return out;
    }

    private static List<Class<?>> topLevelTypes(Path classes, String pkg) throws IOException {
        Path dir = classes.resolve(pkg.replace('.', '/'));
        if (!Files.isDirectory(dir)) return List.of();
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$") && !n.equals("package-info.class"))
                    .map(n -> n.substring(0, n.length() - ".class".length()))
                    .sorted()
                    .toList();
        }
        List<Class<?>> out = new ArrayList<>();
        for (String n : names) {
            try {
                out.add(Class.forName(pkg + "." + n, false, ApiSignatures.class.getClassLoader()));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("cannot load " + pkg + "." + n + " from the compile class path", e);
            }
        }
        return out;
    }

    /** Adds {@code c} and its member types, recursively, if users can reach them. */
    private static void collect(Class<?> c, Map<String, Class<?>> types) {
        if (!reachable(c)) return;
        types.put(name(c), c);
        for (Class<?> n : c.getDeclaredClasses()) collect(n, types);
    }

    /** Public (or protected in a class users can extend), in an exported package, inside such types. */
    private static boolean reachable(Class<?> c) {
        if (!exported.contains(c.getPackageName()) || c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic()) {
            return false;
        }
        Class<?> outer = c.getDeclaringClass();
        if (outer == null) return Modifier.isPublic(c.getModifiers());
        if (!reachable(outer)) return false;
        return Modifier.isPublic(c.getModifiers()) || (Modifier.isProtected(c.getModifiers()) && extensible(outer));
    }

    private static boolean extensible(Class<?> c) {
        return !Modifier.isFinal(c.getModifiers()) && !c.isSealed() && !c.isEnum() && !c.isRecord();
    }

    private static String header(Class<?> c) {
        int mods = c.getModifiers() & Modifier.classModifiers();
        String kind;
        if (c.isAnnotation()) {
            kind = "@interface";
            mods &= ~(Modifier.ABSTRACT | Modifier.INTERFACE);
        } else if (c.isInterface()) {
            kind = "interface";
            mods &= ~(Modifier.ABSTRACT | Modifier.INTERFACE);
        } else if (c.isEnum()) {
            kind = "enum"; // final or abstract by whether constants have bodies: not users' concern
            mods &= ~(Modifier.FINAL | Modifier.ABSTRACT);
        } else if (c.isRecord()) {
            kind = "record";
            mods &= ~Modifier.FINAL; // always
        } else {
            kind = "class";
        }
        // A nested interface, enum or record is static whether or not its source says so.
        if (c.isInterface() || c.isEnum() || c.isRecord()) mods &= ~Modifier.STATIC;
        StringBuilder sb = new StringBuilder(modifiers(mods));
        if (c.isSealed()) sb.append("sealed ");
        else if (!Modifier.isFinal(c.getModifiers()) && hasSealedSupertype(c)) sb.append("non-sealed ");
        sb.append(kind).append(' ').append(name(c)).append(typeParameters(c.getTypeParameters()));
        if (c.isRecord()) {
            sb.append(Arrays.stream(c.getRecordComponents()).map(ApiSignatures::component)
                    .collect(Collectors.joining(", ", "(", ")")));
        }
        Type sup = c.getGenericSuperclass();
        // What the class passes on from a superclass users cannot see is listed as its own members.
        while (sup != null && !(sup instanceof ParameterizedType) && isHidden((Class<?>) sup)) {
            sup = ((Class<?>) sup).getGenericSuperclass();
        }
        if (sup != null && sup != Object.class && !c.isEnum() && !c.isRecord()) {
            sb.append(" extends ").append(type(sup));
        }
        List<String> interfaces = Arrays.stream(c.getGenericInterfaces()).map(ApiSignatures::type).toList();
        if (c.isAnnotation()) interfaces = List.of();
        if (!interfaces.isEmpty()) {
            sb.append(c.isInterface() ? " extends " : " implements ").append(String.join(", ", interfaces));
        }
        if (c.isSealed()) {
            sb.append(Arrays.stream(c.getPermittedSubclasses()).map(ApiSignatures::name).sorted()
                    .collect(Collectors.joining(", ", " permits ", "")));
        }
        return sb.toString();
    }

    private static boolean hasSealedSupertype(Class<?> c) {
        if (c.getSuperclass() != null && c.getSuperclass().isSealed()) return true;
        return Arrays.stream(c.getInterfaces()).anyMatch(Class::isSealed);
    }

    /** A superclass users cannot name: not public, or in a package of this module it does not export. */
    private static boolean isHidden(Class<?> c) {
        boolean ours = Files.isRegularFile(moduleClasses.resolve(c.getName().replace('.', '/') + ".class"));
        return !Modifier.isPublic(c.getModifiers()) || (ours && !exported.contains(c.getPackageName()));
    }

    private static String component(RecordComponent rc) {
        return type(rc.getGenericType()) + " " + rc.getName();
    }

    private static List<String> members(Class<?> c) {
        boolean protectedToo = extensible(c);
        // Declared members first; then what a superclass users cannot see passes on (as javadoc shows it).
        List<Class<?>> owners = new ArrayList<>();
        owners.add(c);
        for (Class<?> s = c.getSuperclass(); s != null && isHidden(s); s = s.getSuperclass()) owners.add(s);

        Map<String, String> fields = new TreeMap<>();
        Map<String, String> constructors = new TreeMap<>();
        Map<String, String> methods = new TreeMap<>();
        for (Class<?> owner : owners) {
            for (Field f : owner.getDeclaredFields()) {
                if (!visible(f, protectedToo)) continue;
                String line = modifiers(f.getModifiers() & (Modifier.fieldModifiers() & ~(Modifier.TRANSIENT | Modifier.VOLATILE)))
                        + type(f.getGenericType()) + " " + f.getName();
                fields.putIfAbsent(f.getName(), line);
            }
            if (owner == c) {
                for (Constructor<?> k : c.getDeclaredConstructors()) {
                    if (!visible(k, protectedToo)) continue;
                    String sig = name(c) + parameters(k);
                    constructors.put(sig, executable(k, "", sig));
                }
            }
            for (Method m : owner.getDeclaredMethods()) {
                if (!visible(m, protectedToo) || m.isBridge()) continue;
                String sig = m.getName() + parameters(m);
                String prefix = (m.isDefault() ? "default " : "") + typeParameters(m.getTypeParameters());
                if (!prefix.isEmpty() && !prefix.endsWith(" ")) prefix += " ";
                String line = executable(m, prefix + type(m.getGenericReturnType()) + " ", sig);
                methods.putIfAbsent(sig, line); // a subclass's override wins over what it overrides
            }
        }
        List<String> out = new ArrayList<>();
        fields.values().forEach(l -> out.add("  " + l));
        constructors.values().forEach(l -> out.add("  " + l));
        methods.values().forEach(l -> out.add("  " + l));
        return out;
    }

    private static boolean visible(Member m, boolean protectedToo) {
        if (m.isSynthetic()) return false;
        int mods = m.getModifiers();
        return Modifier.isPublic(mods) || (protectedToo && Modifier.isProtected(mods));
    }

    private static String executable(Executable e, String beforeName, String sig) {
        int mods = e.getModifiers()
                & (e instanceof Method ? Modifier.methodModifiers() : Modifier.constructorModifiers())
                & ~(Modifier.SYNCHRONIZED | Modifier.NATIVE | Modifier.STRICT);
        String typeParams = e instanceof Constructor<?> k ? typeParameters(k.getTypeParameters()) : "";
        if (!typeParams.isEmpty()) typeParams += " ";
        String line = modifiers(mods) + typeParams + beforeName + sig;
        Type[] thrown = e.getGenericExceptionTypes();
        if (thrown.length > 0) {
            line += Arrays.stream(thrown).map(ApiSignatures::type).sorted().collect(Collectors.joining(", ", " throws ", ""));
        }
        return line;
    }

    private static String parameters(Executable e) {
        Type[] params = e.getGenericParameterTypes();
        // Inner-class constructors and enum constructors may report the implicit parameters or not,
        // depending on the Signature attribute; fall back to the erased types when they disagree.
        if (params.length != e.getParameterCount()) params = e.getParameterTypes();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < params.length; i++) {
            String t = type(params[i]);
            if (e.isVarArgs() && i == params.length - 1 && t.endsWith("[]")) t = t.substring(0, t.length() - 2) + "...";
            names.add(t);
        }
        return names.stream().collect(Collectors.joining(", ", "(", ")"));
    }

    private static String typeParameters(TypeVariable<?>[] vars) {
        if (vars.length == 0) return "";
        return Arrays.stream(vars).map(v -> {
            List<String> bounds = Arrays.stream(v.getBounds()).filter(b -> b != Object.class).map(ApiSignatures::type).toList();
            return bounds.isEmpty() ? v.getName() : v.getName() + " extends " + String.join(" & ", bounds);
        }).collect(Collectors.joining(", ", "<", ">"));
    }

    private static String modifiers(int mods) {
        String s = Modifier.toString(mods);
        return s.isEmpty() ? "" : s + " ";
    }

    /** A type as Java source spells it, with canonical (dotted) names. */
    static String type(Type t) {
        if (t instanceof Class<?> c) return name(c);
        if (t instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            String base = p.getOwnerType() instanceof ParameterizedType owner
                    ? type(owner) + "." + raw.getSimpleName()
                    : name(raw);
            return base + Arrays.stream(p.getActualTypeArguments()).map(ApiSignatures::type)
                    .collect(Collectors.joining(", ", "<", ">"));
        }
        if (t instanceof WildcardType w) {
            if (w.getLowerBounds().length > 0) return "? super " + type(w.getLowerBounds()[0]);
            Type upper = w.getUpperBounds()[0];
            return upper == Object.class ? "?" : "? extends " + type(upper);
        }
        if (t instanceof GenericArrayType g) return type(g.getGenericComponentType()) + "[]";
        if (t instanceof TypeVariable<?> v) return v.getName();
        throw new IllegalArgumentException("unknown kind of type: " + t);
    }

    private static String name(Class<?> c) {
        if (c.isArray()) return name(c.getComponentType()) + "[]";
        String canonical = c.getCanonicalName();
        return canonical != null ? canonical : c.getName();
    }

    // ---- the report of a difference ----

    /** Type by type: what the committed file has that the code lost, and what the code added. */
    private static String describeDifference(String artifactId, Path apiFile, List<String> expected, List<String> actual) {
        Map<String, List<String>> before = blocks(expected);
        Map<String, List<String>> after = blocks(actual);
        Set<String> keys = new LinkedHashSet<>(before.keySet());
        keys.addAll(after.keySet());
        StringBuilder sb = new StringBuilder();
        sb.append("The public API of ").append(artifactId).append(" differs from its baseline ").append(apiFile)
                .append(" (- in the baseline only, + in the code only):");
        boolean removals = false;
        for (String key : keys) {
            List<String> b = before.getOrDefault(key, List.of());
            List<String> a = after.getOrDefault(key, List.of());
            List<String> gone = b.stream().filter(l -> !a.contains(l)).toList();
            List<String> added = a.stream().filter(l -> !b.contains(l)).toList();
            if (gone.isEmpty() && added.isEmpty()) continue;
            removals |= !gone.isEmpty();
            sb.append("\n  ").append(key.isEmpty() ? "(module)" : key);
            gone.forEach(l -> sb.append("\n    - ").append(l.strip()));
            added.forEach(l -> sb.append("\n    + ").append(l.strip()));
        }
        sb.append(removals
                ? "\nSomething was removed or changed: code built against the baseline may no longer compile or link."
                : "\nOnly additions: compatible with code built against the baseline.");
        sb.append("\nIf the change is deliberate, run ").append(UPDATE_COMMAND)
                .append(" and commit ").append(apiFile.getFileName()).append(" with it (and say so in CHANGELOG.md).");
        return sb.toString();
    }

    /** The lines of each type (its header first), keyed by the type's name; the module block under "". */
    private static Map<String, List<String>> blocks(List<String> lines) {
        Map<String, List<String>> blocks = new LinkedHashMap<>();
        String key = "";
        for (String l : lines) {
            if (l.startsWith("#") || l.isEmpty()) continue;
            if (!l.startsWith(" ") && !l.startsWith("module ")) key = typeName(l);
            blocks.computeIfAbsent(key, k -> new ArrayList<>()).add(l);
        }
        return blocks;
    }

    private static String typeName(String header) {
        for (String word : header.split(" ")) {
            if (word.contains(".")) {
                int cut = word.indexOf('<');
                if (cut < 0) cut = word.indexOf('(');
                return cut < 0 ? word : word.substring(0, cut);
            }
        }
        return header;
    }
}
