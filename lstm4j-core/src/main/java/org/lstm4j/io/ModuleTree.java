package org.lstm4j.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One module of a model read from a whole-model pickle ({@code torch.save(model)}) or a
 * TorchScript archive ({@code torch.jit.save}): its class, its tensors, its plain settings and its
 * submodules, as {@code model.named_modules()} would walk them.
 *
 * <pre>{@code
 * ModuleTree root = StateDicts.read(Path.of("model.pt")).modules().get(0);
 * root.type();                        // "__main__.Net"
 * ModuleTree rnn = root.children().get(0);
 * rnn.path();                         // "rnn"
 * rnn.attributes().get("batch_first") // Boolean.TRUE (whole-model pickles only)
 * rnn.tensors();                      // ["rnn.weight_ih_l0", "rnn.weight_hh_l0", ...]
 * }</pre>
 *
 * @param path       where it sits: "" for the root, "rnn", "encoder.norms.0"; a model nested in
 *                   a checkpoint dict starts with the dict's keys ("model")
 * @param type       its class as the file names it ({@code torch.nn.modules.rnn.LSTM},
 *                   {@code __torch__.torch.nn.modules.rnn.___torch_mangle_0.LSTM})
 * @param tensors    the full state-dict names of its own tensors (parameters and persistent
 *                   buffers), in state_dict() order
 * @param attributes its public settings that are plain values ({@code hidden_size},
 *                   {@code batch_first}, ...): numbers, strings, booleans, None, lists of those
 * @param children   its submodules, in registration order
 */
public record ModuleTree(String path, String type, List<String> tensors, Map<String, Object> attributes,
                         List<ModuleTree> children) {
    public ModuleTree {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(type, "type");
        tensors = List.copyOf(tensors);
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        children = List.copyOf(children);
    }
}
