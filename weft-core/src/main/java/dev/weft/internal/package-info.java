/**
 * weft-core's machinery shared between its packages; not exported, not API (ADR 0028).
 */
package dev.weft.internal;
