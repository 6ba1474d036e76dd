package org.lstm4j.nn;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The working buffers of an inference forward pass ({@link RecurrentForwardPass} without a
 * trace), kept between calls: a warm call with the same shapes allocates only what it returns
 * (output, h_n, c_n) and a few small objects. Each buffer is handed out at exactly the length
 * asked for, reallocated only when that length changes; every user overwrites what it reads.
 *
 * <p>One workspace serves one call at a time: {@link Pool#take} hands the idle one to a caller
 * (or a new one when another call holds it, as concurrent calls on one module may), and
 * {@link Pool#give} keeps it for the next call.
 */
final class ForwardWorkspace {

    /**
     * What a buffer holds. Per direction running at once (set 0 or 1): a step's gates (N, G·H),
     * a GRU's recurrent part (N, G·H), h (N, P) and c (N, H) of the running step, the cell's h
     * before the projection (N, H), h's other half when threads split hidden units (N, H), and
     * the (R, G·H) gates of a projection hoisted out of the time loop. Per layer parity: a layer's
     * output (R, D·H_out) that the next layer reads.
     */
    enum Buffer { STEP_GATES, RECURRENT_GATES, H, C, H_CELL, H_SPARE, ROW_GATES, LAYER_OUTPUT }

    private final float[][] arrays = new float[2 * Buffer.values().length][];

    /** Buffer {@code buffer} of set 0 or 1, exactly {@code length} floats, contents undefined. */
    float[] get(Buffer buffer, int set, int length) {
        int i = 2 * buffer.ordinal() + set;
        float[] array = arrays[i];
        if (array == null || array.length != length) {
            array = new float[length];
            arrays[i] = array;
        }
        return array;
    }

    /** The idle workspace of one module. */
    static final class Pool {

        private final AtomicReference<ForwardWorkspace> idle = new AtomicReference<>();

        /** The idle workspace, or a new one while another call holds it. */
        ForwardWorkspace take() {
            ForwardWorkspace workspace = idle.getAndSet(null);
            return workspace != null ? workspace : new ForwardWorkspace();
        }

        /** Keeps {@code workspace} for the next call. */
        void give(ForwardWorkspace workspace) {
            idle.set(workspace);
        }
    }
}
