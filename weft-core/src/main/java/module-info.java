/**
 * Weft core: structured concurrency for Java 21+ on virtual threads.
 *
 * <p>The one exported package, {@code dev.weft}, is the whole API; everything else in it is
 * package-private. Start at {@link dev.weft.Scope}.
 */
module dev.weft.core {
    exports dev.weft;
}
