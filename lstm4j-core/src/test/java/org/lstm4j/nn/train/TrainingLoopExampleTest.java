package org.lstm4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.lstm4j.autograd.Autograd;
import org.lstm4j.autograd.Variable;
import org.lstm4j.nn.Embedding;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.Linear;
import org.lstm4j.nn.Module;
import org.lstm4j.nn.loss.CrossEntropyLoss;
import org.lstm4j.optim.Adam;
import org.lstm4j.optim.ClipGrad;

/**
 * The README's training loop, compiled and run: Embedding → LSTM → Linear, CrossEntropyLoss,
 * Adam, clipGradNorm — line for line the loop a PyTorch user writes:
 *
 * <pre>
 * class Classifier(nn.Module):
 *     def __init__(self, vocab, embed, hidden, classes):
 *         super().__init__()
 *         self.embedding = nn.Embedding(vocab, embed, padding_idx=0)
 *         self.lstm = nn.LSTM(embed, hidden, batch_first=True)
 *         self.fc = nn.Linear(hidden, classes)
 *     def forward(self, tokens):
 *         _, (h_n, _) = self.lstm(self.embedding(tokens))
 *         return self.fc(h_n[-1])
 *
 * model = Classifier(10, 16, 32, 4)
 * criterion = nn.CrossEntropyLoss()
 * optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
 * for epoch in range(epochs):
 *     model.train()
 *     for tokens, labels in batches:
 *         optimizer.zero_grad()
 *         loss = criterion(model(tokens), labels)
 *         loss.backward()
 *         torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
 *         optimizer.step()
 *     model.eval()
 *     with torch.no_grad():
 *         logits = model(test_tokens)
 *     accuracy = (logits.argmax(1) == test_labels).float().mean()
 * </pre>
 *
 * The task: how often token 1 occurs in a 12-token sequence (0, 1, 2, or 3 and more), so the
 * LSTM has to count along the sequence.
 */
class TrainingLoopExampleTest {

    private static final int VOCAB = 10;
    private static final int CLASSES = 4;
    private static final int LENGTH = 12;
    private static final int BATCH = 32;

    // README:train-model:begin
    static final class Classifier extends Module {
        final Embedding embedding;
        final LSTM lstm;
        final Linear fc;

        Classifier(int vocab, int embed, int hidden, int classes) {
            embedding = registerModule("embedding", new Embedding(vocab, embed, 0, 1));
            lstm = registerModule("lstm", LSTM.builder(embed, hidden).batchFirst(true).seed(2).build());
            fc = registerModule("fc", new Linear(hidden, classes, true, 3));
        }

        /** tokens (N·L) read as (N, L) → logits (N, classes). */
        Variable forward(int[] tokens, int batch, int length) {
            Variable x = embedding.forward(tokens, batch, length);     // (N, L, E)
            LSTM.VariableOutput out = lstm.forward(x, null, null);     // hN: (1, N, H)
            return fc.forward(out.hN().select(0, -1));                 // h_n[-1]: (N, H) → (N, C)
        }
    }
    // README:train-model:end

    @Test
    void trainsAClassifierLikeThePyTorchLoop() {
        SplittableRandom data = new SplittableRandom(1);
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batches.add(Batch.sample(data, BATCH));
        }
        Batch test = Batch.sample(new SplittableRandom(99), 256);
        List<Float> losses = new ArrayList<>();
        double accuracy = 0;
        // README:train-loop:begin
        Classifier model = new Classifier(10, 16, 32, 4);
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        Adam optimizer = new Adam(model.parameters(), 1e-2);
        for (int epoch = 0; epoch < 4; epoch++) {
            model.train();
            for (Batch batch : batches) {
                optimizer.zeroGrad();
                Variable loss = criterion.forward(model.forward(batch.tokens(), batch.size(), LENGTH), batch.labels());
                loss.backward();
                ClipGrad.clipGradNorm(model.parameters(), 1.0);
                optimizer.step();
                losses.add(loss.item());
            }
            model.eval();
            Variable logits = Autograd.noGrad(() -> model.forward(test.tokens(), test.size(), LENGTH)); // no_grad
            accuracy = accuracy(logits, test.labels());
        }
        // README:train-loop:end
        float firstLoss = losses.get(0);
        float lastLoss = losses.get(losses.size() - 1);
        System.out.printf("training loop example: loss %.3f -> %.3f, held-out accuracy %.3f%n", firstLoss, lastLoss,
                accuracy);
        assertThat(lastLoss).isLessThan(firstLoss / 4);
        assertThat(accuracy).isGreaterThanOrEqualTo(0.95);
        assertThat(model.stateDict().keySet()).startsWith("embedding.weight", "lstm.weight_ih_l0")
                .endsWith("fc.weight", "fc.bias");
    }

    /** Fraction of rows whose largest logit is the label (argmax(1) == labels). */
    private static double accuracy(Variable logits, int[] labels) {
        int correct = 0;
        for (int n = 0; n < labels.length; n++) {
            int best = 0;
            for (int c = 1; c < CLASSES; c++) {
                if (logits.value().get(n, c) > logits.value().get(n, best)) {
                    best = c;
                }
            }
            correct += best == labels[n] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }

    /** N sequences of LENGTH tokens in 1..9, labelled min(occurrences of token 1, 3). */
    record Batch(int[] tokens, int[] labels) {
        int size() {
            return labels.length;
        }

        static Batch sample(SplittableRandom random, int n) {
            int[] tokens = new int[n * LENGTH];
            int[] labels = new int[n];
            for (int b = 0; b < n; b++) {
                int ones = 0;
                for (int t = 0; t < LENGTH; t++) {
                    int token = 1 + random.nextInt(VOCAB - 1);
                    tokens[b * LENGTH + t] = token;
                    ones += token == 1 ? 1 : 0;
                }
                labels[b] = Math.min(ones, CLASSES - 1);
            }
            return new Batch(tokens, labels);
        }
    }
}
