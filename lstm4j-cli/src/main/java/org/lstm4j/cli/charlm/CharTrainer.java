package org.lstm4j.cli.charlm;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.io.SafeTensors;
import org.lstm4j.io.StateDictFile;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.loss.CrossEntropyLoss;
import org.lstm4j.optim.Adam;
import org.lstm4j.optim.ClipGrad;
import org.lstm4j.optim.OptimizerState;
import org.lstm4j.tensor.Tensor;

/**
 * Trains a {@link CharModel} on a text: random windows, cross-entropy on every position, Adam,
 * gradient clipping, held-out validation. Writes into the output directory:
 * {@code model.safetensors}, {@code vocab.json}, {@code loss.png}, and for resuming
 * {@code optimizer.safetensors} + {@code train_state.json}.
 *
 * <p>Batches are drawn from a generator seeded by (seed, step), so a resumed run sees exactly
 * the batches the uninterrupted run would have seen.
 */
public final class CharTrainer {

    /** What to train and for how long; validated on construction. */
    public record Options(String text, String textName, int embed, int hidden, int layers, int seqLen, int batch,
                          double lr, int steps, double minutes, int evalEvery, int evalBatches, double clip, long seed,
                          Path outDir) {
        public Options {
            if (text == null || text.length() < 2) {
                throw new IllegalArgumentException("the training text must have at least 2 characters");
            }
            if (embed <= 0 || hidden <= 0 || layers <= 0 || seqLen <= 0 || batch <= 0) {
                throw new IllegalArgumentException("embed, hidden, layers, seq-len and batch must be positive");
            }
            if (!(lr > 0)) {
                throw new IllegalArgumentException("lr must be greater than zero, got " + lr);
            }
            if ((steps > 0) == (minutes > 0)) {
                throw new IllegalArgumentException("give exactly one of steps (> 0) or minutes (> 0), got steps="
                        + steps + " and minutes=" + minutes);
            }
            if (evalEvery <= 0 || evalBatches <= 0) {
                throw new IllegalArgumentException("eval-every and eval-batches must be positive");
            }
            if (!(clip > 0)) {
                throw new IllegalArgumentException("clip must be greater than zero, got " + clip);
            }
            int validation = text.length() - CharBatches.splitPoint(text.length(), TRAIN_FRACTION);
            if (validation < seqLen + 1) {
                throw new IllegalArgumentException("the held-out 10% of the text (" + validation + " characters) is"
                        + " shorter than seq-len + 1 = " + (seqLen + 1) + "; use a longer text or a shorter seq-len");
            }
        }
    }

    /** What a run produced. */
    public record Result(int steps, double trainLoss, double validationLoss, double charsPerSecond) {
    }

    static final double TRAIN_FRACTION = 0.9;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Options options;
    private final CharVocab vocab;
    private final CharModel model;
    private final Adam optimizer;
    private final CharBatches train;
    private final CharBatches validation;
    private final CrossEntropyLoss criterion = new CrossEntropyLoss();
    private final List<LossChart.Point> trainLosses = new ArrayList<>();
    private final List<LossChart.Point> validationLosses = new ArrayList<>();
    private int step;

    private CharTrainer(Options options, CharVocab vocab, CharModel model) {
        this.options = options;
        this.vocab = vocab;
        this.model = model;
        this.optimizer = new Adam(model.parameters(), options.lr());
        int[] tokens = vocab.encode(options.text());
        int split = CharBatches.splitPoint(tokens.length, TRAIN_FRACTION);
        this.train = new CharBatches(java.util.Arrays.copyOfRange(tokens, 0, split), options.batch(), options.seqLen());
        this.validation = heldOut(tokens, options.batch(), options.seqLen());
    }

    /** The held-out last 10% of a text's tokens, in windows of (batch, seqLen). */
    private static CharBatches heldOut(int[] tokens, int batch, int seqLen) {
        int split = CharBatches.splitPoint(tokens.length, TRAIN_FRACTION);
        return new CharBatches(java.util.Arrays.copyOfRange(tokens, split, tokens.length), batch, seqLen);
    }

    /** A new model for {@code options}. */
    public static CharTrainer start(Options options) {
        CharVocab vocab = CharVocab.of(options.text());
        CharModel model = new CharModel(new CharModel.Config(vocab.size(), options.embed(), options.hidden(),
                options.layers()), options.seed());
        return new CharTrainer(options, vocab, model);
    }

    /**
     * Continues the run saved in {@code dir}: its model, optimizer state, step, loss history and
     * options (sizes, seed, batch, seq-len, lr, clip); {@code steps}/{@code minutes} and the
     * output directory come from {@code budget}.
     */
    public static CharTrainer resume(Path dir, String text, Options budget) throws IOException {
        SavedState saved = readState(dir.resolve("train_state.json"));
        CharVocab vocab = CharVocab.read(dir.resolve("vocab.json"));
        CharModel model = CharModel.load(dir.resolve("model.safetensors"));
        Options options = new Options(text, saved.textName, model.config().embed(), model.config().hidden(),
                model.config().layers(), saved.seqLen, saved.batch, saved.lr, budget.steps(), budget.minutes(),
                budget.evalEvery(), budget.evalBatches(), saved.clip, saved.seed, budget.outDir());
        CharTrainer trainer = new CharTrainer(options, vocab, model);
        StateDictFile optimizerFile = StateDicts.read(dir.resolve("optimizer.safetensors"));
        Map<String, Double> scalars = new LinkedHashMap<>();
        optimizerFile.metadata().forEach((k, v) -> {
            if (!k.equals("format")) {
                scalars.put(k, Double.valueOf(v));
            }
        });
        trainer.optimizer.loadStateDict(new OptimizerState(optimizerFile.tensors(), scalars));
        trainer.step = saved.step;
        saved.trainLosses.forEach(p -> trainer.trainLosses.add(new LossChart.Point((int) p[0], p[1])));
        saved.validationLosses.forEach(p -> trainer.validationLosses.add(new LossChart.Point((int) p[0], p[1])));
        return trainer;
    }

    public CharModel model() {
        return model;
    }

    public CharVocab vocab() {
        return vocab;
    }

    /** Trains until the step or time budget is spent, then validates, samples and saves. */
    public Result run(PrintWriter log, boolean interactive) throws IOException {
        log.printf("training %s on %s (%,d characters, vocabulary %d): %,d parameters, batch %d x %d characters%n",
                describeModel(), options.textName(), options.text().length(), vocab.size(), parameterCount(),
                options.batch(), options.seqLen());
        long start = System.nanoTime();
        long deadline = options.minutes() > 0 ? start + (long) (options.minutes() * 60e9) : Long.MAX_VALUE;
        int lastStep = options.steps() > 0 ? options.steps() : -1;
        int firstStep = step;
        double trainLoss = Double.NaN;
        try (TrainingProgress progress = TrainingProgress.start("train", lastStep, interactive, log,
                Math.max(1, options.evalEvery() / 2))) {
            while ((lastStep < 0 || step < lastStep) && System.nanoTime() < deadline) {
                step++;
                trainLoss = trainStep(train.sample(batchRandom(step)));
                trainLosses.add(new LossChart.Point(step, trainLoss));
                double seconds = (System.nanoTime() - start) / 1e9;
                progress.update(step, trainLoss, (step - firstStep) * (double) options.batch() * options.seqLen() / seconds);
                if (step % options.evalEvery() == 0) {
                    double v = validationLoss();
                    validationLosses.add(new LossChart.Point(step, v));
                    progress.message(String.format("step %d: validation loss %.4f", step, v));
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double charsPerSecond = (step - firstStep) * (double) options.batch() * options.seqLen() / seconds;
        double v = validationLoss();
        if (validationLosses.isEmpty() || validationLosses.get(validationLosses.size() - 1).step() != step) {
            validationLosses.add(new LossChart.Point(step, v));
        }
        log.printf("step %d: train loss %.4f, validation loss %.4f (nats/char), %,.0f chars/s, %.1f s%n", step,
                trainLoss, v, charsPerSecond, seconds);
        save();
        return new Result(step, trainLoss, v, charsPerSecond);
    }

    /** One optimizer step; returns the batch's mean cross-entropy. */
    double trainStep(CharBatches.Batch batch) {
        optimizer.zeroGrad();
        Variable logits = model.forward(batch.inputs(), batch.batch(), batch.seqLen());      // (N, L, V)
        Variable loss = criterion.forward(logits.reshape(batch.batch() * batch.seqLen(), vocab.size()),
                batch.targets());
        loss.backward();
        ClipGrad.clipGradNorm(model.parameters(), options.clip());
        optimizer.step();
        return loss.item();
    }

    /** Mean cross-entropy over the first {@code evalBatches} consecutive held-out windows. */
    double validationLoss() {
        model.eval();
        try {
            return meanLoss(model, validation, options.evalBatches());
        } finally {
            model.train();
        }
    }

    /**
     * The validation loss a run with these sizes reports, for any model of {@code vocab} — e.g. one
     * with reduced-precision weights ({@link CharModel#withWeightPrecision}): the mean cross-entropy
     * (nats/char) over the first {@code batches} consecutive (batch, seqLen) windows of the
     * held-out last 10% of {@code text}. The model must be in evaluation mode.
     */
    public static double validationLoss(CharModel model, CharVocab vocab, String text, int batch, int seqLen,
                                        int batches) {
        if (model.isTraining()) {
            throw new IllegalStateException("the model must be in evaluation mode (model.eval()) for a validation loss");
        }
        return meanLoss(model, heldOut(vocab.encode(text), batch, seqLen), batches);
    }

    private static double meanLoss(CharModel model, CharBatches windows, int batches) {
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        int vocabSize = model.config().vocab();
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            CharBatches.Batch batch = windows.sequential(i);
            sum += Autograd.noGrad(() -> criterion.forward(model.forward(batch.inputs(), batch.batch(),
                    batch.seqLen()).reshape(batch.batch() * batch.seqLen(), vocabSize), batch.targets())).item();
        }
        return sum / batches;
    }

    private SplittableRandom batchRandom(int forStep) {
        return new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + forStep);
    }

    /** Writes model, vocabulary, loss chart and the state needed to resume. */
    void save() throws IOException {
        Path dir = options.outDir();
        Files.createDirectories(dir);
        model.save(dir.resolve("model.safetensors"));
        vocab.write(dir.resolve("vocab.json"));
        OptimizerState state = optimizer.stateDict();
        Map<String, String> scalars = new LinkedHashMap<>();
        state.scalars().forEach((k, v) -> scalars.put(k, Double.toString(v)));
        SafeTensors.write(dir.resolve("optimizer.safetensors"), state.tensors(), scalars);
        SavedState saved = new SavedState();
        saved.step = step;
        saved.seed = options.seed();
        saved.batch = options.batch();
        saved.seqLen = options.seqLen();
        saved.lr = options.lr();
        saved.clip = options.clip();
        saved.textName = options.textName();
        trainLosses.forEach(p -> saved.trainLosses.add(new double[] {p.step(), p.loss()}));
        validationLosses.forEach(p -> saved.validationLosses.add(new double[] {p.step(), p.loss()}));
        Files.writeString(dir.resolve("train_state.json"), GSON.toJson(saved), StandardCharsets.UTF_8);
        LossChart.write(dir.resolve("loss.png"), "lstm4j char-LM: " + describeModel(), trainLosses, validationLosses);
    }

    private String describeModel() {
        CharModel.Config c = model.config();
        return "Embedding(" + c.vocab() + ", " + c.embed() + ") -> LSTM(" + c.embed() + ", " + c.hidden()
                + ", num_layers=" + c.layers() + ") -> Linear(" + c.hidden() + ", " + c.vocab() + ")";
    }

    private long parameterCount() {
        long n = 0;
        for (Tensor t : model.stateDict().values()) {
            n += t.numel();
        }
        return n;
    }

    private static SavedState readState(Path file) throws IOException {
        SavedState saved;
        try {
            saved = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), SavedState.class);
        } catch (JsonParseException e) {
            throw new IOException(file + ": not a train_state.json file: " + e.getMessage(), e);
        }
        if (saved == null || saved.step < 0 || saved.batch <= 0 || saved.seqLen <= 0 || !(saved.lr > 0)
                || !(saved.clip > 0) || saved.trainLosses == null || saved.validationLosses == null) {
            throw new IOException(file + ": missing or invalid fields (step, batch, seqLen, lr, clip, losses)");
        }
        return saved;
    }

    /** train_state.json. */
    private static final class SavedState {
        int step;
        long seed;
        int batch;
        int seqLen;
        double lr;
        double clip;
        String textName;
        List<double[]> trainLosses = new ArrayList<>();
        List<double[]> validationLosses = new ArrayList<>();
    }
}
