package org.lstm4j.flink;

import java.io.Serializable;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * Where a model file is and what it must be: {@code location} is any path Flink's file systems
 * read ({@code file:///models/wind.pt}, {@code s3://bucket/wind.pt}), {@code sha256} the file's
 * SHA-256 as 64 hex digits ({@code sha256sum}), checked before the model is used and the key of
 * the per-JVM model cache, and {@code prefix} the LSTM's key prefix in the file (empty: the one
 * LSTM in it).
 *
 * <p>Flink builds records field by field, so checks live in {@link #of}. The job starts with one; sending another on the model stream swaps the model while it runs.
 */
public record ModelRef(String location, String sha256, String prefix) implements Serializable {
    /** Flink's type for model references. */
    public static final TypeInformation<ModelRef> TYPE = TypeInformation.of(ModelRef.class);

    /**
     * A checked reference.
     *
     * @throws IllegalArgumentException unless sha256 is 64 lowercase hex digits
     */
    public static ModelRef of(String location, String sha256, String prefix) {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(prefix, "prefix");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits, got \"" + sha256 + "\"");
        }
        return new ModelRef(location, sha256, prefix);
    }
}
