package org.lstm4j.kernels;

import java.util.Objects;

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
 */
public final class PanelMatrix {

    private final int cols;
    private final int lanes;
    private final int gates;
    private final int gateRows;
    private final int panels;
    private final float[] data;

    private PanelMatrix(int gates, int gateRows, int cols, int lanes) {
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
        this.data = new float[Math.multiplyExact(Math.multiplyExact(panels, 4 * lanes), cols)];
    }

    /** W (rows, cols) row-major at {@code w[wOff..]}, laid out in W's own row order. */
    public static PanelMatrix plain(float[] w, int wOff, int rows, int cols, int lanes) {
        PanelMatrix panels = new PanelMatrix(1, rows, cols, lanes);
        panels.refill(w, wOff);
        return panels;
    }

    /**
     * W (gates·gateRows, cols) row-major at {@code w[wOff..]}, gate after gate, laid out with the
     * gates of each block of hidden units together (see the class documentation).
     */
    public static PanelMatrix gateInterleaved(float[] w, int wOff, int gates, int gateRows, int cols, int lanes) {
        PanelMatrix panels = new PanelMatrix(gates, gateRows, cols, lanes);
        panels.refill(w, wOff);
        return panels;
    }

    /**
     * Copies new values of W (same shape, e.g. after an optimizer step) into this layout, without
     * allocating.
     */
    public void refill(float[] w, int wOff) {
        Objects.requireNonNull(w, "w");
        long size = (long) rows() * cols;
        if (wOff < 0 || wOff + size > w.length) {
            throw new IllegalArgumentException("expected " + rows() + "x" + cols + " = " + size
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

    /** The laid-out floats, panels·panelWidth·cols of them (see the class documentation). */
    public float[] data() {
        return data;
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
