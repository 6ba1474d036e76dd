package org.lstm4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The element types the readers understand, named as PyTorch names them, each with its
 * conversion to float32 (what lstm4j computes in).
 *
 * <p>Conversions match PyTorch's {@code .float()} and numpy's {@code astype(float32)}: float16 and
 * bfloat16 widen exactly; float64 and integers round to nearest even (integers above 2^24 lose
 * their low bits); bool becomes 0 or 1.
 */
enum DType {
    FLOAT64("float64", 8),
    FLOAT32("float32", 4),
    FLOAT16("float16", 2),
    BFLOAT16("bfloat16", 2),
    INT64("int64", 8),
    INT32("int32", 4),
    INT16("int16", 2),
    INT8("int8", 1),
    UINT8("uint8", 1),
    BOOL("bool", 1);

    /** PyTorch's name: {@code str(torch.float32)} without the {@code torch.} prefix. */
    final String pytorchName;
    final int itemSize;

    DType(String pytorchName, int itemSize) {
        this.pytorchName = pytorchName;
        this.itemSize = itemSize;
    }

    /** Converts {@code count} elements stored from byte {@code offset} of {@code src} into {@code dst[0, count)}. */
    void toFloat(byte[] src, int offset, int count, ByteOrder order, float[] dst) {
        ByteBuffer in = ByteBuffer.wrap(src, offset, count * itemSize).slice().order(order);
        switch (this) {
            case FLOAT32 -> in.asFloatBuffer().get(dst, 0, count);
            case FLOAT64 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = (float) in.getDouble(i * 8);
                }
            }
            case FLOAT16 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = halfToFloat(in.getShort(i * 2));
                }
            }
            case BFLOAT16 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = Float.intBitsToFloat((in.getShort(i * 2) & 0xFFFF) << 16);
                }
            }
            case INT64 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = (float) in.getLong(i * 8);
                }
            }
            case INT32 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = (float) in.getInt(i * 4);
                }
            }
            case INT16 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = in.getShort(i * 2);
                }
            }
            case INT8 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = in.get(i);
                }
            }
            case UINT8 -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = in.get(i) & 0xFF;
                }
            }
            case BOOL -> {
                for (int i = 0; i < count; i++) {
                    dst[i] = in.get(i) != 0 ? 1f : 0f;
                }
            }
            default -> throw new AssertionError(this);
        }
    }

    /** IEEE 754 binary16 to binary32, exact; NaN payloads are kept (as numpy and c10 do). */
    static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | mantissa << 13);
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa · 2^-24, exact in float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
    }
}
