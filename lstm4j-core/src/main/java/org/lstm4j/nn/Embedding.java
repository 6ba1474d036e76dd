package org.lstm4j.nn;

import java.util.Arrays;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.internal.TensorData;
import org.lstm4j.math.EmbeddingMath;
import org.lstm4j.tensor.Tensor;

/**
 * PyTorch's {@code torch.nn.Embedding}: a table of {@code numEmbeddings} vectors of size
 * {@code embeddingDim}, looked up by index.
 *
 * <pre>{@code
 * Embedding embed = new Embedding(100, 16, 0, 42);         // nn.Embedding(100, 16, padding_idx=0)
 * Variable x = embed.forward(new int[] {5, 0, 7, 9}, 2, 2);  // (2, 2, 16); index 0 gives zeros
 * }</pre>
 *
 * Parameter {@code weight} (numEmbeddings, embeddingDim), drawn from N(0, 1); the padding row,
 * if any, starts at zero and never receives a gradient, as in PyTorch.
 */
public final class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;
    /** The padding row, or -1 for none. */
    private final int paddingIdx;
    private final Parameter weight;

    /** {@code torch.nn.Embedding(numEmbeddings, embeddingDim)} with a random seed. */
    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, new SplittableRandom().nextLong());
    }

    /** No padding row; weights from N(0, 1) seeded with {@code seed}. */
    public Embedding(int numEmbeddings, int embeddingDim, long seed) {
        this(numEmbeddings, embeddingDim, false, 0, seed);
    }

    /**
     * {@code torch.nn.Embedding(numEmbeddings, embeddingDim, padding_idx=paddingIdx)}; a negative
     * paddingIdx counts from the end, as in PyTorch. Weights from N(0, 1) seeded with
     * {@code seed}, the padding row zeroed.
     */
    public Embedding(int numEmbeddings, int embeddingDim, int paddingIdx, long seed) {
        this(numEmbeddings, embeddingDim, true, paddingIdx, seed);
    }

    private Embedding(int numEmbeddings, int embeddingDim, boolean padded, int paddingIdx, long seed) {
        if (numEmbeddings <= 0 || embeddingDim <= 0) {
            throw new IllegalArgumentException("num_embeddings and embedding_dim must be positive, got "
                    + numEmbeddings + " and " + embeddingDim);
        }
        if (padded && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings)) {
            throw new IllegalArgumentException("Padding_idx must be within num_embeddings, got padding_idx="
                    + paddingIdx + " and num_embeddings=" + numEmbeddings);
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = !padded ? -1 : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
        Tensor w = Tensor.randn(seed, numEmbeddings, embeddingDim);
        if (this.paddingIdx >= 0) {
            Arrays.fill(TensorData.array(w), this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim, 0f);
        }
        this.weight = registerParameter("weight", new Parameter(w));
    }

    public Parameter weight() {
        return weight;
    }

    public int numEmbeddings() {
        return numEmbeddings;
    }

    public int embeddingDim() {
        return embeddingDim;
    }

    /** The padding row (made non-negative), or empty for none (PyTorch's {@code padding_idx=None}). */
    public OptionalInt paddingIdx() {
        return paddingIdx < 0 ? OptionalInt.empty() : OptionalInt.of(paddingIdx);
    }

    /**
     * Looks up {@code indices}, read as a tensor of shape {@code shape} (the product must equal
     * indices.length; no shape means 1-D). Output: shape + (embeddingDim). Recorded on the
     * autograd tape unless inside {@code Autograd.noGrad()}; the indices get no gradient.
     */
    public Variable forward(int[] indices, int... shape) {
        int[] ids = indices.clone();
        int[] outShape = outputShape(ids, shape);
        float[] y = new float[ids.length * embeddingDim];
        EmbeddingMath.embeddingForward(embeddingDim, ids, TensorData.array(weight.data()), y);
        return Autograd.record("Embedding", new Variable[0], true, Tensor.of(y, outShape), (dOut, dIn) ->
                EmbeddingMath.embeddingBackward(embeddingDim, ids, paddingIdx, TensorData.array(dOut[0]),
                        TensorData.array(weight.gradBuffer())));
    }

    private int[] outputShape(int[] indices, int[] shape) {
        int[] s = shape.length == 0 ? new int[] {indices.length} : shape;
        long n = 1;
        for (int d : s) {
            n *= d;
        }
        if (n != indices.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(s) + " needs " + n + " indices, got "
                    + indices.length);
        }
        for (int index : indices) {
            if (index < 0 || index >= numEmbeddings) {
                throw new IllegalArgumentException("index out of range in self: expected an index in [0, "
                        + numEmbeddings + "), got " + index);
            }
        }
        int[] out = Arrays.copyOf(s, s.length + 1);
        out[s.length] = embeddingDim;
        return out;
    }


    /** {@link Module#train()}, typed: returns this Embedding. */
    @Override
    public Embedding train() {
        super.train();
        return this;
    }

    /** {@link Module#eval()}, typed. */
    @Override
    public Embedding eval() {
        super.eval();
        return this;
    }

    @Override
    public String toString() {
        return "Embedding(" + numEmbeddings + ", " + embeddingDim
                + (paddingIdx >= 0 ? ", padding_idx=" + paddingIdx : "") + ")";
    }
}
