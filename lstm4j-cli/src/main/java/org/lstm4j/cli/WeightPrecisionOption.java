package org.lstm4j.cli;

import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Precision;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --weight-precision fp32|bf16|int8}, shared by {@code run} and {@code generate} (a picocli
 * mixin): how the recurrent weights are stored for inference ({@link Precision}). fp32 (the
 * default) runs the model as loaded; bf16 and int8 run an inference-only copy
 * ({@link RNNBase#withWeightPrecision}). A bad value is a usage error naming the allowed ones:
 *
 * <pre>
 *   lstm4j run: invalid value for option '--weight-precision': expected a weight precision fp32, bf16 or int8, got 'fp16'
 * </pre>
 */
final class WeightPrecisionOption {

    @Option(names = "--weight-precision", paramLabel = "fp32|bf16|int8", defaultValue = "fp32",
            converter = Converter.class,
            description = "how the recurrent weights are stored for inference: fp32 (default, PyTorch's numbers),"
                    + " bf16 (2 bytes a weight) or int8 (1 byte and a scale per row, as PyTorch's dynamic"
                    + " quantization); activations and sums stay float32")
    Precision precision;

    /** {@code module} with its weights in the chosen precision; itself for fp32. */
    <M extends RNNBase> M apply(M module) {
        if (precision == Precision.FP32) {
            return module;
        }
        @SuppressWarnings("unchecked") // withWeightPrecision returns the module's own kind (LSTM, GRU, RNN)
        M reduced = (M) module.withWeightPrecision(precision);
        return reduced;
    }

    /** picocli's conversion through {@link Precision#parse}, whose message lists the allowed values. */
    static final class Converter implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            try {
                return Precision.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
