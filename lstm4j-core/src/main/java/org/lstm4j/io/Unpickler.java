package org.lstm4j.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.lstm4j.tensor.Tensor;

/**
 * A restricted unpickler for the {@code data.pkl} of a torch.save archive. It executes nothing:
 * the handful of Python callables a state dict needs (OrderedDict, the tensor rebuild functions,
 * storage and dtype names) are recognised by name and re-implemented here; every other global is
 * refused before anything further is read.
 *
 * <p>Opcodes: those pickle protocols 2 to 5 use for dicts, lists, tuples, ints, floats, strings,
 * bytes, booleans, None, the memo, GLOBAL/STACK_GLOBAL, REDUCE, BUILD, NEWOBJ (OrderedDict only)
 * and BINPERSID. Others are refused by name with their offset.
 *
 * <p>Result values: {@code LinkedHashMap} (dict, OrderedDict), {@code ArrayList} (list),
 * unmodifiable {@code List} (tuple), {@code Long} or {@code BigInteger}, {@code Double},
 * {@code String}, {@code Boolean}, {@code null}, {@code byte[]}, {@code Tensor}. The result is
 * checked to be at most {@value #MAX_DEPTH} levels deep (so it has no cycles) before it is returned.
 */
final class Unpickler {
    /** Limits that keep a hostile pickle from exhausting memory or the Java stack. */
    static final int MAX_STACK = 1 << 20;
    static final int MAX_MARKS = 1 << 12;
    static final int MAX_DEPTH = 100;
    private static final int MAX_GLOBAL_NAME = 256;

    /** Supplies the elements of the storage BINPERSID names, as float32. */
    interface StorageLoader {
        /** {@code numel} elements of {@code dtype} stored under {@code key}. */
        float[] load(String key, DType dtype, long numel) throws IOException;
    }

    /** The Python callables a state dict may call, by the name the pickle gives them. */
    private enum Callable {
        ORDERED_DICT("collections.OrderedDict"),
        REBUILD_TENSOR("torch._utils._rebuild_tensor"),
        REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"),
        REBUILD_PARAMETER("torch._utils._rebuild_parameter"),
        REBUILD_PARAMETER_WITH_STATE("torch._utils._rebuild_parameter_with_state"),
        CODECS_ENCODE("_codecs.encode"),
        TORCH_SIZE("torch.Size");

        final String pythonName;

        Callable(String pythonName) {
            this.pythonName = pythonName;
        }
    }

    /** {@code torch.FloatStorage} & co.: only meaningful inside a persistent id. */
    private record StorageType(DType dtype) {
    }

    private record Storage(String key, DType dtype, long numel, float[] values) {
    }

    private static final Map<String, Callable> CALLABLES = new HashMap<>();
    private static final Map<String, DType> STORAGE_TYPES = Map.of(
            "FloatStorage", DType.FLOAT32, "DoubleStorage", DType.FLOAT64, "HalfStorage", DType.FLOAT16,
            "BFloat16Storage", DType.BFLOAT16, "LongStorage", DType.INT64, "IntStorage", DType.INT32,
            "ShortStorage", DType.INT16, "CharStorage", DType.INT8, "ByteStorage", DType.UINT8,
            "BoolStorage", DType.BOOL);
    /** torch dtype objects pickle as GLOBAL torch.float32 etc.; they load as the string "torch.float32". */
    private static final List<String> DTYPE_NAMES = List.of("float32", "float", "float64", "double", "float16",
            "half", "bfloat16", "int64", "long", "int32", "int", "int16", "short", "int8", "uint8", "bool");

    static {
        for (Callable c : Callable.values()) {
            CALLABLES.put(c.pythonName, c);
        }
    }

    private final byte[] data;
    private final String file;
    private final String entry;
    private final StorageLoader loader;
    /** Tensor elements still allowed to be materialized; see the constructor. */
    private long elementBudget;
    private final List<Object> stack = new ArrayList<>();
    private final int[] marks = new int[MAX_MARKS];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();
    private final Map<Tensor, DType> tensorDTypes = new IdentityHashMap<>();
    private int pos;

    /**
     * @param data   the pickle bytes
     * @param file   the file they came from, for messages
     * @param entry  the zip entry they came from ({@code archive/data.pkl}), for messages
     * @param loader resolves storages
     * @param elementBudget how many tensor elements all rebuilt tensors may hold together. Views
     *                      with stride 0 or overlapping strides can describe huge tensors over a
     *                      tiny storage; since each tensor is copied out, this keeps a small file
     *                      from asking for gigabytes (TorchZip allows 16 per byte of file, plus 2^20)
     */
    Unpickler(byte[] data, String file, String entry, StorageLoader loader, long elementBudget) {
        this.data = data;
        this.file = file;
        this.entry = entry;
        this.loader = loader;
        this.elementBudget = elementBudget;
    }

    /** The stored dtype of every tensor the last {@link #load} built (identity keys). */
    Map<Tensor, DType> tensorDTypes() {
        return tensorDTypes;
    }

    Object load() throws IOException {
        while (true) {
            if (pos >= data.length) {
                throw error(pos, "pickle ends without STOP (truncated?)");
            }
            int at = pos;
            int op = data[pos++] & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8(at);
                    if (protocol < 2 || protocol > 5) {
                        throw error(at, "pickle protocol " + protocol + " is not supported (2 to 5 are)");
                    }
                }
                case 0x95 -> { // FRAME: a length prefix for the next opcodes; nothing to do but check it
                    long length = i64(at);
                    if (length < 0 || length > data.length - pos) {
                        throw error(at, "FRAME of " + Long.toUnsignedString(length) + " bytes runs past the end");
                    }
                }
                case '.' -> { // STOP
                    Object result = pop(at);
                    checkStructure(result, 0, new long[] {maxVisits()}, at);
                    return result;
                }
                case '(' -> { // MARK
                    if (markCount == MAX_MARKS) {
                        throw error(at, "more than " + MAX_MARKS + " nested MARKs");
                    }
                    marks[markCount++] = stack.size();
                }
                case '}' -> push(new LinkedHashMap<>(), at); // EMPTY_DICT
                case ']' -> push(new ArrayList<>(), at); // EMPTY_LIST
                case ')' -> push(tuple(new Object[0]), at); // EMPTY_TUPLE
                case 't' -> push(tuple(popMark(at).toArray()), at); // TUPLE
                case 0x85 -> push(tuple(new Object[] {pop(at)}), at); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop(at);
                    Object a = pop(at);
                    push(tuple(new Object[] {a, b}), at);
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop(at);
                    Object b = pop(at);
                    Object a = pop(at);
                    push(tuple(new Object[] {a, b, c}), at);
                }
                case 's' -> { // SETITEM
                    Object value = pop(at);
                    Object key = pop(at);
                    dictOnTop(at, "SETITEM").put(checkedKey(key, at), value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark(at);
                    if (items.size() % 2 != 0) {
                        throw error(at, "SETITEMS with an odd number of items");
                    }
                    Map<Object, Object> dict = dictOnTop(at, "SETITEMS");
                    for (int i = 0; i < items.size(); i += 2) {
                        dict.put(checkedKey(items.get(i), at), items.get(i + 1));
                    }
                }
                case 'a' -> { // APPEND
                    Object value = pop(at);
                    listOnTop(at, "APPEND").add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark(at);
                    listOnTop(at, "APPENDS").addAll(items);
                }
                case '0' -> pop(at); // POP
                case '1' -> popMark(at); // POP_MARK
                case '2' -> push(peek(at), at); // DUP
                case 'N' -> push(null, at); // NONE
                case 0x88 -> push(Boolean.TRUE, at); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE, at); // NEWFALSE
                case 'J' -> { // BININT
                    need(at, 4);
                    push((long) LittleEndian.i32(data, pos), at);
                    pos += 4;
                }
                case 'K' -> push((long) u8(at), at); // BININT1
                case 'M' -> { // BININT2
                    need(at, 2);
                    push((long) LittleEndian.u16(data, pos), at);
                    pos += 2;
                }
                case 0x8A -> push(long1(at), at); // LONG1
                case 'G' -> { // BINFLOAT: big-endian IEEE double
                    need(at, 8);
                    push(ByteBuffer.wrap(data, pos, 8).getDouble(), at);
                    pos += 8;
                }
                case 'X' -> push(utf8(at, u32(at)), at); // BINUNICODE
                case 0x8C -> push(utf8(at, u8(at)), at); // SHORT_BINUNICODE
                case 0x8D -> push(utf8(at, i64(at)), at); // BINUNICODE8
                case 'B' -> push(bytes(at, u32(at)), at); // BINBYTES
                case 'C' -> push(bytes(at, u8(at)), at); // SHORT_BINBYTES
                case 'q' -> memo.put((long) u8(at), peek(at)); // BINPUT
                case 'r' -> memo.put(u32(at), peek(at)); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek(at)); // MEMOIZE
                case 'h' -> push(memoGet(u8(at), at), at); // BINGET
                case 'j' -> push(memoGet(u32(at), at), at); // LONG_BINGET
                case 'c' -> { // GLOBAL: "module\nname\n"
                    String module = line(at);
                    String name = line(at);
                    push(global(module, name, at), at);
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error(at, "STACK_GLOBAL needs two strings, got " + typeName(module) + " and "
                                + typeName(name));
                    }
                    push(global(m, n, at), at);
                }
                case 'R' -> { // REDUCE: callable(*args)
                    Object args = pop(at);
                    Object callable = pop(at);
                    push(call(callable, args, at), at);
                }
                case 0x81 -> { // NEWOBJ: cls.__new__(cls, *args); only OrderedDict()
                    Object args = pop(at);
                    Object cls = pop(at);
                    if (cls != Callable.ORDERED_DICT || !(args instanceof List<?> a) || !a.isEmpty()) {
                        throw error(at, "NEWOBJ is only supported for collections.OrderedDict(), got "
                                + typeName(cls));
                    }
                    push(new LinkedHashMap<>(), at);
                }
                case 'b' -> { // BUILD: obj.__setstate__(state)
                    pop(at);
                    Object target = peek(at);
                    // OrderedDict state is its attributes (state_dict's _metadata): not items, not needed.
                    if (!(target instanceof Map) && !(target instanceof Tensor)) {
                        throw error(at, "BUILD on " + typeName(target) + " is not supported");
                    }
                }
                case 'Q' -> push(persistentLoad(pop(at), at), at); // BINPERSID
                default -> throw error(at, "pickle opcode " + opcodeName(op) + " is not supported");
            }
        }
    }

    private Object global(String module, String name, int at) throws IOException {
        String full = module + "." + name;
        Callable callable = CALLABLES.get(full);
        if (callable != null) {
            return callable;
        }
        if (module.equals("torch")) {
            DType storage = STORAGE_TYPES.get(name);
            if (storage != null) {
                return new StorageType(storage);
            }
            if (DTYPE_NAMES.contains(name)) {
                return full;
            }
        }
        String hint = module.equals("__main__") || module.startsWith("torch.nn.modules")
                || module.startsWith("__torch__")
                ? "; the file pickles a whole model object: save model.state_dict() with torch.save instead"
                : "";
        throw new IOException("refusing to load global '" + printable(full) + "' from " + file
                + ": only PyTorch state-dict types are allowed" + hint + " (offset " + at + " of " + entry + ")");
    }

    private Object call(Object callable, Object args, int at) throws IOException {
        if (!(callable instanceof Callable c)) {
            throw error(at, "REDUCE on " + typeName(callable) + ", which is not an allowed callable");
        }
        if (!(args instanceof List<?> a) || args instanceof ArrayList) {
            throw error(at, c.pythonName + " needs a tuple of arguments, got " + typeName(args));
        }
        switch (c) {
            case ORDERED_DICT -> {
                arity(c, a, at, 0, 0);
                return new LinkedHashMap<>();
            }
            case REBUILD_TENSOR -> {
                arity(c, a, at, 4, 4);
                return rebuildTensor(a, at);
            }
            case REBUILD_TENSOR_V2 -> {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                arity(c, a, at, 6, 7);
                return rebuildTensor(a, at);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                // (data, requires_grad, backward_hooks[, state]): the parameter is its data.
                arity(c, a, at, c == Callable.REBUILD_PARAMETER ? 3 : 4, c == Callable.REBUILD_PARAMETER ? 3 : 4);
                if (!(a.get(0) instanceof Tensor t)) {
                    throw error(at, c.pythonName + " needs a tensor, got " + typeName(a.get(0)));
                }
                return t;
            }
            case CODECS_ENCODE -> {
                // Protocol 2 pickles bytes as _codecs.encode(str, 'latin1').
                arity(c, a, at, 2, 2);
                if (!(a.get(0) instanceof String s) || !("latin1".equals(a.get(1)) || "latin-1".equals(a.get(1)))) {
                    throw error(at, "_codecs.encode is only supported as encode(str, 'latin1')");
                }
                byte[] out = new byte[s.length()];
                for (int i = 0; i < out.length; i++) {
                    if (s.charAt(i) > 0xFF) {
                        throw error(at, "_codecs.encode: character U+" + Integer.toHexString(s.charAt(i))
                                + " is not latin-1");
                    }
                    out[i] = (byte) s.charAt(i);
                }
                return out;
            }
            case TORCH_SIZE -> {
                arity(c, a, at, 1, 1);
                if (!(a.get(0) instanceof List<?> dims)) {
                    throw error(at, "torch.Size needs a tuple, got " + typeName(a.get(0)));
                }
                for (Object d : dims) {
                    if (!(d instanceof Long)) {
                        throw error(at, "torch.Size needs integers, got " + typeName(d));
                    }
                }
                return tuple(dims.toArray());
            }
            default -> throw new AssertionError(c);
        }
    }

    private void arity(Callable c, List<?> args, int at, int min, int max) throws IOException {
        if (args.size() < min || args.size() > max) {
            throw error(at, c.pythonName + " takes " + (min == max ? min : min + " or " + max)
                    + " arguments, got " + args.size());
        }
    }

    /** persistent_load(('storage', storage_type, key, location, numel)). */
    private Storage persistentLoad(Object pid, int at) throws IOException {
        if (!(pid instanceof List<?> p) || p.size() != 5 || !"storage".equals(p.get(0))) {
            throw error(at, "persistent id must be ('storage', type, key, location, numel)");
        }
        if (!(p.get(1) instanceof StorageType type)) {
            throw error(at, "persistent id: storage type must be a torch storage class, got " + typeName(p.get(1)));
        }
        if (!(p.get(2) instanceof String key) || !(p.get(4) instanceof Long numel) || numel < 0) {
            throw error(at, "persistent id: expected a string key and a non-negative element count");
        }
        Storage known = storages.get(key);
        if (known != null) {
            if (known.dtype != type.dtype || known.numel != numel) {
                throw error(at, "storage '" + printable(key) + "' is referenced as " + known.numel + " × "
                        + known.dtype.pytorchName + " and as " + numel + " × " + type.dtype.pytorchName);
            }
            return known;
        }
        Storage storage = new Storage(key, type.dtype, numel, loader.load(key, type.dtype, numel));
        storages.put(key, storage);
        return storage;
    }

    /** _rebuild_tensor(_v2)(storage, storage_offset, size, stride, ...): a strided view, copied out. */
    private Tensor rebuildTensor(List<?> args, int at) throws IOException {
        if (!(args.get(0) instanceof Storage storage)) {
            throw error(at, "tensor rebuild needs a storage, got " + typeName(args.get(0)));
        }
        if (!(args.get(1) instanceof Long storageOffset) || storageOffset < 0) {
            throw error(at, "tensor rebuild needs a non-negative storage offset");
        }
        long[] size = longs(args.get(2), "size", at);
        long[] stride = longs(args.get(3), "stride", at);
        if (size.length != stride.length) {
            throw error(at, "tensor size has " + size.length + " dims but stride has " + stride.length);
        }
        int[] shape = new int[size.length];
        long numel = 1;
        for (int d = 0; d < size.length; d++) {
            if (size[d] > Integer.MAX_VALUE) {
                throw error(at, "tensor size " + size[d] + " is too large");
            }
            shape[d] = (int) size[d];
            numel *= size[d];
            if (numel > Integer.MAX_VALUE - 8) {
                throw error(at, "tensor of size " + Arrays.toString(size) + " has more elements than a Java array can hold");
            }
        }
        if (numel > elementBudget) {
            throw error(at, "tensor of size " + Arrays.toString(size) + " would take the tensors in this file past "
                    + "their limit of elements (views repeating a small storage?)");
        }
        elementBudget -= numel;
        if (numel > 0) {
            // The farthest element, offset + Σ (size_d - 1)·stride_d, must lie inside the storage.
            // Checked term by term: each term is below 2^62 and the sum so far below 2^31, so no overflow.
            long last = storageOffset;
            for (int d = 0; d <= size.length; d++) {
                if (last >= storage.numel) {
                    throw error(at, "tensor (offset " + storageOffset + ", size " + Arrays.toString(size)
                            + ", stride " + Arrays.toString(stride) + ") reaches past storage '"
                            + printable(storage.key) + "', which has " + storage.numel + " elements");
                }
                if (d < size.length && size[d] > 1) {
                    last += (size[d] - 1) * Math.min(stride[d], storage.numel);
                }
            }
        }
        Tensor t = Tensor.of(gather(storage.values, storageOffset, shape, stride, (int) numel), shape);
        tensorDTypes.put(t, storage.dtype);
        return t;
    }

    /** Copies the strided view (offset, shape, stride) of {@code src} into a new row-major array. */
    static float[] gather(float[] src, long offset, int[] shape, long[] stride, int numel) {
        float[] out = new float[numel];
        if (numel == 0) {
            return out;
        }
        boolean contiguous = true;
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                contiguous = false;
            }
            expected *= shape[d];
        }
        if (contiguous) {
            System.arraycopy(src, (int) offset, out, 0, numel);
            return out;
        }
        int[] index = new int[shape.length];
        long position = offset;
        for (int i = 0; i < numel; i++) {
            out[i] = src[(int) position];
            // Odometer over the shape, moving position by the strides.
            for (int d = shape.length - 1; d >= 0; d--) {
                position += stride[d];
                if (++index[d] < shape[d]) {
                    break;
                }
                position -= stride[d] * shape[d];
                index[d] = 0;
            }
        }
        return out;
    }

    private long[] longs(Object value, String what, int at) throws IOException {
        if (!(value instanceof List<?> list)) {
            throw error(at, "tensor " + what + " must be a tuple of integers, got " + typeName(value));
        }
        if (list.size() > 64) {
            throw error(at, "tensor " + what + " has " + list.size() + " dims, more than 64");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long n) || n < 0) {
                throw error(at, "tensor " + what + " must hold non-negative integers, got " + typeName(list.get(i)));
            }
            out[i] = n;
        }
        return out;
    }

    /**
     * How many values a walk over the result may visit. Each value costs at least one opcode, so a
     * tree fits easily; only a container shared through the memo is visited more than once, and
     * this bound keeps a few bytes of shared-container pickle from unfolding into millions of keys.
     */
    private long maxVisits() {
        return 2L * data.length + 1024;
    }

    /**
     * Depth-first over the result: at most {@link #MAX_DEPTH} levels (so no cycles), at most
     * {@link #maxVisits} visits, and only data: a bare global or storage left in it is an error.
     * {@code budget[0]} counts the visits left.
     */
    private void checkStructure(Object value, int depth, long[] budget, int at) throws IOException {
        if (depth > MAX_DEPTH) {
            throw error(at, "result is nested more than " + MAX_DEPTH + " levels deep (or contains itself)");
        }
        if (--budget[0] < 0) {
            throw error(at, "result has more than " + maxVisits()
                    + " values counting shared ones each time they appear");
        }
        if (value instanceof Map<?, ?> map) {
            for (Object v : map.values()) {
                checkStructure(v, depth + 1, budget, at);
            }
        } else if (value instanceof List<?> list) {
            for (Object v : list) {
                checkStructure(v, depth + 1, budget, at);
            }
        } else if (!(value == null || value instanceof String || value instanceof Long || value instanceof BigInteger
                || value instanceof Double || value instanceof Boolean || value instanceof byte[]
                || value instanceof Tensor)) {
            throw error(at, "result contains " + typeName(value) + ", which is not data");
        }
    }

    /** Dict keys must be immutable scalars: anything else could be cyclic or hash unpredictably. */
    private Object checkedKey(Object key, int at) throws IOException {
        if (key == null || key instanceof String || key instanceof Long || key instanceof BigInteger
                || key instanceof Double || key instanceof Boolean) {
            return key;
        }
        throw error(at, "dict key of type " + typeName(key) + " is not supported");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop(int at, String op) throws IOException {
        Object top = peek(at);
        if (!(top instanceof LinkedHashMap)) {
            throw error(at, op + " on " + typeName(top) + ", expected a dict");
        }
        return (Map<Object, Object>) top;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop(int at, String op) throws IOException {
        Object top = peek(at);
        if (!(top instanceof ArrayList)) {
            throw error(at, op + " on " + typeName(top) + ", expected a list");
        }
        return (List<Object>) top;
    }

    private static List<Object> tuple(Object[] items) {
        return Collections.unmodifiableList(Arrays.asList(items));
    }

    private void push(Object value, int at) throws IOException {
        if (stack.size() >= MAX_STACK) {
            throw error(at, "pickle stack exceeds " + MAX_STACK + " items");
        }
        stack.add(value);
    }

    private Object pop(int at) throws IOException {
        int floor = markCount > 0 ? marks[markCount - 1] : 0;
        if (stack.size() <= floor) {
            throw error(at, "pickle stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(int at) throws IOException {
        int floor = markCount > 0 ? marks[markCount - 1] : 0;
        if (stack.size() <= floor) {
            throw error(at, "pickle stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    /** The items pushed since the last MARK, removed from the stack. */
    private List<Object> popMark(int at) throws IOException {
        if (markCount == 0) {
            throw error(at, "no MARK to pop to");
        }
        int mark = marks[--markCount];
        List<Object> top = stack.subList(mark, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private Object memoGet(long index, int at) throws IOException {
        if (!memo.containsKey(index)) {
            throw error(at, "memo index " + index + " was never stored");
        }
        return memo.get(index);
    }

    private void need(int at, long n) throws IOException {
        if (n > data.length - pos) {
            throw error(at, opcodeName(data[at] & 0xFF) + " needs " + n + " bytes but only " + (data.length - pos)
                    + " remain (truncated?)");
        }
    }

    private int u8(int at) throws IOException {
        need(at, 1);
        return data[pos++] & 0xFF;
    }

    private long u32(int at) throws IOException {
        need(at, 4);
        long v = LittleEndian.u32(data, pos);
        pos += 4;
        return v;
    }

    private long i64(int at) throws IOException {
        need(at, 8);
        long v = LittleEndian.i64(data, pos);
        pos += 8;
        return v;
    }

    /** LONG1: a length byte, then that many bytes of little-endian two's complement. */
    private Object long1(int at) throws IOException {
        int n = u8(at);
        need(at, n);
        byte[] bigEndian = new byte[n];
        for (int i = 0; i < n; i++) {
            bigEndian[i] = data[pos + n - 1 - i];
        }
        pos += n;
        if (n == 0) {
            return 0L;
        }
        BigInteger value = new BigInteger(bigEndian);
        return value.bitLength() < 64 ? (Object) value.longValue() : value;
    }

    private String utf8(int at, long length) throws IOException {
        if (length < 0) {
            throw error(at, "string length " + Long.toUnsignedString(length) + " is out of range");
        }
        need(at, length);
        byte[] bytes = Arrays.copyOfRange(data, pos, pos + (int) length);
        pos += (int) length;
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw error(at, "string is not valid UTF-8");
        }
    }

    private byte[] bytes(int at, long length) throws IOException {
        need(at, length);
        byte[] bytes = Arrays.copyOfRange(data, pos, pos + (int) length);
        pos += (int) length;
        return bytes;
    }

    /** A GLOBAL operand: printable ASCII up to a newline, at most {@value #MAX_GLOBAL_NAME} bytes. */
    private String line(int at) throws IOException {
        int start = pos;
        while (pos < data.length && data[pos] != '\n') {
            int c = data[pos] & 0xFF;
            if (c < 0x20 || c > 0x7E || pos - start >= MAX_GLOBAL_NAME) {
                throw error(at, "GLOBAL name is not a short printable line");
            }
            pos++;
        }
        if (pos >= data.length) {
            throw error(at, "GLOBAL name has no terminating newline (truncated?)");
        }
        return new String(data, start, pos++ - start, StandardCharsets.US_ASCII);
    }

    private IOException error(int at, String message) {
        return new IOException(file + ": " + message + " (offset " + at + " of " + entry + ")");
    }

    private static String typeName(Object value) {
        if (value == null) {
            return "None";
        } else if (value instanceof Callable c) {
            return c.pythonName;
        } else if (value instanceof StorageType s) {
            return "a storage type (" + s.dtype.pytorchName + ")";
        } else if (value instanceof Storage) {
            return "a storage";
        } else if (value instanceof Map) {
            return "a dict";
        } else if (value instanceof ArrayList) {
            return "a list";
        } else if (value instanceof List) {
            return "a tuple";
        } else if (value instanceof Tensor) {
            return "a tensor";
        } else if (value instanceof byte[]) {
            return "bytes";
        }
        return "a " + value.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return s.length() > 200 ? sb + "..." : sb.toString();
    }

    private static String opcodeName(int op) {
        String name = switch (op) {
            case '(' -> "MARK";
            case '.' -> "STOP";
            case '0' -> "POP";
            case '1' -> "POP_MARK";
            case '2' -> "DUP";
            case 'F' -> "FLOAT";
            case 'I' -> "INT";
            case 'J' -> "BININT";
            case 'K' -> "BININT1";
            case 'L' -> "LONG";
            case 'M' -> "BININT2";
            case 'N' -> "NONE";
            case 'P' -> "PERSID";
            case 'Q' -> "BINPERSID";
            case 'R' -> "REDUCE";
            case 'S' -> "STRING";
            case 'T' -> "BINSTRING";
            case 'U' -> "SHORT_BINSTRING";
            case 'V' -> "UNICODE";
            case 'X' -> "BINUNICODE";
            case 'a' -> "APPEND";
            case 'b' -> "BUILD";
            case 'c' -> "GLOBAL";
            case 'd' -> "DICT";
            case '}' -> "EMPTY_DICT";
            case 'e' -> "APPENDS";
            case 'g' -> "GET";
            case 'h' -> "BINGET";
            case 'i' -> "INST";
            case 'j' -> "LONG_BINGET";
            case 'l' -> "LIST";
            case ']' -> "EMPTY_LIST";
            case 'o' -> "OBJ";
            case 'p' -> "PUT";
            case 'q' -> "BINPUT";
            case 'r' -> "LONG_BINPUT";
            case 's' -> "SETITEM";
            case 't' -> "TUPLE";
            case ')' -> "EMPTY_TUPLE";
            case 'u' -> "SETITEMS";
            case 'G' -> "BINFLOAT";
            case 'B' -> "BINBYTES";
            case 'C' -> "SHORT_BINBYTES";
            case 0x80 -> "PROTO";
            case 0x81 -> "NEWOBJ";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case 0x85 -> "TUPLE1";
            case 0x86 -> "TUPLE2";
            case 0x87 -> "TUPLE3";
            case 0x88 -> "NEWTRUE";
            case 0x89 -> "NEWFALSE";
            case 0x8A -> "LONG1";
            case 0x8B -> "LONG4";
            case 0x8C -> "SHORT_BINUNICODE";
            case 0x8D -> "BINUNICODE8";
            case 0x8E -> "BINBYTES8";
            case 0x8F -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x92 -> "NEWOBJ_EX";
            case 0x93 -> "STACK_GLOBAL";
            case 0x94 -> "MEMOIZE";
            case 0x95 -> "FRAME";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> null;
        };
        return name != null ? name : String.format("0x%02x (not a pickle opcode)", op);
    }
}
