package org.lstm4j.flink;

import java.io.Serializable;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Precision;

/**
 * Where a model file is and what it must be: {@code location} is any path Flink's file systems
 * read ({@code file:///models/wind.pt}, {@code s3://bucket/wind.pt}), {@code sha256} the file's
 * SHA-256 as 64 hex digits ({@code sha256sum}), checked before the model is used and (with the
 * prefix and precision) the key of the per-JVM model cache, {@code prefix} the LSTM's key prefix
 * in the file (empty: the one LSTM in it), and {@code precision} how its weights are stored for
 * inference ({@link RNNBase#withWeightPrecision}; FP32 runs the file's weights as they are).
 *
 * <p>The precision is part of the model: its {@link RNNBase#fingerprint()} differs per precision,
 * so a key's state computed under float32 weights never silently continues under bf16 or int8
 * weights (a swap between precisions is a model swap, and the {@code SwapPolicy} decides), and a
 * job restored from a checkpoint keeps the reference it had, precision included.
 *
 * <p>Flink builds records field by field, so checks live in {@link #of}. The job starts with one; sending another on the model stream swaps the model while it runs.
 */
public record ModelRef(String location, String sha256, String prefix, Precision precision) implements Serializable {
    /** Flink's type for model references. */
    public static final TypeInformation<ModelRef> TYPE = TypeInformation.of(ModelRef.class);

    /** A checked reference to float32 weights ({@link #of(String, String, String, Precision)} with FP32). */
    public static ModelRef of(String location, String sha256, String prefix) {
        return of(location, sha256, prefix, Precision.FP32);
    }

    /**
     * A checked reference.
     *
     * @throws IllegalArgumentException unless sha256 is 64 lowercase hex digits
     */
    public static ModelRef of(String location, String sha256, String prefix, Precision precision) {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(precision, "precision");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits, got \"" + sha256 + "\"");
        }
        return new ModelRef(location, sha256, prefix, precision);
    }
}
