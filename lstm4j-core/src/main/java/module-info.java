/**
 * lstm4j: PyTorch's recurrent layers ({@code torch.nn.LSTM}, {@code GRU}, {@code RNN} and their
 * cells), exactly, in pure Java.
 *
 * <p>The exported packages are the API: tensors, the layers and their training
 * ({@code nn}, {@code nn.loss}, {@code nn.utils}, {@code autograd}, {@code optim}) and the model
 * file formats ({@code io}). The equations ({@code org.lstm4j.math}), the matrix kernels
 * ({@code org.lstm4j.kernels}, scalar and SIMD) and {@code org.lstm4j.internal} are
 * implementation and may change in any release.
 *
 * <p>The SIMD kernels use the incubating Vector API when the JVM has it
 * ({@code --add-modules jdk.incubator.vector}); without it lstm4j runs its scalar kernels, so the
 * module is an optional ({@code static}) dependency.
 */
module org.lstm4j {
    requires static jdk.incubator.vector;

    exports org.lstm4j.tensor;
    exports org.lstm4j.nn;
    exports org.lstm4j.nn.loss;
    exports org.lstm4j.nn.utils;
    exports org.lstm4j.autograd;
    exports org.lstm4j.optim;
    exports org.lstm4j.io;
}
