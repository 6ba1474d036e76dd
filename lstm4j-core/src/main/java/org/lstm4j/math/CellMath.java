package org.lstm4j.math;

import org.lstm4j.kernels.PointwiseKernels;

/**
 * One recurrent cell's pointwise equations for one row (one sequence at one step), as a
 * forward/backward pair: the part of a layer that differs between LSTM, GRU and Elman RNN.
 * {@link RecurrentMath}'s drivers — projections, recurrence, splitting across threads, the
 * backward's weight products — are shared by every cell and call these per row, as the templated
 * layer drivers of PyTorch's {@code aten/src/ATen/native/RNN.cpp} take the cell as a parameter.
 *
 * <p>Buffers of one row (G = {@link #gates()}, H = hidden size):
 * <ul>
 *   <li>gates (G·H): in, the input part x·W_ihᵀ + b_ih (plus, unless
 *       {@link #separateRecurrentGates()}, h·W_hhᵀ + b_hh); out, the activated gates the
 *       backward reads;</li>
 *   <li>recurrent (G·H): h·W_hhᵀ + b_hh, only with {@link #separateRecurrentGates()};</li>
 *   <li>c (H): the cell state, only with {@link #hasCellState()};</li>
 *   <li>saved (H): what the forward keeps per row for the backward besides the gates, only with
 *       {@link #savesRows()}.</li>
 * </ul>
 * Offsets point at the row's unit 0; unit ranges [from, to) let threads own slices of hidden
 * units.
 */
public abstract class CellMath {

    private final int gates;
    private final boolean hasCellState;
    private final boolean separateRecurrentGates;
    private final boolean savesRows;
    private final boolean carriesHidden;

    /** The cell's traits; see the accessors for what each means. */
    CellMath(int gates, boolean hasCellState, boolean separateRecurrentGates, boolean savesRows,
             boolean carriesHidden) {
        this.gates = gates;
        this.hasCellState = hasCellState;
        this.separateRecurrentGates = separateRecurrentGates;
        this.savesRows = savesRows;
        this.carriesHidden = carriesHidden;
    }

    /** Gates stacked in W_ih, W_hh and the biases: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), RNN 1. */
    public final int gates() {
        return gates;
    }

    /** True when the cell carries a cell state c besides h (LSTM). */
    public final boolean hasCellState() {
        return hasCellState;
    }

    /**
     * True when h·W_hhᵀ + b_hh must stay apart from x·W_ihᵀ + b_ih until the cell combines them
     * (GRU: r scales only the recurrent part of n). Otherwise the recurrent product adds into the
     * gates, whose chains start from b_ih + b_hh.
     */
    public final boolean separateRecurrentGates() {
        return separateRecurrentGates;
    }

    /** True when the forward keeps a (R, H) row buffer for the backward ({@link #save}). */
    public final boolean savesRows() {
        return savesRows;
    }

    /**
     * True when dL/dh_{t−1} has a term besides dRecurrent·W_hh, which {@link #backward} leaves in
     * dh (GRU: dh ⊙ z); otherwise the product overwrites dh.
     */
    public final boolean carriesHidden() {
        return carriesHidden;
    }

    /**
     * The cell update for units [from, to) of one row.
     *
     * @param gates     (G·H) at gOff: pre-activations in, activated gates out
     * @param recurrent (G·H) at rOff, h·W_hhᵀ + b_hh; read only when {@link #separateRecurrentGates()}
     * @param c         (H) at cOff: c_{t−1} in, c_t out; only when {@link #hasCellState()}
     * @param hPrev     (H) at hPrevOff: h_{t−1}
     * @param h         (H) at hOff: receives the cell's h_t (before any projection); may be hPrev
     *                  itself, same array and offset
     */
    public abstract void forward(PointwiseKernels pointwise, int hidden, int from, int to, float[] gates, int gOff,
                                 float[] recurrent, int rOff, float[] c, int cOff, float[] hPrev, int hPrevOff,
                                 float[] h, int hOff);

    /**
     * Copies what {@link #backward} needs besides the gates into saved (H) at sOff, units
     * [from, to), after {@link #forward}; only when {@link #savesRows()} (a cell that saves nothing
     * is never asked).
     */
    public void save(int hidden, int from, int to, float[] recurrent, int rOff, float[] c, int cOff, float[] saved,
                     int sOff) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " saves nothing per row");
    }

    /**
     * Backward of {@link #forward} for one row (all units).
     *
     * @param gates      (G·H) activated gates at gOff, as the forward left them
     * @param saved      (H) this row's saved values at sOff
     * @param cPrev      (H) c_{t−1} at cPrevOff, with a cell state
     * @param hPrev      (H) h_{t−1} at hPrevOff
     * @param dh         (H) at dhOff: in, dL/dh_t of the cell's output; out, with
     *                   {@link #carriesHidden()}, the part of dL/dh_{t−1} that bypasses W_hh
     * @param dc         (H) at dcOff: in, dL/dc_t from the future; out, dL/dc_{t−1}; with a cell state
     * @param dGates     (G·H) at dgOff: receives dL/d(input part of the gates); may be gates itself
     *                   (same offset), as a unit's gates are read before its gradients are written
     * @param dRecurrent (G·H) at drOff: receives dL/d(h·W_hhᵀ + b_hh); with
     *                   {@link #separateRecurrentGates()}, else the same array as dGates
     * @param scratch    (H) working space
     */
    public abstract void backward(PointwiseKernels pointwise, int hidden, float[] gates, int gOff, float[] saved,
                                  int sOff, float[] cPrev, int cPrevOff, float[] hPrev, int hPrevOff, float[] dh,
                                  int dhOff, float[] dc, int dcOff, float[] dGates, int dgOff, float[] dRecurrent,
                                  int drOff, float[] scratch);
}
