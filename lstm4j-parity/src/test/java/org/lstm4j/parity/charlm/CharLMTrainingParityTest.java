package org.lstm4j.parity.charlm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Variable;
import org.lstm4j.cli.charlm.CharBatches;
import org.lstm4j.cli.charlm.CharModel;
import org.lstm4j.cli.charlm.CharVocab;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Parameter;
import org.lstm4j.nn.loss.CrossEntropyLoss;
import org.lstm4j.optim.Adam;
import org.lstm4j.optim.ClipGrad;
import org.lstm4j.parity.LibTorch;
import org.lstm4j.parity.training.TorchOptim;

/**
 * Training parity on the demo's real task (issue 8): the character model of
 * {@code bin/lstm4j demo} — Embedding(V, E) → 2-layer LSTM(E, H, batch_first) → Linear(H, V),
 * cross-entropy over every position — trained for 30 steps on tiny-shakespeare windows with
 * Adam (lr 2e-3, PyTorch's other defaults) and {@code clip_grad_norm_(1.0)}, once in lstm4j and
 * once in libtorch, from the same initial weights on the same batches. The two loss curves must
 * agree within 1e-3 at every step; the curve is printed side by side.
 *
 * <p>The libtorch side never sees lstm4j's gradients: it starts from a copy of lstm4j's initial
 * parameters and from then on runs alone — forward through libtorch's embedding op
 * ({@code torch::nn::functional::embedding}), {@code torch::lstm}, matmul and log_softmax, backward through libtorch's autograd
 * ({@code GradientCollector}), then {@code clip_grad_norm_} and Adam as libtorch ops by
 * PyTorch's published formulas ({@link TorchOptim}). Any drift in lstm4j's forward, backward,
 * clipping or Adam therefore shows up as diverging losses.
 *
 * <p>The model, vocabulary and batches are the demo's own classes ({@code CharModel},
 * {@code CharVocab}, {@code CharBatches} from lstm4j-cli): each batch row is a window of L + 1
 * consecutive characters at a seeded random start, inputs its first L, targets its last L. Sizes are small (E 16, H 32, N 8, L 32) so the
 * test takes seconds; dropout is off because libtorch's masks come from its own generator. At
 * these sizes the joint gradient norm stays below 1, so the clip is in the loop but does not
 * rescale; {@code OptimizerParityTest} covers a clip that does.
 */
class CharLMTrainingParityTest {

    private static final Path CORPUS = Path.of("..", "lstm4j-cli", "src", "main", "resources", "org", "lstm4j",
            "cli", "data", "tinyshakespeare.txt");
    private static final int EMBED = 16;
    private static final int HIDDEN = 32;
    private static final int LAYERS = 2;
    private static final int BATCH = 8;
    private static final int SEQ_LEN = 32;
    private static final int STEPS = 30;
    private static final double LR = 2e-3;
    private static final double MAX_GRAD_NORM = 1.0;
    private static final long DATA_SEED = 8;
    private static final double TOLERANCE = 1e-3;

    @Test
    void lossCurvesOfLstm4jAndLibtorchAgreeFor30AdamSteps() throws IOException {
        String text = Files.readString(CORPUS, StandardCharsets.UTF_8);
        CharVocab vocab = CharVocab.of(text);
        CharBatches sampler = new CharBatches(vocab.encode(text), BATCH, SEQ_LEN);
        SplittableRandom random = new SplittableRandom(DATA_SEED);
        CharBatches.Batch[] batches = new CharBatches.Batch[STEPS];
        for (int s = 0; s < STEPS; s++) {
            batches[s] = sampler.sample(random);
        }
        long started = System.nanoTime();

        CharModel model = new CharModel(new CharModel.Config(vocab.size(), EMBED, HIDDEN, LAYERS), 11);
        float[] lstm4jLoss;
        float[] libtorchLoss;
        Map<String, Float> parameterMaxDiff = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            LibTorchCharModel reference = new LibTorchCharModel(manager, model); // copies the initial weights
            lstm4jLoss = trainLstm4j(model, batches);
            libtorchLoss = reference.train(batches);
            Map<String, NDArray> trained = reference.namedParameters();
            model.namedParameters().forEach((name, p) -> parameterMaxDiff.put(name,
                    p.data().maxAbsDiff(LibTorch.toTensor(trained.get(name)))));
        }

        System.out.printf("char LM on tiny-shakespeare: V=%d E=%d H=%d layers=%d N=%d L=%d, Adam lr=%s, clip %s%n",
                vocab.size(), EMBED, HIDDEN, LAYERS, BATCH, SEQ_LEN, LR, MAX_GRAD_NORM);
        System.out.printf("%4s  %12s  %12s  %10s%n", "step", "lstm4j", "libtorch", "diff");
        double worst = 0;
        for (int s = 0; s < STEPS; s++) {
            double diff = Math.abs(lstm4jLoss[s] - libtorchLoss[s]);
            worst = Math.max(worst, diff);
            System.out.printf("%4d  %12.7f  %12.7f  %10.2e%n", s + 1, lstm4jLoss[s], libtorchLoss[s], diff);
        }
        System.out.printf("max per-step |diff| %.2e (tolerance %.0e), %d steps in %.1f s%n", worst, TOLERANCE, STEPS,
                (System.nanoTime() - started) / 1e9);
        parameterMaxDiff.forEach((name, d) -> System.out.printf("  %-20s maxdiff after %d steps %.2e%n", name, STEPS,
                d));

        for (int s = 0; s < STEPS; s++) {
            assertThat((double) lstm4jLoss[s]).as("step %d loss, libtorch %s", s + 1, libtorchLoss[s])
                    .isCloseTo(libtorchLoss[s], within(TOLERANCE));
        }
        assertThat(lstm4jLoss[STEPS - 1]).as("the model learns: last loss below first")
                .isLessThan(lstm4jLoss[0]);
    }

    /** The demo's training step in lstm4j: zero, forward, backward, clip, Adam. Returns the loss per step. */
    private static float[] trainLstm4j(CharModel model, CharBatches.Batch[] batches) {
        Adam optimizer = new Adam(model.parameters(), LR);
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        float[] losses = new float[batches.length];
        for (int s = 0; s < batches.length; s++) {
            optimizer.zeroGrad();
            Variable logits = model.forward(batches[s].inputs(), BATCH, SEQ_LEN);          // (N, L, V)
            Variable loss = criterion.forward(logits.reshape(BATCH * SEQ_LEN, -1), batches[s].targets());
            loss.backward();
            ClipGrad.clipGradNorm(model.parameters(), MAX_GRAD_NORM);
            optimizer.step();
            losses[s] = loss.item();
        }
        return losses;
    }

    /**
     * The same model and training step in libtorch, holding its own parameters (copied once from
     * {@code initial}, lstm4j's freshly initialised model) in state-dict order.
     */
    private static final class LibTorchCharModel {
        private final NDManager manager;
        private final LSTM.Config lstmConfig;
        private final List<String> names;
        private NDArray[] params;

        LibTorchCharModel(NDManager manager, CharModel initial) {
            this.manager = manager;
            CharModel.Config c = initial.config();
            this.lstmConfig = new LSTM.Config(c.embed(), c.hidden(), c.layers(), true, true, 0.0, false, 0);
            Map<String, Parameter> named = initial.namedParameters();
            this.names = List.copyOf(named.keySet());
            this.params = new NDArray[names.size()];
            for (int i = 0; i < params.length; i++) {
                params[i] = LibTorch.toNd(manager, named.get(names.get(i)).data());
            }
        }

        /** The current parameters by state-dict name. */
        Map<String, NDArray> namedParameters() {
            return byName(params);
        }

        /** {@code arrays}, one per parameter in state-dict order, keyed by parameter name. */
        private Map<String, NDArray> byName(NDArray[] arrays) {
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (int i = 0; i < arrays.length; i++) {
                out.put(names.get(i), arrays[i]);
            }
            return out;
        }

        float[] train(CharBatches.Batch[] batches) {
            TorchOptim.UpdateRule adam = TorchOptim.adam(0.9, 0.999, 1e-8, 0, false);
            float[] losses = new float[batches.length];
            for (int s = 0; s < batches.length; s++) {
                NDArray[] leaves = new NDArray[params.length];
                for (int i = 0; i < params.length; i++) {
                    leaves[i] = LibTorch.leaf(params[i].duplicate());
                }
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray loss = loss(leaves, batches[s]);
                    losses[s] = loss.getFloat();
                    collector.backward(loss);
                }
                NDArray[] grads = new NDArray[params.length];
                for (int i = 0; i < params.length; i++) {
                    grads[i] = leaves[i].getGradient().duplicate();
                }
                params = adam.step(params, TorchOptim.clipGradNorm(grads, MAX_GRAD_NORM), s + 1, LR);
            }
            return losses;
        }

        /** Mean cross-entropy over all N·L positions, from libtorch ops on {@code leaves}. */
        private NDArray loss(NDArray[] leaves, CharBatches.Batch batch) {
            Map<String, NDArray> p = byName(leaves);
            NDArray inputs = manager.create(Arrays.stream(batch.inputs()).asLongStream().toArray(),
                    new Shape(BATCH, SEQ_LEN));
            NDArray x = inputs.getNDArrayInternal().embedding(inputs, p.get("embedding.weight"), SparseFormat.DENSE)
                    .singletonOrThrow();                                                  // (N, L, E)
            NDList flatWeights = new NDList();
            for (LSTM.ParameterSpec spec : lstmConfig.parameterSpecs()) {
                flatWeights.add(p.get("lstm." + spec.name()));
            }
            NDArray zeros = manager.zeros(new Shape(LAYERS, BATCH, HIDDEN));
            NDArray h = LibTorch.lstm(x, zeros, zeros, flatWeights, lstmConfig, true).get(0);   // (N, L, H)
            NDArray logits = h.reshape(BATCH * SEQ_LEN, HIDDEN).matMul(p.get("fc.weight").transpose())
                    .add(p.get("fc.bias"));                                               // (N·L, V)
            NDArray targets = manager.create(Arrays.stream(batch.targets()).asLongStream().toArray(),
                    new Shape(BATCH * SEQ_LEN, 1));
            return logits.logSoftmax(1).gather(targets, 1).mean().neg();
        }
    }
}
