/**
 * File formats: reading PyTorch's files ({@code torch.save} state dicts, checkpoints and whole
 * models in the zip and the legacy format, {@code torch.jit.save} TorchScript archives),
 * safetensors and numpy's {@code .npy}/{@code .npz}, and writing safetensors, {@code .npy} and
 * {@code .npz}. Only the JDK is used.
 *
 * <pre>{@code
 * StateDictFile sd = StateDicts.read(Path.of("model.pt"));     // format detected from content
 * for (TensorInfo info : sd.infos()) System.out.println(info); // name, stored dtype, shape
 * SafeTensors.write(Path.of("model.safetensors"), sd.tensors(), Map.of("format", "pt"));
 * }</pre>
 *
 * <h2>What comes out</h2>
 * Every tensor is float32 ({@link org.lstm4j.tensor.Tensor}); the stored type is kept as a name
 * ({@code float16}, {@code int64}, ...). Keys keep the file's order. Nested torch.save checkpoints
 * are flattened to dotted keys ({@code {"lstm": {...}}} gives {@code lstm.weight_ih_l0}), and one
 * wrapper such as {@code model_state_dict} is stripped when that is unambiguous; a whole model or a
 * TorchScript module gives its tensors the names {@code state_dict()} gives them, and its module
 * tree ({@link org.lstm4j.io.ModuleTree}); see {@link org.lstm4j.io.TorchZip}.
 *
 * <h2>Untrusted files</h2>
 * No reader runs code from a file: pickles go through a restricted unpickler that imports and calls
 * nothing (the few callables PyTorch's files need are re-implemented; other classes become inert
 * {@link org.lstm4j.io.PickledObject}s) and refuses, by name, every global that could run code
 * ({@code os.system}, {@code builtins.eval}, ...), also next to real tensors and inside TorchScript
 * archives, whose {@code code/} is never read. npy headers are parsed, never evaluated.
 * Each declared size (header lengths, byte ranges, zip entry sizes, shapes × item size, pickle
 * string lengths, memo indexes) is checked against the real file before memory is allocated, every
 * loop is bounded by the input, and a bad file is reported as an {@link java.io.IOException} that
 * names the file and, where useful, the offset.
 */
package org.lstm4j.io;
