package org.lstm4j.kernels;

import java.util.Objects;
import org.lstm4j.tensor.Precision;

/**
 * A weight matrix W (rows, cols), PyTorch's (out, in), laid out once in panels for repeated
 * products C (+)= A · Wᵀ ({@link MatrixKernels#multTransBPanels}). A recurrent layer lays out its
 * weights when they change (an optimizer step, a state-dict load), not per call.
 *
 * <pre>{@code
 * PanelMatrix w = kernels.gatePanels(wHh, 0, 4, hidden, hidden);                 // once: an LSTM's W_hh
 * kernels.multTransBPanels(batch, h, 0, hidden, w, gates, 0, 4 * hidden, true);  // every step
 * }</pre>
 *
 * <h2>Layout</h2>
 * Rows of W are taken in groups of {@code lanes} (one vector of the kernel), and four groups
 * make a panel of {@code panelWidth = 4·lanes} rows. Panel q is stored k-major:
 * {@code data[q·panelWidth·cols + p·panelWidth + r]} is W[sourceRow(q·panelWidth + r), p]. One
 * step p of the product therefore reads {@code panelWidth} consecutive floats (four vector loads)
 * and one element of A, with no horizontal reduction. Padding rows (sourceRow −1) hold zeros, so
 * a kernel can always load whole vectors.
 *
 * <p>W has {@code gates · gateRows} rows: gate after gate, as PyTorch stacks a recurrent layer's
 * gates (LSTM i, f, g, o: 4; GRU r, z, n: 3; RNN: 1). Groups run through the hidden units block by
 * block and, within a block, through the gates: group i holds rows [(i mod gates)·gateRows +
 * (i div gates)·lanes, + lanes) — for an LSTM, panel q is gates i, f, g, o of hidden units
 * [q·lanes, (q+1)·lanes). A kernel thus holds all gates of a block of hidden units at once, and
 * a panel range that starts and ends on a block boundary ({@link #slicePanel}) covers whole
 * hidden units of every gate, so threads can split a layer by hidden units. With
 * {@code gates == 1} ({@link #plain}) the order is W's own. Either way a product writes C in W's
 * row order: the layout changes speed, not results. Each group's live rows are consecutive rows
 * of W ({@link #groupStart}, {@link #groupCount}), which is what lets a kernel store whole vectors.
 *
 * <h2>Precision</h2>
 * The weights are stored as {@link Precision} says; the layout is the same, only the element
 * type changes, and every product reads W as {@code W[r, p] = rowScale(r) · weight(r, p)}:
 * <ul>
 *   <li>{@link Precision#FP32}: {@link #data()} as above; rowScale 1.</li>
 *   <li>{@link Precision#BF16}: {@link #codes()} holds, for step p of panel q, 2·lanes ints at
 *       {@code q·2·lanes·cols + p·2·lanes}: int {@code h·lanes + j} carries lane j of group 2h in
 *       its low 16 bits and lane j of group 2h+1 in its high 16 bits, each the bfloat16 of the
 *       weight ({@link Precision#bf16Bits}); rowScale 1.</li>
 *   <li>{@link Precision#INT8}: {@link #codes()} holds, for step p of panel q, lanes ints at
 *       {@code q·lanes·cols + p·lanes}: byte g of int j is lane j of group g, the int8 value q of
 *       the weight in its row ({@link Precision#int8Value}); {@link #scales()} holds each panel
 *       row's scale ({@link Precision#int8Scale} of the row's largest |weight|), so
 *       W[r, p] = scale · q.</li>
 * </ul>
 * Padding rows hold zeros (and scale 0) in every precision.
 */
public final class PanelMatrix {

    private final int cols;
    private final int lanes;
    private final int gates;
    private final int gateRows;
    private final int panels;
    private final Precision precision;
    /** FP32: (panels, cols, panelWidth) floats; null otherwise. */
    private final float[] data;
    /** BF16: (panels, cols, 2·lanes) ints; INT8: (panels, cols, lanes) ints; null for FP32. */
    private final int[] codes;
    /** INT8: (panels, panelWidth) row scales; null otherwise. */
    private final float[] scales;

    private PanelMatrix(int gates, int gateRows, int cols, int lanes, Precision precision) {
        if (gates <= 0 || gateRows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("expected a matrix with rows > 0 and cols > 0, got ("
                    + (long) gates * gateRows + ", " + cols + ")");
        }
        if (lanes <= 0) {
            throw new IllegalArgumentException("expected lanes > 0, got " + lanes);
        }
        this.cols = cols;
        this.lanes = lanes;
        this.gates = gates;
        this.gateRows = gateRows;
        long groups = (long) gates * ((gateRows + lanes - 1) / lanes);
        this.panels = Math.toIntExact((groups + 3) / 4);
        this.precision = Objects.requireNonNull(precision, "precision");
        int values = Math.multiplyExact(Math.multiplyExact(panels, 4 * lanes), cols);
        this.data = precision == Precision.FP32 ? new float[values] : null;
        this.codes = precision == Precision.FP32 ? null : new int[values / (4 / precision.bytesPerWeight())];
        this.scales = precision == Precision.INT8 ? new float[panels * 4 * lanes] : null;
    }

    /** W (rows, cols) row-major at {@code w[wOff..]}, laid out in W's own row order, float32. */
    public static PanelMatrix plain(float[] w, int wOff, int rows, int cols, int lanes) {
        return plain(w, wOff, rows, cols, lanes, Precision.FP32);
    }

    /** {@link #plain(float[], int, int, int, int)} stored in {@code precision}. */
    public static PanelMatrix plain(float[] w, int wOff, int rows, int cols, int lanes, Precision precision) {
        PanelMatrix panels = new PanelMatrix(1, rows, cols, lanes, precision);
        panels.refill(w, wOff);
        return panels;
    }

    /**
     * W (gates·gateRows, cols) row-major at {@code w[wOff..]}, gate after gate, laid out with the
     * gates of each block of hidden units together (see the class documentation).
     */
    public static PanelMatrix gateInterleaved(float[] w, int wOff, int gates, int gateRows, int cols, int lanes) {
        return gateInterleaved(w, wOff, gates, gateRows, cols, lanes, Precision.FP32);
    }

    /** {@link #gateInterleaved(float[], int, int, int, int, int)} stored in {@code precision}. */
    public static PanelMatrix gateInterleaved(float[] w, int wOff, int gates, int gateRows, int cols, int lanes,
                                              Precision precision) {
        PanelMatrix panels = new PanelMatrix(gates, gateRows, cols, lanes, precision);
        panels.refill(w, wOff);
        return panels;
    }

    /**
     * Copies new values of W (same shape, e.g. after an optimizer step) into this layout, without
     * allocating: rounded to bfloat16 or quantized to int8 (a new scale per row) as this matrix's
     * precision says.
     *
     * @throws IllegalArgumentException if {@code w} is too short, or for int8 if a weight is NaN or
     *                                  infinite (it has no int8 value)
     */
    public void refill(float[] w, int wOff) {
        Objects.requireNonNull(w, "w");
        long size = (long) rows() * cols;
        if (wOff < 0 || wOff + size > w.length) {
            throw new IllegalArgumentException("expected " + rows() + "x" + cols + " = " + size
                    + " floats at offset " + wOff + ", got an array of " + w.length);
        }
        if (precision == Precision.FP32) {
            refillFloats(w, wOff);
            return;
        }
        for (int panelRow = 0; panelRow < panels * panelWidth(); panelRow++) {
            int source = sourceRow(panelRow);
            int src = wOff + source * cols;
            float scale = 1f;
            if (precision == Precision.INT8) {
                scale = source < 0 ? 0f : Precision.int8Scale(maxAbs(w, src, source));
                scales[panelRow] = scale;
            }
            for (int p = 0; p < cols; p++) {
                storeCode(panelRow, p, source < 0 ? 0f : w[src + p], scale);
            }
        }
    }

    /** {@link #refill} for FP32: a plain copy, panel row by panel row (run after every optimizer step). */
    private void refillFloats(float[] w, int wOff) {
        int width = panelWidth();
        for (int q = 0; q < panels; q++) {
            int panelBase = q * width * cols;
            for (int r = 0; r < width; r++) {
                int source = sourceRow(q * width + r);
                int src = wOff + source * cols;
                for (int p = 0; p < cols; p++) {
                    data[panelBase + p * width + r] = source < 0 ? 0f : w[src + p];
                }
            }
        }
    }

    /** The largest |weight| of W's row {@code row} at {@code w[src..]}; throws on NaN or infinity. */
    private float maxAbs(float[] w, int src, int row) {
        float max = 0f;
        for (int p = 0; p < cols; p++) {
            float v = w[src + p];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("int8 weights must be finite: expected a finite W[" + row + ", "
                        + p + "], got " + v);
            }
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** Stores W's value for panel row {@code panelRow}, step p, as a bf16 or int8 code. */
    private void storeCode(int panelRow, int p, float value, float scale) {
        switch (precision) {
            case BF16 -> {
                int index = codeIndex(panelRow, p);
                int shift = codeShift(panelRow);
                codes[index] = codes[index] & ~(0xFFFF << shift) | (Precision.bf16Bits(value) & 0xFFFF) << shift;
            }
            case INT8 -> {
                int index = codeIndex(panelRow, p);
                int shift = codeShift(panelRow);
                byte q = scale == 0f ? 0 : Precision.int8Value(value, scale);
                codes[index] = codes[index] & ~(0xFF << shift) | (q & 0xFF) << shift;
            }
            default -> throw new AssertionError(precision);
        }
    }

    /**
     * The stored weight of panel row {@code panelRow} at step p, as a float: the float32 value,
     * the bfloat16 value, or the int8 value q (see {@link #rowScale}). For the scalar kernels and
     * {@link #toRowMajor}; the vector kernels read {@link #data()} or {@link #codes()} directly.
     */
    public float weight(int panelRow, int p) {
        return switch (precision) {
            case FP32 -> data[dataIndex(panelRow, p)];
            case BF16 -> Precision.bf16Value((short) (codes[codeIndex(panelRow, p)] >>> codeShift(panelRow)));
            case INT8 -> (byte) (codes[codeIndex(panelRow, p)] >>> codeShift(panelRow));
        };
    }

    /** The factor every {@link #weight} of panel row {@code panelRow} is multiplied by: its int8 scale, else 1. */
    public float rowScale(int panelRow) {
        return precision == Precision.INT8 ? scales[panelRow] : 1f;
    }

    /**
     * W (rows, cols) as the products read it, row-major into {@code w[wOff..]}: rowScale · weight
     * (for bf16 the rounded weights, for int8 PyTorch's {@code dequantize()}), the inverse of
     * {@link #refill} up to that rounding.
     */
    public void toRowMajor(float[] w, int wOff) {
        Objects.requireNonNull(w, "w");
        if (wOff < 0 || wOff + (long) rows() * cols > w.length) {
            throw new IllegalArgumentException("expected room for " + rows() + "x" + cols + " floats at offset " + wOff
                    + ", got an array of " + w.length);
        }
        for (int panelRow = 0; panelRow < panels * panelWidth(); panelRow++) {
            int source = sourceRow(panelRow);
            if (source < 0) {
                continue;
            }
            float scale = rowScale(panelRow);
            for (int p = 0; p < cols; p++) {
                w[wOff + source * cols + p] = precision == Precision.INT8 ? weight(panelRow, p) * scale
                        : weight(panelRow, p);
            }
        }
    }

    private int dataIndex(int panelRow, int p) {
        int width = panelWidth();
        return panelRow / width * width * cols + p * width + panelRow % width;
    }

    /** Index into {@link #codes} of panel row {@code panelRow} at step p (see the class documentation). */
    private int codeIndex(int panelRow, int p) {
        int panel = panelRow / panelWidth();
        int group = panelRow % panelWidth() / lanes;
        int lane = panelRow % lanes;
        if (precision == Precision.BF16) {
            return panel * 2 * lanes * cols + p * 2 * lanes + group / 2 * lanes + lane;
        }
        return panel * lanes * cols + p * lanes + lane;
    }

    /** Bit position of panel row {@code panelRow}'s code within its int. */
    private int codeShift(int panelRow) {
        int group = panelRow % panelWidth() / lanes;
        return precision == Precision.BF16 ? group % 2 * 16 : group * 8;
    }

    /** Rows of W (the n of C = A·Wᵀ): gates·gateRows. */
    public int rows() {
        return gates * gateRows;
    }

    /** Columns of W (the shared dimension k). */
    public int cols() {
        return cols;
    }

    /** Floats per vector of the kernel this layout was made for (1 for the scalar kernels). */
    public int lanes() {
        return lanes;
    }

    /** Rows per panel: 4·lanes. */
    public int panelWidth() {
        return 4 * lanes;
    }

    public int panels() {
        return panels;
    }

    /** Gates stacked in W (1 for {@link #plain}). */
    public int gates() {
        return gates;
    }

    /** Rows per gate: the hidden size of a recurrent layer's gate weight; all rows for {@link #plain}. */
    public int gateRows() {
        return gateRows;
    }

    /** How the weights are stored. */
    public Precision precision() {
        return precision;
    }

    /** The laid-out floats, panels·panelWidth·cols of them (see the class documentation); null unless FP32. */
    public float[] data() {
        return data;
    }

    /** The bf16 or int8 codes (see the class documentation); null for FP32. */
    public int[] codes() {
        return codes;
    }

    /** Each panel row's int8 scale, panels·panelWidth of them (0 for padding rows); null unless INT8. */
    public float[] scales() {
        return scales;
    }

    /** Bytes the stored weights take: data, or codes and scales (padding included). */
    public long storageBytes() {
        long values = data != null ? data.length : codes.length;
        return 4 * (values + (scales != null ? scales.length : 0));
    }

    /** The row of W stored at panel row {@code panelRow}, or −1 for a padding row. */
    public int sourceRow(int panelRow) {
        int panel = panelRow / panelWidth();
        int group = panelRow % panelWidth() / lanes;
        int lane = panelRow % lanes;
        return lane < groupCount(panel, group) ? groupStart(panel, group) + lane : -1;
    }

    /**
     * First row of W in group {@code group} (0..3) of panel {@code panel}; the group's live rows are
     * {@code groupStart .. groupStart + groupCount − 1}, consecutive in W.
     */
    public int groupStart(int panel, int group) {
        return groupStart(gates, gateRows, lanes, panel, group);
    }

    /** Live (non-padding) rows in group {@code group} of panel {@code panel}: 0..lanes. */
    public int groupCount(int panel, int group) {
        return groupCount(gates, gateRows, lanes, panel, group);
    }

    /** {@link #groupStart(int, int)} of any layout of {@code gates·gateRows} rows, for kernels laying out on the fly. */
    public static int groupStart(int gates, int gateRows, int lanes, int panel, int group) {
        int index = 4 * panel + group;
        return index % gates * gateRows + index / gates * lanes;
    }

    /** {@link #groupCount(int, int)} of any layout of {@code gates·gateRows} rows. */
    public static int groupCount(int gates, int gateRows, int lanes, int panel, int group) {
        int index = 4 * panel + group;
        return Math.max(0, Math.min(lanes, gateRows - index / gates * lanes));
    }

    /**
     * Slices: the shortest panel ranges that hold whole blocks of hidden units of every gate (one
     * panel for 1, 2 or 4 gates, three panels — four blocks — for 3), the unit in which threads
     * split a layer by hidden units.
     */
    public int unitSlices() {
        int perSlice = panelsPerSlice();
        return (panels + perSlice - 1) / perSlice;
    }

    /** First panel of slice {@code slice}; {@code slicePanel(unitSlices()) == panels()}. */
    public int slicePanel(int slice) {
        return Math.min(panels, slice * panelsPerSlice());
    }

    /** First hidden unit (row of a gate) of slice {@code slice}; {@code sliceUnit(unitSlices()) == gateRows()}. */
    public int sliceUnit(int slice) {
        long blocks = (long) slice * panelsPerSlice() * 4 / gates;
        return (int) Math.min(gateRows, blocks * lanes);
    }

    /** gates / gcd(gates, 4): after that many panels, groups are back at gate 0 of a new block. */
    private int panelsPerSlice() {
        int gcd = gates % 4 == 0 ? 4 : gates % 2 == 0 ? 2 : 1;
        return gates / gcd;
    }
}
