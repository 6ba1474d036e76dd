package org.lstm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.lstm4j.nn.InferenceSession;
import org.lstm4j.nn.LSTM;
import org.lstm4j.nn.LSTMState;
import org.lstm4j.tensor.Tensor;

/** README's streaming example: per-entity state, one shared model, one session per thread. */
class ReadmeStreamingExampleTest {

    record Event(String account, float[] features) {
    }

    @Test
    void scoresEventsAsTheyArrive() {
        Event[] events = new Event[50];
        for (int i = 0; i < events.length; i++) {
            events[i] = new Event("account-" + (i % 3), Tensor.randn(i, 16).data());
        }
        float[] scores = new float[events.length];
        int i = 0;

        // README:streaming:begin
        LSTM lstm = LSTM.builder(16, 64).numLayers(2).seed(7).build();   // or LSTM.load(path); shared by all threads
        lstm.eval();
        InferenceSession session = lstm.newSession(1);                 // one per thread: its reusable workspace
        Map<String, LSTMState> states = new HashMap<>();                // (h, c) of every layer, per entity
        Tensor x = Tensor.zeros(1, 16);                                 // reused input buffer (N=1, H_in)
        for (Event event : events) {
            LSTMState state = states.computeIfAbsent(event.account(), k -> lstm.zeroState(1));
            System.arraycopy(event.features(), 0, x.data(), 0, 16);
            Tensor h = session.step(x, state);                          // (1, 64); state updated in place
            scores[i++] = h.get(0, 0);                                  // feed your scoring head here
        }
        // README:streaming:end

        // The same numbers as running each account's whole sequence at once.
        for (String account : states.keySet()) {
            int count = 0;
            for (Event e : events) {
                count += e.account().equals(account) ? 1 : 0;
            }
            float[] seq = new float[count * 16];
            int k = 0;
            int lastIndex = -1;
            for (int j = 0; j < events.length; j++) {
                if (events[j].account().equals(account)) {
                    System.arraycopy(events[j].features(), 0, seq, 16 * k++, 16);
                    lastIndex = j;
                }
            }
            LSTM.Output full = lstm.forward(Tensor.of(seq, count, 1, 16));
            assertThat(states.get(account).h()).isEqualTo(full.hN());
            assertThat(scores[lastIndex]).isEqualTo(full.output().get(count - 1, 0, 0));
        }
    }
}
