package org.lstm4j.io;

/**
 * The file formats lstm4j reads, as {@link StateDicts#detect} tells them apart by content.
 *
 * <pre>{@code
 * if (StateDicts.detect(path) == FileFormat.TORCH_ZIP) { ... }
 * }</pre>
 */
public enum FileFormat {
    /**
     * {@code torch.save} zip archive (PyTorch ≥ 1.6): {@code <archive>/data.pkl} plus storages; a
     * state dict, a checkpoint dict or a whole pickled model. Read only.
     */
    TORCH_ZIP,
    /**
     * The legacy {@code torch.save} format (before PyTorch 1.6, or
     * {@code _use_new_zipfile_serialization=False}): a magic number, then pickles, then raw storages.
     * Read only.
     */
    TORCH_LEGACY,
    /** TorchScript archive ({@code torch.jit.save}): a zip with data.pkl, constants.pkl and code/. Read only. */
    TORCHSCRIPT,
    /** Hugging Face safetensors: 8-byte header length, JSON header, raw little-endian data. */
    SAFETENSORS,
    /** One numpy array ({@code np.save}). */
    NPY,
    /** A zip of {@code .npy} arrays ({@code np.savez}, {@code np.savez_compressed}). */
    NPZ,
    /** An ONNX model (protobuf): its recurrent nodes read as weights, see {@link Onnx}. */
    ONNX
}
