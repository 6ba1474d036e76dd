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
}
