package dev.weft.internal;

/**
 * Whether Java Flight Recorder's API ({@code jdk.jfr}) is in this runtime. weft-core reads it
 * optionally ({@code requires static}): a jlinked image without it runs Weft without events, and
 * no class that touches {@code jdk.jfr} is ever loaded there.
 */
public final class Jfr {
    private Jfr() {}

    /** True if the {@code jdk.jfr} module is present; Weft's JFR events may then be used. */
    public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr").isPresent()
            || Jfr.class.getModule().getLayer() == null && present();

    private static boolean present() {
        try {
            Class.forName("jdk.jfr.Event", false, Jfr.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
