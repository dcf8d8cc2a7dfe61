package dev.weft.architecture;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The public shape of one of Weft's modules, read from its compiled classes and module
 * descriptor, for each module's {@code ApiShapeTest} (STYLE.md: "test the public API's shape",
 * after Trio's test_exports.py). Shared through weft-core's test jar.
 */
public final class ApiShape {

    private final Path classes;
    private final ModuleDescriptor module;

    private ApiShape(Path classes, ModuleDescriptor module) {
        this.classes = classes;
        this.module = module;
    }

    /** The module whose compiled main classes hold {@code anchor} (target/classes of that module). */
    public static ApiShape ofModuleContaining(Class<?> anchor) {
        try {
            Path classes = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
                return new ApiShape(classes, ModuleDescriptor.read(in));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("no module-info.class beside " + anchor, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The directory of the module's compiled main classes. */
    public Path classesDir() {
        return classes;
    }

    public ModuleDescriptor module() {
        return module;
    }

    /** The packages the module exports to everyone. */
    public Set<String> exportedPackages() {
        return module.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Every package that holds a compiled class. */
    public Set<String> packages() {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(p -> p.toString().endsWith(".class"))
                    .filter(p -> !p.getFileName().toString().equals("module-info.class"))
                    .filter(p -> !p.getFileName().toString().equals("package-info.class"))
                    .map(p -> classes.relativize(p.getParent()).toString().replace('/', '.'))
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The public top-level types of {@code pkg}, by simple name. */
    public Set<String> publicTypes(String pkg) {
        return publicTopLevel(pkg).stream().map(Class::getSimpleName).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The public nested types of the public types of {@code pkg}, as {@code Outer.Inner}. */
    public Set<String> publicNestedTypes(String pkg) {
        Set<String> nested = new TreeSet<>();
        for (Class<?> c : publicTopLevel(pkg)) {
            for (Class<?> n : c.getDeclaredClasses()) {
                if (Modifier.isPublic(n.getModifiers())) nested.add(c.getSimpleName() + "." + n.getSimpleName());
            }
        }
        return nested;
    }

    /** The public top-level types of {@code pkg} with a public constructor. */
    public Set<String> publiclyConstructible(String pkg) {
        return publicTopLevel(pkg).stream().filter(c -> c.getConstructors().length > 0).map(Class::getSimpleName)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * Every place where the API of an exported package mentions a type users cannot use: not
     * public, or in a package named {@code internal}. Looks at supertypes, public fields, public
     * and protected constructors and methods (parameters, results, exceptions, type arguments)
     * of every public type and public nested type.
     */
    public List<String> exposures() {
        List<String> leaks = new ArrayList<>();
        for (String pkg : exportedPackages()) {
            List<Class<?>> types = new ArrayList<>();
            for (Class<?> c : publicTopLevel(pkg)) {
                types.add(c);
                Stream.of(c.getDeclaredClasses()).filter(n -> Modifier.isPublic(n.getModifiers())).forEach(types::add);
            }
            for (Class<?> c : types) {
                String where = c.getName();
                // A package-private superclass is invisible to users (javadoc and the compiler skip
                // it) as long as it declares nothing public or protected, which would be inherited
                // into the API: check its members as the subclass's, not its name.
                Class<?> sup = c.getSuperclass();
                while (sup != null && !Modifier.isPublic(sup.getModifiers()) && sup.getPackageName().equals(c.getPackageName())) {
                    members(leaks, where + " (inherited from " + sup.getSimpleName() + ")", sup);
                    sup = sup.getSuperclass();
                }
                if (sup != null) check(leaks, where + " extends", sup);
                for (Type i : c.getGenericInterfaces()) check(leaks, where + " implements", i);
                members(leaks, where, c);
            }
        }
        return leaks;
    }

    private static void members(List<String> leaks, String where, Class<?> c) {
        for (Field f : c.getDeclaredFields()) {
            if (visible(f.getModifiers())) check(leaks, where + "." + f.getName(), f.getGenericType());
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (!visible(k.getModifiers())) continue;
            for (Type t : k.getGenericParameterTypes()) check(leaks, where + ".<init>", t);
        }
        for (Method m : c.getDeclaredMethods()) {
            if (!visible(m.getModifiers()) || m.isSynthetic() || m.isBridge()) continue;
            check(leaks, where + "." + m.getName(), m.getGenericReturnType());
            for (Type t : m.getGenericParameterTypes()) check(leaks, where + "." + m.getName(), t);
            for (Type t : m.getGenericExceptionTypes()) check(leaks, where + "." + m.getName(), t);
        }
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void check(List<String> leaks, String where, Type t) {
        if (t == null) return;
        if (t instanceof Class<?> c) {
            while (c.isArray()) c = c.getComponentType();
            if (c.isPrimitive()) return;
            boolean hidden = !Modifier.isPublic(c.getModifiers())
                    || (c.getEnclosingClass() != null && !Modifier.isPublic(c.getEnclosingClass().getModifiers()))
                    || List.of(c.getPackageName().split("\\.")).contains("internal");
            if (hidden) leaks.add(where + " mentions " + c.getName());
        } else if (t instanceof ParameterizedType p) {
            check(leaks, where, p.getRawType());
            for (Type a : p.getActualTypeArguments()) check(leaks, where, a);
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) check(leaks, where, b);
            for (Type b : w.getLowerBounds()) check(leaks, where, b);
        } else if (t instanceof GenericArrayType g) {
            check(leaks, where, g.getGenericComponentType());
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                if (b != Object.class) check(leaks, where, b);
            }
        }
    }

    private List<Class<?>> publicTopLevel(String pkg) {
        Path dir = classes.resolve(pkg.replace('.', '/'));
        if (!Files.isDirectory(dir)) return List.of();
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$") && !n.equals("package-info.class"))
                    .map(n -> n.substring(0, n.length() - ".class".length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Class<?>> out = new ArrayList<>();
        for (String n : names) {
            try {
                Class<?> c = Class.forName(pkg + "." + n, false, ApiShape.class.getClassLoader());
                if (Modifier.isPublic(c.getModifiers())) out.add(c);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }
}
