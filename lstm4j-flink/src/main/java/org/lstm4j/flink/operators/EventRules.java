package org.lstm4j.flink.operators;

import java.util.Arrays;
import org.lstm4j.flink.Event;
import org.lstm4j.flink.Rejected;
import org.lstm4j.flink.model.LoadedModel;
import org.lstm4j.flink.state.KeyState;
import org.lstm4j.nn.RecurrentState;

/**
 * What one event does to its key, the same for the bundled operator and the per-event function so
 * their results agree bit for bit: an event with the wrong feature count, or whose seq is not above
 * the key's last seq, is rejected and changes nothing; an accepted one steps the key's state, which
 * starts from zeros for a new key and follows the {@link SwapPolicy} when the state came from
 * another model.
 */
final class EventRules {
    private EventRules() {
    }

    /** Why {@code event} must not be applied to {@code state} (null for a new key), or null to apply it. */
    static Rejected rejection(Event event, KeyState state, LoadedModel model) {
        if (event.features().length != model.inputSize()) {
            return new Rejected(event.key(), Long.toString(event.seq()), "expected " + model.inputSize()
                    + " features (the model's input_size), got " + event.features().length);
        }
        if (state != null && event.seq() <= state.lastSeq()) {
            return new Rejected(event.key(), Long.toString(event.seq()), "seq " + event.seq()
                    + " is not after the key's last seq " + state.lastSeq() + " (a duplicate or a replay)");
        }
        return null;
    }

    /** The state an accepted event steps: {@code state} itself, or a new one for a new key or model. */
    static KeyState prepare(KeyState state, LoadedModel model, SwapPolicy policy) {
        if (state == null) {
            return new KeyState(model.fingerprint().clone(), KeyState.NO_SEQ, model.zeroState());
        }
        if (!Arrays.equals(state.modelFingerprint(), model.fingerprint())) {
            RecurrentState fresh = model.zeroState();
            boolean keep = policy == SwapPolicy.KEEP_IF_SHAPES_MATCH && sameShapes(state.state(), fresh);
            state.switchModel(model.fingerprint().clone(), keep ? state.state() : fresh);
        }
        return state;
    }

    /** Same kind of state (h, or h and c) with the same shapes. */
    private static boolean sameShapes(RecurrentState a, RecurrentState b) {
        if (a.tensors().size() != b.tensors().size()) {
            return false;
        }
        for (int i = 0; i < a.tensors().size(); i++) {
            if (!Arrays.equals(a.tensors().get(i).shape(), b.tensors().get(i).shape())) {
                return false;
            }
        }
        return true;
    }
}
