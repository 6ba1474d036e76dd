package org.lstm4j.tensor;

import java.util.Locale;

/**
 * How a recurrent module stores its weight matrices (W_ih, W_hh, W_hr) for inference; activations,
 * biases, the cell math and every sum stay float32. A batch-1 or streaming step reads every weight
 * once, so its speed is the speed of reading weights: fewer bytes per weight, faster steps.
 *
 * <ul>
 *   <li>{@link #FP32}: the weights as they are, PyTorch's results to float rounding (the default).</li>
 *   <li>{@link #BF16}: each weight rounded to bfloat16, to nearest even as PyTorch's
 *       {@code tensor.bfloat16()} ({@link #bf16Bits}); 2 bytes per weight.</li>
 *   <li>{@link #INT8}: each row of W (one output unit) as int8 values q times one float32 scale s,
 *       exactly as {@code torch.ao.quantization.quantize_dynamic} with
 *       {@code per_channel_dynamic_qconfig} quantizes them ({@link #int8Scale}, {@link #int8Value}); 1
 *       byte per weight plus 4 per row. Unlike PyTorch's dynamic quantization, the activations are
 *       not quantized: a product is s · Σ x_p·q_p summed in float32.</li>
 * </ul>
 *
 * <pre>{@code
 * LSTM fast = lstm.withWeightPrecision(Precision.BF16);   // inference-only copy, half the weight bytes
 * }</pre>
 */
public enum Precision {
    FP32(4),
    BF16(2),
    INT8(1);

    /** float32's machine epsilon: the smallest int8 scale, as PyTorch's observers clamp it. */
    private static final float SCALE_EPS = Math.ulp(1f);
    /** (127 − (−128)) / 2: PyTorch's symmetric qint8 range is [−128, 127] around 0. */
    private static final float INT8_HALF_RANGE = 127.5f;

    private final int bytesPerWeight;

    Precision(int bytesPerWeight) {
        this.bytesPerWeight = bytesPerWeight;
    }

    /** Bytes one weight takes (an int8 row's scale comes on top: 4 bytes per row). */
    public int bytesPerWeight() {
        return bytesPerWeight;
    }

    /** The lower-case name the command line uses: fp32, bf16, int8. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The precision named {@code name} (fp32, bf16 or int8; any case).
     *
     * @throws IllegalArgumentException for any other name, listing the valid ones
     */
    public static Precision parse(String name) {
        for (Precision p : values()) {
            if (p.cliName().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("expected a weight precision fp32, bf16 or int8, got '" + name + "'");
    }

    /**
     * The bfloat16 nearest to {@code value} (ties to even), as its 16 bits: PyTorch's
     * {@code c10::BFloat16} rounding. NaN becomes the quiet NaN 0x7FC0, infinities stay infinite,
     * values past bfloat16's largest finite one round to infinity.
     */
    public static short bf16Bits(float value) {
        if (Float.isNaN(value)) {
            return 0x7FC0;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The float32 value of bfloat16 bits: the high half of a float, exactly. */
    public static float bf16Value(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /**
     * The int8 scale of a row whose largest |weight| is {@code maxAbs}: max(maxAbs / 127.5, ε), as
     * PyTorch's {@code PerChannelMinMaxObserver} (per_channel_symmetric, qint8) computes it in float32.
     */
    public static float int8Scale(float maxAbs) {
        return Math.max(maxAbs / INT8_HALF_RANGE, SCALE_EPS);
    }

    /**
     * The int8 value of {@code weight} in a row of scale {@code scale}: round(weight · (1 / scale)),
     * ties to even, clamped to [−128, 127] — PyTorch's {@code quantize_val} (it multiplies by the
     * float32 reciprocal, which is not always the quotient's rounding).
     */
    public static byte int8Value(float weight, float scale) {
        float scaled = weight * (1f / scale);
        return (byte) Math.max(-128, Math.min(127, (int) Math.rint(scaled)));
    }
}
