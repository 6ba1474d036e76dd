package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.lstm4j.kernels.Kernels;
import org.lstm4j.kernels.MatrixKernels;
import org.lstm4j.kernels.PointwiseKernels;
import org.lstm4j.math.CellMath;
import org.lstm4j.math.GRUCellMath;
import org.lstm4j.math.LSTMCellMath;
import org.lstm4j.math.LayerPanels;
import org.lstm4j.math.RNNCellMath;
import org.lstm4j.math.RecurrentMath;

/**
 * The recurrent backward (LSTM, GRU, RNN cells) cut into parts as the layers cut it across
 * threads: {@link RecurrentMath#recurrenceBackward} over sequence ranges, and
 * {@link RecurrentMath#recurrenceWeightsBackward} and {@link RecurrentMath#inputProjectionBackward}
 * over slices of their outputs. The parts run one after another here, so the test proves the split
 * itself changes no bit, on any machine: every gradient (parameters, input, h_0, c_0) of every
 * split equals, bit for bit, the unsplit one, also when dGates overwrites the gates as the layers
 * do. Activations come from a real forward pass of {@link RecurrentMath}; hidden 72 and
 * projection 7 are not multiples of the vector width, and R > 128 crosses the kernels' k-blocks.
 */
class ParallelBackwardTest {

    private static final int STEPS = 12;
    private static final int BATCH = 17; // an odd batch: unequal parts
    private static final int INPUT = 13;
    private static final int HIDDEN = 72;
    private static final int PROJ = 7;
    /** Packed lengths, sorted as a PackedSequence stores them: ties and single-step sequences. */
    private static final int[] PACKED_LENGTHS = {12, 12, 11, 9, 9, 9, 8, 6, 5, 5, 4, 3, 3, 2, 1, 1, 1};

    private final MatrixKernels kernels = Kernels.matrix();
    private final PointwiseKernels pointwise = Kernels.pointwise();

    record Case(String name, CellMath cell, boolean packed, boolean reverse, boolean projection) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        CellMath lstm = LSTMCellMath.INSTANCE;
        return Stream.of(
                Arguments.of(new Case("padded", lstm, false, false, false)),
                Arguments.of(new Case("padded reverse projection", lstm, false, true, true)),
                Arguments.of(new Case("packed", lstm, true, false, false)),
                Arguments.of(new Case("packed reverse", lstm, true, true, false)),
                Arguments.of(new Case("packed projection", lstm, true, false, true)),
                Arguments.of(new Case("GRU padded", GRUCellMath.INSTANCE, false, false, false)),
                Arguments.of(new Case("GRU packed reverse", GRUCellMath.INSTANCE, true, true, false)),
                Arguments.of(new Case("RNN tanh packed", RNNCellMath.TANH, true, false, false)),
                Arguments.of(new Case("RNN relu padded reverse", RNNCellMath.RELU, false, true, false)));
    }

    /** One direction's inputs to the backward: weights, a traced forward pass and upstream gradients. */
    private static final class Layer {
        final CellMath cell;
        final int gateSize;
        final int projected;
        final int[] batchSizes;
        final int[] stepOffsets;
        final int rows;
        final boolean reverse;
        // The reverse direction of a bidirectional layer: h_t at columns [P, 2P) of (R, 2P) rows.
        final int outOffset;
        final int outStride;
        final float[] x;
        final float[] wIh;
        final float[] wHh;
        final float[] wHr;
        final float[] h0;
        final float[] c0;
        final float[] gates;
        final float[] saved;
        final float[] hCellAll;
        final float[] out;
        final float[] dOut;
        final float[] dhN;
        final float[] dcN;
        final Gradients initial;

        Layer(Case c, MatrixKernels kernels, PointwiseKernels pointwise) {
            Random random = new Random(c.name().hashCode());
            cell = c.cell();
            gateSize = cell.gates() * HIDDEN;
            projected = c.projection() ? PROJ : HIDDEN;
            batchSizes = new int[STEPS];
            for (int t = 0; t < STEPS; t++) {
                for (int length : PACKED_LENGTHS) {
                    batchSizes[t] += !c.packed() || length > t ? 1 : 0;
                }
            }
            stepOffsets = RecurrentMath.stepOffsets(batchSizes);
            rows = stepOffsets[STEPS - 1] + batchSizes[STEPS - 1];
            reverse = c.reverse();
            outOffset = reverse ? projected : 0;
            outStride = reverse ? 2 * projected : projected;
            x = gaussian(random, rows * INPUT, 1f);
            wIh = gaussian(random, gateSize * INPUT, 0.3f);
            wHh = gaussian(random, gateSize * projected, 0.3f);
            wHr = c.projection() ? gaussian(random, projected * HIDDEN, 0.3f) : null;
            float[] bIh = gaussian(random, gateSize, 0.1f);
            float[] bHh = gaussian(random, gateSize, 0.1f);
            h0 = gaussian(random, BATCH * projected, 0.5f);
            c0 = cell.hasCellState() ? gaussian(random, BATCH * HIDDEN, 0.5f) : null;
            gates = new float[rows * gateSize];
            saved = cell.savesRows() ? new float[rows * HIDDEN] : null;
            hCellAll = c.projection() ? new float[rows * HIDDEN] : null;
            out = new float[rows * outStride];
            LayerPanels w = LayerPanels.of(kernels, cell, HIDDEN, INPUT, projected, wIh, wHh, wHr, bIh, bHh);
            RecurrentMath.inputProjection(kernels, 0, rows, x, w, gates);
            RecurrentMath.recurrenceForward(kernels, pointwise, cell, w, batchSizes, stepOffsets, reverse, 0, BATCH,
                    null, gates, true, cell.separateRecurrentGates() ? new float[BATCH * gateSize] : null, h0.clone(),
                    c0 == null ? null : c0.clone(), out, outOffset, outStride, saved, hCellAll,
                    wHr == null ? null : new float[BATCH * HIDDEN]);
            dOut = gaussian(random, rows * outStride, 1f);
            dhN = gaussian(random, BATCH * projected, 1f);
            dcN = c0 == null ? null : gaussian(random, BATCH * HIDDEN, 1f);
            // Gradients accumulate, and dx does too for a reverse direction: start from nonzero values.
            initial = new Gradients(null, null, null, null, null,
                    gaussian(random, gateSize * projected, 1f),
                    wHr == null ? null : gaussian(random, projected * HIDDEN, 1f),
                    gaussian(random, gateSize * INPUT, 1f), gaussian(random, gateSize, 1f),
                    gaussian(random, gateSize, 1f), gaussian(random, rows * INPUT, 1f));
        }
    }

    /** Everything the backward writes. */
    record Gradients(float[] dGates, float[] dRecurrentGates, float[] dhRows, float[] dh0, float[] dc0,
                     float[] dWHh, float[] dWHr, float[] dWIh, float[] dBIh, float[] dBHh, float[] dx) {
    }

    /**
     * The backward with sequence ranges [bounds[i], bounds[i + 1]) and the weight products in
     * {@code productParts} parts, run one after another; {@code inPlace}: dGates overwrites a copy
     * of the gates, as {@code LSTM} does with its trace.
     */
    private Gradients backward(Layer l, int[] bounds, int productParts, boolean inPlace) {
        float[] gates = inPlace ? l.gates.clone() : l.gates;
        float[] dGates = inPlace ? gates : new float[l.rows * l.gateSize];
        Gradients g = new Gradients(dGates,
                l.cell.separateRecurrentGates() ? new float[l.rows * l.gateSize] : dGates,
                l.wHr == null ? null : new float[l.rows * l.projected], l.dhN.clone(),
                l.dcN == null ? null : l.dcN.clone(), l.initial.dWHh().clone(),
                l.wHr == null ? null : l.initial.dWHr().clone(), l.initial.dWIh().clone(), l.initial.dBIh().clone(),
                l.initial.dBHh().clone(), l.initial.dx().clone());
        for (int i = 0; i + 1 < bounds.length; i++) {
            RecurrentMath.recurrenceBackward(kernels, pointwise, l.cell, HIDDEN, l.projected, l.batchSizes,
                    l.stepOffsets, l.reverse, bounds[i], bounds[i + 1], gates, l.saved, l.c0, l.h0, l.wHh, l.wHr,
                    l.out, l.dOut, l.outOffset, l.outStride, g.dh0(), g.dc0(), g.dGates(), g.dRecurrentGates(),
                    g.dhRows());
        }
        for (int part = 0; part < productParts; part++) {
            RecurrentMath.recurrenceWeightsBackward(kernels, part, productParts, l.gateSize, HIDDEN, l.projected,
                    l.batchSizes, l.stepOffsets, l.reverse, g.dRecurrentGates(), l.out, l.outOffset, l.outStride, l.h0,
                    g.dhRows(), l.hCellAll, g.dWHh(), g.dBHh(), g.dWHr());
            RecurrentMath.inputProjectionBackward(kernels, part, productParts, l.rows, INPUT, l.gateSize, g.dGates(),
                    l.x, l.wIh, g.dWIh(), g.dBIh(), g.dx(), l.reverse);
        }
        return g;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everySplitGivesTheUnsplitGradientsBitForBit(Case c) {
        Layer layer = new Layer(c, kernels, pointwise);
        Gradients whole = backward(layer, new int[] {0, BATCH}, 1, false);
        int[] eachAlone = new int[BATCH + 1];
        for (int b = 0; b <= BATCH; b++) {
            eachAlone[b] = b;
        }
        int[][] sequenceSplits = {{0, 8, BATCH}, {0, 1, 5, BATCH}, {0, 3, 4, 16, BATCH}, eachAlone};
        int[] productSplits = {2, 3, 7};
        for (int i = 0; i < sequenceSplits.length; i++) {
            Gradients split = backward(layer, sequenceSplits[i], productSplits[i % productSplits.length], i % 2 == 1);
            String as = c + ", sequences split at " + Arrays.toString(sequenceSplits[i])
                    + ", products in " + productSplits[i % productSplits.length] + " parts"
                    + (i % 2 == 1 ? ", dGates over the gates: " : ": ");
            assertThat(split.dGates()).as(as + "dGates").isEqualTo(whole.dGates());
            assertThat(split.dRecurrentGates()).as(as + "dRecurrentGates").isEqualTo(whole.dRecurrentGates());
            assertThat(split.dhRows()).as(as + "dhRows").isEqualTo(whole.dhRows());
            assertThat(split.dh0()).as(as + "dh0").isEqualTo(whole.dh0());
            assertThat(split.dc0()).as(as + "dc0").isEqualTo(whole.dc0());
            assertThat(split.dWHh()).as(as + "dW_hh").isEqualTo(whole.dWHh());
            assertThat(split.dWHr()).as(as + "dW_hr").isEqualTo(whole.dWHr());
            assertThat(split.dWIh()).as(as + "dW_ih").isEqualTo(whole.dWIh());
            assertThat(split.dBIh()).as(as + "db_ih").isEqualTo(whole.dBIh());
            assertThat(split.dBHh()).as(as + "db_hh").isEqualTo(whole.dBHh());
            assertThat(split.dx()).as(as + "dx").isEqualTo(whole.dx());
        }
    }

    /**
     * dW_hh, computed from runs of rows whose previous h rows follow one another, equals one
     * product over a gathered hPrev(R, P) bit for bit.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void recurrentWeightGradientEqualsOneProductOverTheGatheredPreviousH(Case c) {
        Layer l = new Layer(c, kernels, pointwise);
        Gradients g = backward(l, new int[] {0, BATCH}, 1, false);
        float[] hPrev = new float[l.rows * l.projected]; // (R, P) the h each row's step started from
        for (int t = 0; t < STEPS; t++) {
            for (int b = 0; b < l.batchSizes[t]; b++) {
                int prev = RecurrentMath.previousRow(t, b, l.reverse, l.batchSizes, l.stepOffsets);
                System.arraycopy(prev < 0 ? l.h0 : l.out, prev < 0 ? b * l.projected : prev * l.outStride + l.outOffset,
                        hPrev, (l.stepOffsets[t] + b) * l.projected, l.projected);
            }
        }
        float[] dWHh = l.initial.dWHh().clone();
        kernels.multTransA(l.gateSize, l.projected, l.rows, g.dRecurrentGates(), 0, l.gateSize, hPrev, 0, l.projected,
                dWHh, 0, l.projected, true);
        assertThat(g.dWHh()).isEqualTo(dWHh);
    }

    private static float[] gaussian(Random random, int n, float scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return values;
    }
}
