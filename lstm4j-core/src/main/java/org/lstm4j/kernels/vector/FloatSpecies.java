package org.lstm4j.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.lstm4j.kernels.Kernels;

/**
 * The float vector species every kernel in this package uses, chosen once per JVM: the CPU's
 * preferred shape, or {@code -Dlstm4j.vectorBitSize=128|256|512}. It must be a static final
 * constant, or C2 cannot turn vector operations into instructions.
 */
final class FloatSpecies {

    static final VectorSpecies<Float> CHOSEN = choose();

    private FloatSpecies() {
    }

    private static VectorSpecies<Float> choose() {
        int bits = Integer.getInteger(Kernels.VECTOR_BIT_SIZE_PROPERTY, 0);
        VectorSpecies<Float> species = bits > 0
                ? VectorShape.forBitSize(bits).withLanes(float.class)
                : FloatVector.SPECIES_PREFERRED;
        if (species.length() < 4) {
            throw new UnsupportedOperationException("expected a float vector of at least 4 lanes, got "
                    + species.length() + " (" + species.vectorBitSize() + " bits)");
        }
        return species;
    }
}
