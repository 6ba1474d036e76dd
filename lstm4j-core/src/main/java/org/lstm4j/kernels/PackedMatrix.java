package org.lstm4j.kernels;

import java.util.Objects;

/**
 * A weight matrix W (rows, cols), PyTorch's (out, in), laid out once for repeated products
 * C (+)= A · Wᵀ ({@link MatrixKernels#multTransBPacked}). Weights are immutable between optimizer
 * steps, so an LSTM packs them at load time and calls {@link #repack} after each step.
 *
 * <pre>{@code
 * PackedMatrix w = kernels.pack(wHh, 0, 4 * hidden, hidden);        // once
 * kernels.multTransBPacked(batch, h, 0, hidden, w, gates, 0, 4 * hidden, true); // every step
 * }</pre>
 *
 * <h2>Layout</h2>
 * Packed rows are grouped into panels of {@code panelWidth = 4·lanes} rows. Panel q is stored
 * k-major: {@code data[q·panelWidth·cols + p·panelWidth + r]} is W[sourceRow(q·panelWidth + r), p].
 * One step p of the product therefore reads {@code panelWidth} consecutive floats (four vector
 * loads of {@code lanes} floats) and one element of A, with no horizontal reduction. Padding rows
 * (sourceRow −1) hold zeros, so a kernel can always load whole vectors.
 *
 * <p>Two row orders:
 * <ul>
 *   <li><b>plain</b>: packed row r is W's row r.</li>
 *   <li><b>gate-interleaved</b> (W has 4·hidden rows, gates i, f, g, o as in PyTorch): panel q
 *       holds the rows of gate i, then f, g, o for hidden units [q·lanes, (q+1)·lanes). One panel
 *       yields all four gates of one block of hidden units, so a fused step can apply the gate
 *       math while that block is in registers.</li>
 * </ul>
 * Either way a product writes C in W's own row order: the layout changes speed, not results.
 * Each group of {@code lanes} packed rows maps to consecutive rows of W
 * ({@link #groupStart}, {@link #groupCount}), which is what lets a kernel store whole vectors.
 */
public final class PackedMatrix {

    private final int rows;
    private final int cols;
    private final int lanes;
    private final int gateHidden;
    private final int panels;
    private final float[] data;

    private PackedMatrix(int rows, int cols, int lanes, int gateHidden) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("expected a matrix with rows > 0 and cols > 0, got (" + rows + ", "
                    + cols + ")");
        }
        if (lanes <= 0) {
            throw new IllegalArgumentException("expected lanes > 0, got " + lanes);
        }
        this.rows = rows;
        this.cols = cols;
        this.lanes = lanes;
        this.gateHidden = gateHidden;
        int unitsPerPanel = gateHidden > 0 ? lanes : 4 * lanes;
        int panelRows = gateHidden > 0 ? gateHidden : rows;
        this.panels = (panelRows + unitsPerPanel - 1) / unitsPerPanel;
        this.data = new float[Math.multiplyExact(Math.multiplyExact(panels, 4 * lanes), cols)];
    }

    /** W (rows, cols) row-major at {@code w[wOff..]}, packed in plain row order. */
    public static PackedMatrix plain(float[] w, int wOff, int rows, int cols, int lanes) {
        PackedMatrix packed = new PackedMatrix(rows, cols, lanes, 0);
        packed.repack(w, wOff);
        return packed;
    }

    /** W (4·hidden, cols) row-major at {@code w[wOff..]}, gate rows i, f, g, o, packed gate-interleaved. */
    public static PackedMatrix gateInterleaved(float[] w, int wOff, int hidden, int cols, int lanes) {
        if (hidden <= 0) {
            throw new IllegalArgumentException("expected hidden > 0, got " + hidden);
        }
        PackedMatrix packed = new PackedMatrix(Math.multiplyExact(4, hidden), cols, lanes, hidden);
        packed.repack(w, wOff);
        return packed;
    }

    /**
     * Copies new values of W (same shape, e.g. after an optimizer step) into this layout, without
     * allocating.
     */
    public void repack(float[] w, int wOff) {
        Objects.requireNonNull(w, "w");
        if (wOff < 0 || (long) wOff + (long) rows * cols > w.length) {
            throw new IllegalArgumentException("expected " + rows + "x" + cols + " = " + (long) rows * cols
                    + " floats at offset " + wOff + ", got an array of " + w.length);
        }
        int width = panelWidth();
        for (int q = 0; q < panels; q++) {
            int panelBase = q * width * cols;
            for (int r = 0; r < width; r++) {
                int source = sourceRow(q * width + r);
                if (source < 0) {
                    for (int p = 0; p < cols; p++) {
                        data[panelBase + p * width + r] = 0f;
                    }
                    continue;
                }
                int src = wOff + source * cols;
                for (int p = 0; p < cols; p++) {
                    data[panelBase + p * width + r] = w[src + p];
                }
            }
        }
    }

    /** Rows of W (the n of C = A·Wᵀ). */
    public int rows() {
        return rows;
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

    /** True for the gate-interleaved row order. */
    public boolean gateInterleaved() {
        return gateHidden > 0;
    }

    /** Hidden size of a gate-interleaved matrix (rows / 4); 0 for plain. */
    public int gateHidden() {
        return gateHidden;
    }

    /** The packed floats, panels·panelWidth·cols of them (see the class documentation). */
    public float[] data() {
        return data;
    }

    /** The row of W stored at packed row {@code packedRow}, or −1 for a padding row. */
    public int sourceRow(int packedRow) {
        int panel = packedRow / panelWidth();
        int group = packedRow % panelWidth() / lanes;
        int lane = packedRow % lanes;
        return lane < groupCount(panel, group) ? groupStart(panel, group) + lane : -1;
    }

    /**
     * First row of W in group {@code group} (0..3) of panel {@code panel}; the group's live rows are
     * {@code groupStart .. groupStart + groupCount − 1}, consecutive in W.
     */
    public int groupStart(int panel, int group) {
        return gateHidden > 0 ? group * gateHidden + panel * lanes : (4 * panel + group) * lanes;
    }

    /** Live (non-padding) rows in group {@code group} of panel {@code panel}: 0..lanes. */
    public int groupCount(int panel, int group) {
        int remaining = gateHidden > 0 ? gateHidden - panel * lanes : rows - (4 * panel + group) * lanes;
        return Math.max(0, Math.min(lanes, remaining));
    }
}
