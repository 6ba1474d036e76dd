package org.lstm4j.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.lstm4j.tensor.Tensor;

/**
 * What {@link StateDicts#read} found in a file: the tensors (as float32, in file order), the type
 * each was stored as, whatever else the file held, safetensors' free-form metadata, and for a
 * whole pickled model or a TorchScript archive its module tree.
 *
 * <pre>{@code
 * StateDictFile file = StateDicts.read(Path.of("checkpoint.pt"));
 * Tensor w = file.tensor("lstm.weight_ih_l0");   // (4·H, H_in)
 * Object epoch = file.otherEntries().get("epoch"); // Long 3
 * file.infos().forEach(System.out::println);
 * }</pre>
 *
 * <p>All maps are unmodifiable and iterate in the order the file lists its entries.
 *
 * @param format       the format the file was read as
 * @param tensors      name → tensor, every tensor converted to float32
 * @param dtypes       name → the stored type as PyTorch names it ({@code float16}, {@code int64}, ...);
 *                     same keys as {@code tensors}
 * @param otherEntries entries of a {@code torch.save} file that are not part of the state dict:
 *                     numbers ({@code Long}, {@code Double}, {@code BigInteger}), {@code String},
 *                     {@code Boolean}, {@code null}, {@code byte[]}, lists and sets of those, empty
 *                     {@code Map}s, {@code Tensor}s outside a stripped wrapper (an optimizer's
 *                     state; the rules are on {@link TorchZip}), and {@link PickledObject} /
 *                     {@link PickledGlobal} placeholders for other objects; keys are dotted paths
 *                     from the file's root ({@code "arch.h1"})
 * @param metadata     safetensors' {@code __metadata__}; empty for other formats
 * @param modules      the models the file pickles (a whole {@code nn.Module}, a TorchScript module),
 *                     each with its place in the file ({@code ""} for the root); empty for a
 *                     state dict
 * @param notes        what was read only in part, one line each: objects kept as placeholders
 *                     ({@code "args: argparse.Namespace(lr=0.1) is an object ..."}), numpy scalars
 *                     of types that are not read
 */
public record StateDictFile(FileFormat format, Map<String, Tensor> tensors, Map<String, String> dtypes,
                            Map<String, Object> otherEntries, Map<String, String> metadata, List<ModuleTree> modules,
                            List<String> notes) {
    public StateDictFile {
        Objects.requireNonNull(format, "format");
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        dtypes = Collections.unmodifiableMap(new LinkedHashMap<>(dtypes));
        otherEntries = Collections.unmodifiableMap(new LinkedHashMap<>(otherEntries));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        modules = List.copyOf(modules);
        notes = List.copyOf(notes);
        if (!tensors.keySet().equals(dtypes.keySet())) {
            throw new IllegalArgumentException("dtypes must name exactly the tensors: expected "
                    + tensors.keySet() + ", got " + dtypes.keySet());
        }
    }

    /** A file that holds no model objects and needs no notes: a state dict, safetensors, npz. */
    public StateDictFile(FileFormat format, Map<String, Tensor> tensors, Map<String, String> dtypes,
                         Map<String, Object> otherEntries, Map<String, String> metadata) {
        this(format, tensors, dtypes, otherEntries, metadata, List.of(), List.of());
    }

    /**
     * The tensor called {@code name}.
     *
     * @throws IllegalArgumentException if there is none; the message lists the names there are
     */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor named '" + name + "'; the file has "
                    + (tensors.isEmpty() ? "no tensors" : String.join(", ", tensors.keySet())));
        }
        return t;
    }

    /** Name, stored dtype and shape of every tensor, in file order. */
    public List<TensorInfo> infos() {
        List<TensorInfo> infos = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            infos.add(new TensorInfo(e.getKey(), dtypes.get(e.getKey()), e.getValue().shape()));
        }
        return infos;
    }
}
