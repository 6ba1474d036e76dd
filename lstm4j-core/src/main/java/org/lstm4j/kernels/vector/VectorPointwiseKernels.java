package org.lstm4j.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.lstm4j.kernels.Activations;
import org.lstm4j.kernels.PointwiseKernels;

/**
 * {@link PointwiseKernels} on {@code jdk.incubator.vector}, with float exp, sigmoid and tanh
 * accurate to a few ulps (the tests measure the error against the double-precision reference
 * over a dense sweep). Tails shorter than a vector use the scalar reference ({@link Activations}).
 *
 * <p>exp follows Cephes {@code expf}: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2,
 * n found by the 1.5·2²³ rounding trick so no float→int conversion is needed), e^r by a degree-6
 * polynomial, 2ⁿ built in the exponent bits. Inputs are clamped to [−87.3, 88], so 2ⁿ stays a
 * normal float; sigmoid and tanh saturate long before either bound matters.
 * tanh uses Cephes {@code tanhf}'s odd polynomial for |x| &lt; 0.625 (no cancellation near 0),
 * 1 − 2/(e^{2|x|} + 1) above, and x itself below 2⁻¹².
 */
public final class VectorPointwiseKernels implements PointwiseKernels {

    private static final VectorSpecies<Float> F = FloatSpecies.CHOSEN;
    private static final int V = F.length();

    private static final float EXP_LO = -87.3f;
    private static final float EXP_HI = 88.0f;
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2²³: adding it rounds to an integer that lands in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** ln2 = LN2_HI + LN2_LO; LN2_HI has few mantissa bits, so n·LN2_HI is exact. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float TANH_SMALL = 0.625f;
    private static final float TANH_IS_X = 0x1p-12f;

    public VectorPointwiseKernels() {
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int len) {
        activate(src, srcOff, dst, dstOff, len, false);
    }

    @Override
    public void tanh(float[] src, int srcOff, float[] dst, int dstOff, int len) {
        activate(src, srcOff, dst, dstOff, len, true);
    }

    /**
     * Five sections through one {@link #activate(float[], int, float[], int, int, boolean)} call
     * site: gates i, f, g, o in place, then tanh(c') into h (c' computed just before), then
     * h ·= o. A single call site keeps this method small: C2 inlines each call site separately,
     * and two or more copies of the activation cross its inlining node cutoff.
     */
    @Override
    public void lstmCellForward(int hidden, int from, int to, float[] gates, int gOff, float[] c, int cOff,
                                float[] h, int hOff) {
        for (int section = 0; section < 5; section++) {
            if (section == 4) {
                updateCell(hidden, from, to, gates, gOff, c, cOff);
            }
            float[] src = section < 4 ? gates : c;
            float[] dst = section < 4 ? gates : h;
            int srcOff = section < 4 ? gOff + section * hidden : cOff;
            int dstOff = section < 4 ? srcOff : hOff;
            activate(src, srcOff + from, dst, dstOff + from, to - from, section == 2 || section == 4);
        }
        int oOff = gOff + 3 * hidden;
        int bound = from + F.loopBound(to - from);
        for (int j = from; j < bound; j += V) {
            FloatVector.fromArray(F, gates, oOff + j).mul(FloatVector.fromArray(F, h, hOff + j)).intoArray(h, hOff + j);
        }
        for (int j = bound; j < to; j++) {
            h[hOff + j] = gates[oOff + j] * h[hOff + j];
        }
    }

    /**
     * Three sections through one {@link #activate(float[], int, float[], int, int, boolean)} call
     * site, as {@link #lstmCellForward}: r and z (x-part plus h-part, then σ) and n (x_n + r ⊙ h_n,
     * then tanh), each in place in the gates; then h' = (h − n) ⊙ z + n.
     */
    @Override
    public void gruCellForward(int hidden, int from, int to, float[] gates, int gOff, float[] recurrent, int rOff,
                               float[] hPrev, int hPrevOff, float[] h, int hOff) {
        for (int section = 0; section < 3; section++) {
            int at = gOff + section * hidden + from;
            addRecurrent(section == 2, to - from, gates, at, recurrent, rOff + section * hidden + from, gates,
                    gOff + from);
            activate(gates, at, gates, at, to - from, section == 2);
        }
        int zOff = gOff + hidden;
        int nOff = gOff + 2 * hidden;
        int bound = from + F.loopBound(to - from);
        for (int j = from; j < bound; j += V) {
            FloatVector n = FloatVector.fromArray(F, gates, nOff + j);
            FloatVector.fromArray(F, hPrev, hPrevOff + j).sub(n).mul(FloatVector.fromArray(F, gates, zOff + j)).add(n)
                    .intoArray(h, hOff + j);
        }
        for (int j = bound; j < to; j++) {
            float n = gates[nOff + j];
            h[hOff + j] = (hPrev[hPrevOff + j] - n) * gates[zOff + j] + n;
        }
    }

    /**
     * gates[at..] += recurrent[rAt..] over len floats, or with {@code scaled}
     * gates[at..] += r[..] ⊙ recurrent[rAt..] (r at rGates[rOff..], the activated reset gate):
     * a product rounded, then a sum rounded, as the scalar reference.
     */
    private static void addRecurrent(boolean scaled, int len, float[] gates, int at, float[] recurrent, int rAt,
                                     float[] rGates, int rOff) {
        int bound = F.loopBound(len);
        for (int i = 0; i < bound; i += V) {
            FloatVector hPart = FloatVector.fromArray(F, recurrent, rAt + i);
            if (scaled) {
                hPart = FloatVector.fromArray(F, rGates, rOff + i).mul(hPart);
            }
            FloatVector.fromArray(F, gates, at + i).add(hPart).intoArray(gates, at + i);
        }
        for (int i = bound; i < len; i++) {
            float hPart = scaled ? rGates[rOff + i] * recurrent[rAt + i] : recurrent[rAt + i];
            gates[at + i] = gates[at + i] + hPart;
        }
    }

    /** tanh through the activation loop, or relu; then h' copied out. */
    @Override
    public void rnnCellForward(boolean relu, int from, int to, float[] gates, int gOff, float[] h, int hOff) {
        int at = gOff + from;
        int len = to - from;
        if (relu) {
            int bound = F.loopBound(len);
            for (int i = 0; i < bound; i += V) {
                FloatVector.fromArray(F, gates, at + i).max(0f).intoArray(gates, at + i);
            }
            for (int i = bound; i < len; i++) {
                gates[at + i] = Activations.relu(gates[at + i]);
            }
        } else {
            activate(gates, at, gates, at, len, true);
        }
        System.arraycopy(gates, at, h, hOff + from, len);
    }

    /** c' = f·c + i·g for units [from, to), from the activated gates; rounded as the scalar reference. */
    private static void updateCell(int hidden, int from, int to, float[] gates, int gOff, float[] c, int cOff) {
        int fOff = gOff + hidden;
        int gGateOff = gOff + 2 * hidden;
        int bound = from + F.loopBound(to - from);
        for (int j = from; j < bound; j += V) {
            FloatVector i = FloatVector.fromArray(F, gates, gOff + j);
            FloatVector f = FloatVector.fromArray(F, gates, fOff + j);
            FloatVector g = FloatVector.fromArray(F, gates, gGateOff + j);
            f.mul(FloatVector.fromArray(F, c, cOff + j)).add(i.mul(g)).intoArray(c, cOff + j);
        }
        for (int j = bound; j < to; j++) {
            c[cOff + j] = gates[fOff + j] * c[cOff + j] + gates[gOff + j] * gates[gGateOff + j];
        }
    }

    /**
     * dst = σ(src) or tanh(src) over len floats; the tail through the scalar reference.
     *
     * <p>σ(x) = 1 / (1 + e^−x); tanh(x) = sign(x)·(1 − 2 / (1 + e^{2|x|})) for |x| ≥ 0.625, the
     * Cephes odd polynomial below that, and x itself below 2⁻¹² (tanh(x) rounds to x there; this
     * also keeps the sign of −0). One exp serves both (see the class documentation for exp); σ
     * stops after it. Computing both for every section and blending (as before 2026-12-02) cost σ's
     * sections the tanh terms too: lstm4j alone, three alternating JVM runs, config (e) 3.3–3.6 →
     * 2.9–3.3 ms, (c) 21.7–29.3 → 18.9–24.0 ms (the activations were 11–15% of their samples).
     *
     * <p>The whole vector computation sits in this loop on purpose: a FloatVector passed to or
     * returned from a method C2 does not inline is boxed on every call, and C2 refuses to inline
     * a method already compiled into a big one, which happened for a separate activate/exp
     * depending on call order (about 1 MB allocated per 64-stream step).
     */
    private static void activate(float[] src, int srcOff, float[] dst, int dstOff, int len, boolean tanh) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int bound = F.loopBound(len);
        for (int i = 0; i < bound; i += V) {
            FloatVector x = FloatVector.fromArray(F, src, srcOff + i);
            FloatVector ax = x.abs();
            // e^e for e = −x (σ) or 2|x| (tanh)
            FloatVector e = (tanh ? ax.add(ax) : x.neg()).max(EXP_LO).min(EXP_HI);
            FloatVector t = e.fma(LOG2E, ROUNDER);
            FloatVector n = t.sub(ROUNDER);
            FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), e);
            r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector r2 = r.mul(r);
            FloatVector ep = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
            ep = ep.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
            ep = ep.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
            ep = ep.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
            ep = ep.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
            FloatVector er = ep.fma(r2, r).add(1f);
            IntVector twoToN = t.reinterpretAsInts().sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23);
            FloatVector exp = er.mul(twoToN.reinterpretAsFloats());
            FloatVector q = one.div(exp.add(1f));
            if (!tanh) { // σ needs q only: the tanh terms below cost as much again
                q.intoArray(dst, dstOff + i);
                continue;
            }
            FloatVector large = one.sub(q.add(q));
            large = large.blend(large.neg(), x.lt(0f));
            FloatVector z = x.mul(x);
            FloatVector poly = z.fma(-5.70498872745e-3f, 2.06390887954e-2f);
            poly = poly.fma(z, FloatVector.broadcast(F, -5.37397155531e-2f));
            poly = poly.fma(z, FloatVector.broadcast(F, 1.33314422036e-1f));
            poly = poly.fma(z, FloatVector.broadcast(F, -3.33332819422e-1f));
            FloatVector small = poly.mul(z).fma(x, x);
            large.blend(small, ax.lt(TANH_SMALL)).blend(x, ax.lt(TANH_IS_X)).intoArray(dst, dstOff + i);
        }
        for (int i = bound; i < len; i++) {
            float x = src[srcOff + i];
            dst[dstOff + i] = tanh ? Activations.tanh(x) : Activations.sigmoid(x);
        }
    }
}
