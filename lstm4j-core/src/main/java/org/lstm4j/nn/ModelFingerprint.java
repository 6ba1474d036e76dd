package org.lstm4j.nn;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import org.lstm4j.tensor.Tensor;

/**
 * SHA-256 over a recurrent module's kind, configuration and parameters: two models with the same
 * fingerprint compute the same numbers. The bytes hashed, all big-endian:
 * <pre>
 *   kind           int32 length, then UTF-8 ("LSTM")
 *   configuration  int32 count, then that many int32 (the kind's own list, see RNNBase.fingerprint())
 *   per parameter, in state-dict order:
 *     name         int32 length, then UTF-8 ("weight_ih_l0")
 *     shape        int32 rank, then rank × int32
 *     values       numel × int32: the raw IEEE-754 bits of each float
 * </pre>
 */
final class ModelFingerprint {
    private ModelFingerprint() {
    }

    static byte[] of(String kind, int[] configuration, Map<String, Tensor> parameters) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.BIG_ENDIAN);
        putString(sha, buffer, kind);
        putInt(sha, buffer, configuration.length);
        for (int value : configuration) {
            putInt(sha, buffer, value);
        }
        for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
            putString(sha, buffer, e.getKey());
            Tensor t = e.getValue();
            putInt(sha, buffer, t.dim());
            for (int d : t.shape()) {
                putInt(sha, buffer, d);
            }
            for (float v : t.data()) {
                putInt(sha, buffer, Float.floatToRawIntBits(v));
            }
        }
        flush(sha, buffer);
        return sha.digest();
    }

    private static void putString(MessageDigest sha, ByteBuffer buffer, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        putInt(sha, buffer, utf8.length);
        flush(sha, buffer);
        sha.update(utf8);
    }

    private static void putInt(MessageDigest sha, ByteBuffer buffer, int value) {
        if (buffer.remaining() < 4) {
            flush(sha, buffer);
        }
        buffer.putInt(value);
    }

    private static void flush(MessageDigest sha, ByteBuffer buffer) {
        buffer.flip();
        sha.update(buffer);
        buffer.clear();
    }
}
