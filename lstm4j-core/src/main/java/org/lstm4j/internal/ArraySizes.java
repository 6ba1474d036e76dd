package org.lstm4j.internal;

/**
 * Array lengths computed in {@code long} and checked before anything is allocated, so a size
 * too large for a Java array is a clear {@link IllegalArgumentException} naming the sizes instead
 * of an int overflow ({@code NegativeArraySizeException}, or worse a too-small buffer).
 */
public final class ArraySizes {

    /** The longest array the JVM reliably allocates. */
    public static final int MAX_LENGTH = Integer.MAX_VALUE - 8;

    private ArraySizes() {
    }

    /**
     * The product of {@code factors} as an array length.
     *
     * @param what names the buffer and its shape, e.g. {@code "gates (N, 4·H)"}
     * @throws IllegalArgumentException if the product exceeds {@link #MAX_LENGTH}
     */
    public static int length(String what, long... factors) {
        long product = 1;
        boolean overflow = false;
        for (long f : factors) {
            if (f < 0) {
                throw new IllegalArgumentException(what + ": negative size " + f);
            }
            if (!overflow) {
                long high = Math.multiplyHigh(product, f);
                product *= f;
                overflow = high != 0 || product < 0;
            }
        }
        if (overflow || product > MAX_LENGTH) {
            StringBuilder sizes = new StringBuilder();
            for (int i = 0; i < factors.length; i++) {
                sizes.append(i == 0 ? "" : "·").append(factors[i]);
            }
            throw new IllegalArgumentException(what + " needs " + sizes + (overflow ? "" : " = " + product)
                    + " elements, more than a Java array holds (" + MAX_LENGTH + ")");
        }
        return (int) product;
    }

    /**
     * The error to throw, in place of the JVM's bare "Java heap space", when allocating
     * {@code floats} floats for {@code what} ran out of heap: it says how much was needed.
     */
    public static OutOfMemoryError outOfMemory(String what, long floats) {
        long bytes = 4 * floats;
        String size = bytes >= 1L << 30 ? String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(java.util.Locale.ROOT, "%d MiB", Math.max(1, bytes >> 20));
        return new OutOfMemoryError(what + " needs " + size + " (" + floats + " floats)");
    }
}
