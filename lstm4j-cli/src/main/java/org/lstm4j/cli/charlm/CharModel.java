package org.lstm4j.cli.charlm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.lstm4j.autograd.Variable;
import org.lstm4j.io.SafeTensors;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.Embedding;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.LSTMState;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.Module;
import org.lstm4j.tensor.Precision;
import org.lstm4j.tensor.Tensor;

/**
 * The character-level language model of {@code lstm4j demo}: Embedding → LSTM (batch_first) →
 * Linear, with PyTorch's state-dict names, so {@code model.safetensors} loads into this module:
 *
 * <pre>
 * class CharLM(nn.Module):
 *     def __init__(self, vocab, embed, hidden, layers):
 *         super().__init__()
 *         self.embedding = nn.Embedding(vocab, embed)
 *         self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True)
 *         self.fc = nn.Linear(hidden, vocab)
 *     def forward(self, x, state=None):
 *         out, state = self.lstm(self.embedding(x), state)
 *         return self.fc(out), state
 * </pre>
 */
public final class CharModel extends Module {

    /** Sizes: vocabulary V, embedding E, hidden H, LSTM layers. */
    public record Config(int vocab, int embed, int hidden, int layers) {
        public Config {
            if (vocab <= 0 || embed <= 0 || hidden <= 0 || layers <= 0) {
                throw new IllegalArgumentException("vocab, embed, hidden and layers must be positive, got " + vocab
                        + ", " + embed + ", " + hidden + ", " + layers);
            }
        }
    }

    final Embedding embedding;
    final LSTM lstm;
    final Linear fc;
    private final Config config;

    /** A freshly initialised model (PyTorch's default initialisation), reproducible from {@code seed}. */
    public CharModel(Config config, long seed) {
        this(config, new Embedding(config.vocab(), config.embed(), seed), LSTM.builder(config.embed(), config.hidden())
                .numLayers(config.layers()).batchFirst(true).seed(seed + 1).build(),
                new Linear(config.hidden(), config.vocab(), true, seed + 2));
    }

    private CharModel(Config config, Embedding embedding, LSTM lstm, Linear fc) {
        this.config = config;
        this.embedding = registerModule("embedding", embedding);
        this.lstm = registerModule("lstm", lstm);
        this.fc = registerModule("fc", fc);
    }

    /**
     * An inference-only copy whose LSTM weights are stored in {@code precision}
     * ({@link LSTM#withWeightPrecision}); the embedding and the output layer are float32 copies.
     * It shares nothing that can change with this model, is in evaluation mode, and refuses
     * {@code train()}.
     */
    public CharModel withWeightPrecision(Precision precision) {
        Embedding embeddingCopy = new Embedding(config.vocab(), config.embed(), 0);
        embeddingCopy.loadStateDict(embedding.stateDict(), true);
        Linear fcCopy = new Linear(config.hidden(), config.vocab(), true, 0);
        fcCopy.loadStateDict(fc.stateDict(), true);
        CharModel copy = new CharModel(config, embeddingCopy, lstm.withWeightPrecision(precision), fcCopy);
        copy.eval();
        return copy;
    }

    public Config config() {
        return config;
    }

    /** Training: tokens (N·L) read as (N, L) → logits (N, L, V) on the autograd tape. */
    public Variable forward(int[] tokens, int batch, int length) {
        Variable x = embedding.forward(tokens, batch, length);          // (N, L, E)
        LSTM.VariableOutput out = lstm.forward(x, null, null);          // output (N, L, H)
        return fc.forward(out.output());                                // (N, L, V)
    }

    /** Logits (V) for the next character, and the LSTM state after the character that was fed. */
    public record Step(Tensor logits, LSTMState state) {
    }

    /**
     * One character through the model in stream mode (LSTM.step), carrying the LSTM state: the
     * prefix is never re-run. {@code state} null means the start of a text.
     */
    public Step step(int token, LSTMState state) {
        Tensor x = embedding.weight().data().narrow(0, token, 1);                     // (N=1, E)
        LSTM.StepOutput out = lstm.step(x, state == null ? lstm.zeroState(1) : state); // (1, H)
        return new Step(fc.forward(out.output()).reshape(config.vocab()), out.state());
    }

    public void save(Path file) throws IOException {
        SafeTensors.write(file, stateDict(), Map.of("format", "pt", "model", "CharLM"));
    }

    /** A model saved by {@link #save} or by PyTorch ({@code CharLM} above); sizes are read off the shapes. */
    public static CharModel load(Path file) throws IOException {
        StateDictFile contents = StateDicts.read(file);
        Tensor embeddingWeight = contents.tensors().get("embedding.weight");
        if (embeddingWeight == null || embeddingWeight.dim() != 2) {
            throw new IOException(file + ": not a CharLM state dict: expected embedding.weight (vocab, embed)");
        }
        LSTM lstm;
        try {
            lstm = LSTM.fromStateDict(contents.tensors(), "lstm.");
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": not a CharLM state dict: " + e.getMessage(), e);
        }
        Config config = new Config(embeddingWeight.size(0), embeddingWeight.size(1), lstm.config().hiddenSize(),
                lstm.config().numLayers());
        CharModel model = new CharModel(config, 0);
        try {
            model.loadStateDict(contents.tensors(), true);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return model;
    }
}
