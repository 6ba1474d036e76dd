package org.lstm4j.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.lstm4j.tensor.Tensor;

/**
 * A restricted unpickler for PyTorch's pickles: the {@code data.pkl} of a torch.save or
 * torch.jit.save archive, and the pickles of the legacy torch.save format. It executes nothing.
 *
 * <p>Globals are resolved by name, never imported:
 * <ul>
 *   <li>The callables PyTorch's files need (OrderedDict, the tensor and parameter rebuild
 *       functions, storage and dtype names, torch.Size, TorchScript's list and type-tag helpers,
 *       set, defaultdict, numpy scalars) are re-implemented here.
 *   <li>Names that can run code or reach the system are refused before anything further is read,
 *       wherever they occur (next to real tensors too): every name in {@code os}, {@code posix},
 *       {@code nt}, {@code subprocess}, {@code sys}, {@code shutil}, {@code socket},
 *       {@code importlib}, {@code runpy}, {@code pickle}, {@code marshal}, {@code ctypes} and the
 *       like; {@code builtins} except its plain data types; {@code eval}, {@code exec},
 *       {@code compile}, {@code getattr}, {@code __import__}, {@code open}, {@code system} and
 *       dunder attributes anywhere in a dotted name (protocol 4 resolves {@code torch} +
 *       {@code os.system} attribute by attribute); and loaders such as {@code torch.load},
 *       {@code torch.storage._load_from_bytes}, {@code numpy.load}.
 *   <li>Every other global (a model class such as {@code torch.nn.modules.rnn.LSTM},
 *       {@code __main__.Net}, a TorchScript {@code __torch__.*} class, argparse.Namespace) becomes
 *       an inert {@link PickledGlobal}; REDUCE or NEWOBJ on it gives a {@link PickledObject} that
 *       records the arguments, BUILD records the state, SETITEM/APPEND record items.
 * </ul>
 *
 * <p>Opcodes: those pickle protocols 2 to 5 use for dicts, lists, tuples, sets, ints, floats,
 * strings (also protocol 2's BINSTRING from Python 2), bytes, booleans, None, the memo,
 * GLOBAL/STACK_GLOBAL, REDUCE, BUILD, NEWOBJ and BINPERSID. Others are refused by name with
 * their offset.
 *
 * <p>Tensors: BINPERSID names a storage ({@code ('storage', torch.FloatStorage, key, location,
 * numel)}, with a sixth element in the legacy format); {@code _rebuild_tensor_v2} views it. Each
 * view is checked against the storage's declared size and copied out as float32 by
 * {@link #fillTensors}, after the whole pickle is read (the legacy format stores the data after the
 * pickle).
 *
 * <p>Result values: {@code LinkedHashMap} (dict, OrderedDict, defaultdict), {@code ArrayList}
 * (list), unmodifiable {@code List} (tuple), {@code Set} (set, frozenset), {@code Long} or
 * {@code BigInteger}, {@code Double}, {@code String}, {@code Boolean}, {@code null},
 * {@code byte[]}, {@code Tensor}, {@link PickledGlobal}, {@link PickledObject}. The result is
 * checked to be at most {@value #MAX_DEPTH} levels deep (so it has no cycles) before it is returned.
 */
final class Unpickler {
    /** Limits that keep a hostile pickle from exhausting memory or the Java stack. */
    static final int MAX_STACK = 1 << 20;
    static final int MAX_MARKS = 1 << 12;
    static final int MAX_DEPTH = 100;
    private static final int MAX_GLOBAL_NAME = 256;

    /** Supplies the elements of a storage BINPERSID named, as float32. */
    interface StorageLoader {
        /** The {@code numel} elements of {@code dtype} stored under {@code key}. */
        float[] load(String key, DType dtype, long numel) throws IOException;
    }

    /** A storage as BINPERSID declares it; its data comes from a {@link StorageLoader}. */
    record Storage(String key, DType dtype, long numel) {
    }

    /** The Python callables lstm4j re-implements, by the names a pickle gives them. */
    private enum Callable {
        ORDERED_DICT("collections.OrderedDict"),
        DEFAULT_DICT("collections.defaultdict"),
        SET("builtins.set", "__builtin__.set"),
        FROZENSET("builtins.frozenset", "__builtin__.frozenset"),
        REBUILD_TENSOR("torch._utils._rebuild_tensor"),
        REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"),
        REBUILD_PARAMETER("torch._utils._rebuild_parameter"),
        REBUILD_PARAMETER_WITH_STATE("torch._utils._rebuild_parameter_with_state"),
        REBUILD_FROM_TYPE("torch._tensor._rebuild_from_type"),
        REBUILD_FROM_TYPE_V2("torch._tensor._rebuild_from_type_v2"),
        JIT_BUILD_LIST("torch.jit._pickle.build_intlist", "torch.jit._pickle.build_tensorlist",
                "torch.jit._pickle.build_doublelist", "torch.jit._pickle.build_boollist"),
        JIT_RESTORE_TYPE_TAG("torch.jit._pickle.restore_type_tag"),
        CODECS_ENCODE("_codecs.encode"),
        TORCH_SIZE("torch.Size"),
        NUMPY_SCALAR("numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar");

        final List<String> pythonNames;

        Callable(String... pythonNames) {
            this.pythonNames = List.of(pythonNames);
        }

        String pythonName() {
            return pythonNames.get(0);
        }
    }

    /** {@code torch.FloatStorage} & co.: only meaningful inside a persistent id. */
    private record StorageType(DType dtype) {
    }

    /** A tensor whose elements are copied out of its storage by {@link #fillTensors}. */
    private record PendingTensor(Storage storage, long offset, int[] shape, long[] stride, float[] out) {
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

    /** Top-level modules whose names run commands or code, reach files, processes or the network, or unpickle. */
    private static final Set<String> DANGEROUS_MODULES = Set.of("os", "posix", "nt", "subprocess", "_posixsubprocess",
            "sys", "shutil", "socket", "_socket", "ssl", "importlib", "imp", "pkgutil", "zipimport", "runpy", "code",
            "codeop", "pdb", "bdb", "pty", "commands", "popen2", "pickle", "_pickle", "cPickle", "dill", "cloudpickle",
            "shelve", "marshal", "ctypes", "_ctypes", "cffi", "multiprocessing", "_multiprocessing", "threading",
            "_thread", "thread", "asyncio", "signal", "tempfile", "glob", "webbrowser", "urllib", "urllib2", "urllib3",
            "http", "httplib", "ftplib", "smtplib", "telnetlib", "requests", "aiohttp", "platform", "types", "gc",
            "inspect", "timeit", "trace", "cProfile", "profile", "doctest", "site", "distutils", "setuptools", "pip",
            "venv", "__builtins__");
    /** Names that run code, reach attributes or modules by name, or open files, wherever they appear. */
    private static final Set<String> DANGEROUS_NAMES = Set.of("eval", "exec", "execfile", "compile", "getattr",
            "setattr", "delattr", "__import__", "open", "input", "globals", "locals", "vars", "breakpoint", "apply",
            "system", "popen", "attrgetter", "methodcaller", "load_library");
    /** Globals (and everything under them) in harmless packages that load or run what they are given. */
    private static final List<String> DANGEROUS_GLOBALS = List.of("torch.load", "torch.save", "torch.serialization",
            "torch.hub", "torch.jit.load", "torch.storage._load_from_bytes", "torch.utils.cpp_extension", "torch.ops",
            "torch._ops", "torch.package", "numpy.load", "numpy.lib.npyio", "numpy.testing", "numpy.f2py",
            "numpy.distutils", "numpy.ctypeslib", "pandas.read_pickle", "pandas.io", "joblib");
    /** The only builtins a pickle may name: plain data types (defaultdict(list), set(...)). */
    private static final Set<String> BUILTIN_DATA_TYPES = Set.of("object", "int", "float", "complex", "bool", "str",
            "bytes", "bytearray", "list", "tuple", "dict", "set", "frozenset", "slice", "range");

    static {
        for (Callable c : Callable.values()) {
            for (String name : c.pythonNames) {
                CALLABLES.put(name, c);
            }
        }
    }

    private final byte[] data;
    private final int start;
    private final String file;
    private final String entry;
    /** Tensor elements still allowed to be materialized; see the constructor. */
    private long elementBudget;
    private final List<Object> stack = new ArrayList<>();
    private final int[] marks = new int[MAX_MARKS];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, Storage> storages = new LinkedHashMap<>();
    private final List<PendingTensor> pending = new ArrayList<>();
    private final Map<Tensor, DType> tensorDTypes = new IdentityHashMap<>();
    private int pos;

    /**
     * @param data   the bytes holding the pickle
     * @param start  where the pickle starts in {@code data} (the legacy format has several in a row)
     * @param file   the file they came from, for messages
     * @param entry  where in the file the pickle is ({@code archive/data.pkl}), for messages
     * @param elementBudget how many tensor elements all rebuilt tensors may hold together. Views
     *                      with stride 0 or overlapping strides can describe huge tensors over a
     *                      tiny storage; since each tensor is copied out, this keeps a small file
     *                      from asking for gigabytes (TorchZip allows 16 per byte of file, plus 2^20)
     */
    Unpickler(byte[] data, int start, String file, String entry, long elementBudget) {
        this.data = data;
        this.start = start;
        this.pos = start;
        this.file = file;
        this.entry = entry;
        this.elementBudget = elementBudget;
    }

    /** Where the pickle ended: the offset just past its STOP, once {@link #load} returned. */
    int end() {
        return pos;
    }

    /** The storages the pickle declared, by key, in the order it first named them. */
    Map<String, Storage> storages() {
        return Collections.unmodifiableMap(storages);
    }

    /** The stored dtype of every tensor the last {@link #load} built (identity keys). */
    Map<Tensor, DType> tensorDTypes() {
        return tensorDTypes;
    }

    /**
     * Copies every tensor {@link #load} built out of its storage, loading each storage used once.
     * Until then the tensors hold zeros.
     */
    void fillTensors(StorageLoader loader) throws IOException {
        Map<String, List<PendingTensor>> byStorage = new LinkedHashMap<>();
        for (PendingTensor p : pending) {
            byStorage.computeIfAbsent(p.storage.key(), k -> new ArrayList<>()).add(p);
        }
        for (List<PendingTensor> views : byStorage.values()) {
            Storage storage = views.get(0).storage;
            float[] values = loader.load(storage.key(), storage.dtype(), storage.numel());
            for (PendingTensor p : views) {
                gather(values, p.offset, p.shape, p.stride, p.out);
            }
        }
        pending.clear();
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
                case 0x8F -> push(new LinkedHashSet<>(), at); // EMPTY_SET
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
                case 0x91 -> push(Collections.unmodifiableSet(set(popMark(at), at)), at); // FROZENSET
                case 's' -> { // SETITEM
                    Object value = pop(at);
                    Object key = pop(at);
                    setItems(Arrays.asList(key, value), at, "SETITEM");
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark(at);
                    if (items.size() % 2 != 0) {
                        throw error(at, "SETITEMS with an odd number of items");
                    }
                    setItems(items, at, "SETITEMS");
                }
                case 'a' -> { // APPEND
                    Object value = pop(at);
                    appendItems(Collections.singletonList(value), at, "APPEND");
                }
                case 'e' -> appendItems(popMark(at), at, "APPENDS"); // APPENDS
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark(at);
                    Object top = peek(at);
                    if (!(top instanceof LinkedHashSet)) {
                        throw error(at, "ADDITEMS on " + typeName(top) + ", expected a set");
                    }
                    @SuppressWarnings("unchecked")
                    Set<Object> set = (Set<Object>) top;
                    set.addAll(set(items, at));
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
                case 'T' -> push(utf8(at, i32(at)), at); // BINSTRING: Python 2's str, decoded as torch.load does (UTF-8)
                case 'U' -> push(utf8(at, u8(at)), at); // SHORT_BINSTRING
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
                case 0x81 -> { // NEWOBJ: cls.__new__(cls, *args)
                    Object args = pop(at);
                    Object cls = pop(at);
                    push(newObject(cls, args, at), at);
                }
                case 'b' -> { // BUILD: obj.__setstate__(state)
                    Object state = pop(at);
                    Object target = peek(at);
                    if (target instanceof PickledObject object) {
                        object.build(state);
                    } else if (!(target instanceof Map) && !(target instanceof Tensor)) {
                        // OrderedDict state is its attributes (state_dict's _metadata); a tensor's is its
                        // Python attributes: neither is needed.
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
        if (isDangerous(module, name)) {
            throw new IOException("refusing to load global '" + printable(full) + "' from " + file
                    + ": it can run code or reach the system, so the file is treated as hostile and nothing from it"
                    + " was run (offset " + at + " of " + entry + ")");
        }
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
        return new PickledGlobal(module, name);
    }

    /** The deny-list of the class comment. */
    private static boolean isDangerous(String module, String name) {
        String[] moduleParts = module.split("\\.", -1);
        String top = moduleParts[0];
        if (DANGEROUS_MODULES.contains(top)) {
            return true;
        }
        if (top.equals("builtins") || top.equals("__builtin__")) {
            return moduleParts.length > 1 || !BUILTIN_DATA_TYPES.contains(name);
        }
        String full = module + "." + name;
        for (String global : DANGEROUS_GLOBALS) {
            if (full.equals(global) || full.startsWith(global + ".")) {
                return true;
            }
        }
        for (String part : name.split("\\.", -1)) {
            boolean dunder = part.length() > 4 && part.startsWith("__") && part.endsWith("__")
                    && !part.equals("__newobj__") && !part.equals("__newobj_ex__");
            if (dunder || DANGEROUS_MODULES.contains(part) || DANGEROUS_NAMES.contains(part)) {
                return true;
            }
        }
        return false;
    }

    private Object call(Object callable, Object args, int at) throws IOException {
        if (!(args instanceof List<?> a) || args instanceof ArrayList) {
            throw error(at, "REDUCE on " + typeName(callable) + " needs a tuple of arguments, got " + typeName(args));
        }
        if (callable instanceof PickledGlobal type) {
            return placeholder(type, a, at);
        }
        if (!(callable instanceof Callable c)) {
            throw error(at, "REDUCE on " + typeName(callable) + ", which is not callable");
        }
        switch (c) {
            case ORDERED_DICT -> {
                arity(c, a, at, 0, 0);
                return new LinkedHashMap<>();
            }
            case DEFAULT_DICT -> {
                // defaultdict(default_factory): a dict; the factory only matters for missing keys.
                arity(c, a, at, 0, 1);
                return new LinkedHashMap<>();
            }
            case SET, FROZENSET -> {
                arity(c, a, at, 0, 1);
                List<?> items = a.isEmpty() ? List.of() : a.get(0) instanceof List<?> l ? l : null;
                if (items == null) {
                    throw error(at, c.pythonName() + " needs a list or tuple, got " + typeName(a.get(0)));
                }
                Set<Object> set = set(items, at);
                return c == Callable.SET ? set : Collections.unmodifiableSet(set);
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
                int n = c == Callable.REBUILD_PARAMETER ? 3 : 4;
                arity(c, a, at, n, n);
                if (!(a.get(0) instanceof Tensor t)) {
                    throw error(at, c.pythonName() + " needs a tensor, got " + typeName(a.get(0)));
                }
                return t;
            }
            case REBUILD_FROM_TYPE, REBUILD_FROM_TYPE_V2 -> {
                // (func, type, args, state): func(*args), as an instance of a Tensor subclass; the
                // subclass and its state are dropped, the tensor is what matters.
                arity(c, a, at, 4, 4);
                if (a.get(0) == Callable.REBUILD_FROM_TYPE || a.get(0) == Callable.REBUILD_FROM_TYPE_V2) {
                    // One level only: a chain of these would recurse as deep as the pickle nests tuples.
                    throw error(at, c.pythonName() + " of itself is not supported");
                }
                return call(a.get(0), a.get(2), at);
            }
            case JIT_BUILD_LIST -> {
                arity(c, a, at, 1, 1);
                return a.get(0);
            }
            case JIT_RESTORE_TYPE_TAG -> {
                // (value, type_str): the type string only helps TorchScript's static typing.
                arity(c, a, at, 2, 2);
                return a.get(0);
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
            case NUMPY_SCALAR -> {
                arity(c, a, at, 1, 2);
                return numpyScalar(a, at);
            }
            default -> throw new AssertionError(c);
        }
    }

    private Object newObject(Object cls, Object args, int at) throws IOException {
        if (!(args instanceof List<?> a) || args instanceof ArrayList) {
            throw error(at, "NEWOBJ needs a tuple of arguments, got " + typeName(args));
        }
        if (cls == Callable.ORDERED_DICT && a.isEmpty()) {
            return new LinkedHashMap<>();
        }
        if (cls instanceof PickledGlobal type) {
            return placeholder(type, a, at);
        }
        throw error(at, "NEWOBJ is only supported for collections.OrderedDict() and classes, got " + typeName(cls));
    }

    /** An instance of a class lstm4j does not implement; storages may only be used by the tensor rebuilds. */
    private PickledObject placeholder(PickledGlobal type, List<?> args, int at) throws IOException {
        for (Object arg : args) {
            if (arg instanceof Storage) {
                throw error(at, printable(type.qualifiedName()) + " on a storage is not supported: only dense "
                        + "tensors (torch._utils._rebuild_tensor_v2) are read");
            }
        }
        return new PickledObject(type, args);
    }

    /**
     * numpy.core.multiarray.scalar(dtype, bytes): a numpy scalar such as np.float32(0.25) in a
     * checkpoint dict. Booleans, integers and floats are read (as Boolean, Long or BigInteger,
     * Double); other dtypes (complex, datetime, strings) stay a placeholder.
     */
    private Object numpyScalar(List<?> a, int at) throws IOException {
        String descr = a.get(0) instanceof PickledObject dtype && dtype.type().name().equals("dtype")
                && dtype.type().module().startsWith("numpy") && !dtype.args().isEmpty()
                && dtype.args().get(0) instanceof String d ? d : null;
        if (descr == null || a.size() != 2 || !(a.get(1) instanceof byte[] bytes)) {
            throw error(at, "numpy scalar needs (numpy.dtype, bytes), got " + a.size() + " arguments");
        }
        int size = switch (descr) {
            case "b1", "i1", "u1" -> 1;
            case "f2", "i2", "u2" -> 2;
            case "f4", "i4", "u4" -> 4;
            case "f8", "i8", "u8" -> 8;
            default -> 0;
        };
        if (size == 0) {
            return new PickledObject(new PickledGlobal("numpy.core.multiarray", "scalar"), a);
        }
        if (bytes.length != size) {
            throw error(at, "numpy scalar of dtype " + descr + " needs " + size + " bytes, got " + bytes.length);
        }
        Object state = ((PickledObject) a.get(0)).state();
        boolean bigEndian = state instanceof List<?> s && s.size() > 1 && ">".equals(s.get(1));
        ByteBuffer in = ByteBuffer.wrap(bytes).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        return switch (descr) {
            case "b1" -> bytes[0] != 0;
            case "i1" -> (long) bytes[0];
            case "u1" -> (long) (bytes[0] & 0xFF);
            case "i2" -> (long) in.getShort();
            case "u2" -> (long) (in.getShort() & 0xFFFF);
            case "i4" -> (long) in.getInt();
            case "u4" -> in.getInt() & 0xFFFF_FFFFL;
            case "i8" -> in.getLong();
            case "u8" -> {
                long v = in.getLong();
                yield v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v));
            }
            case "f2" -> (double) DType.halfToFloat(in.getShort());
            case "f4" -> (double) in.getFloat();
            default -> in.getDouble();
        };
    }

    private void arity(Callable c, List<?> args, int at, int min, int max) throws IOException {
        if (args.size() < min || args.size() > max) {
            throw error(at, c.pythonName() + " takes " + (min == max ? min : min + " to " + max)
                    + " arguments, got " + args.size());
        }
    }

    /**
     * persistent_load: ('storage', storage_type, key, location, numel) in zip archives, with a sixth
     * element view_metadata (None since PyTorch 0.4) in the legacy format; ('module', class,
     * source_file, source) for a whole model's classes in the legacy format (the source is never read).
     */
    private Object persistentLoad(Object pid, int at) throws IOException {
        if (pid instanceof List<?> p && p.size() == 4 && "module".equals(p.get(0))) {
            if (!(p.get(1) instanceof PickledGlobal cls)) {
                throw error(at, "persistent id ('module', ...) must name a class, got " + typeName(p.get(1)));
            }
            return cls;
        }
        if (!(pid instanceof List<?> p) || (p.size() != 5 && p.size() != 6) || !"storage".equals(p.get(0))) {
            throw error(at, "persistent id must be ('storage', type, key, location, numel[, view]) or "
                    + "('module', class, file, source)");
        }
        if (!(p.get(1) instanceof StorageType type)) {
            throw error(at, "persistent id: storage type must be a torch storage class, got " + typeName(p.get(1)));
        }
        if (!(p.get(2) instanceof String key) || !(p.get(4) instanceof Long numel) || numel < 0) {
            throw error(at, "persistent id: expected a string key and a non-negative element count");
        }
        if (p.size() == 6 && p.get(5) != null) {
            throw error(at, "storage '" + printable(key) + "' is a view of another storage (written before PyTorch "
                    + "0.4), which is not supported");
        }
        Storage known = storages.get(key);
        if (known != null) {
            if (known.dtype() != type.dtype || known.numel() != numel) {
                throw error(at, "storage '" + printable(key) + "' is referenced as " + known.numel() + " × "
                        + known.dtype().pytorchName + " and as " + numel + " × " + type.dtype.pytorchName);
            }
            return known;
        }
        Storage storage = new Storage(key, type.dtype, numel);
        storages.put(key, storage);
        return storage;
    }

    /**
     * _rebuild_tensor(_v2)(storage, storage_offset, size, stride, ...): a strided view, checked
     * against the storage's declared size now and copied out by {@link #fillTensors}.
     */
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
                if (last >= storage.numel()) {
                    throw error(at, "tensor (offset " + storageOffset + ", size " + Arrays.toString(size)
                            + ", stride " + Arrays.toString(stride) + ") reaches past storage '"
                            + printable(storage.key()) + "', which has " + storage.numel() + " elements");
                }
                if (d < size.length && size[d] > 1) {
                    last += (size[d] - 1) * Math.min(stride[d], storage.numel());
                }
            }
        }
        float[] out = new float[(int) numel];
        pending.add(new PendingTensor(storage, storageOffset, shape, stride, out));
        Tensor t = Tensor.of(out, shape);
        tensorDTypes.put(t, storage.dtype());
        return t;
    }

    /** Copies the strided view (offset, shape, stride) of {@code src} into {@code out}, row-major. */
    static void gather(float[] src, long offset, int[] shape, long[] stride, float[] out) {
        int numel = out.length;
        if (numel == 0) {
            return;
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
            return;
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
        return 2L * (pos - start) + 1024;
    }

    /**
     * Depth-first over the result: at most {@link #MAX_DEPTH} levels (so no cycles), at most
     * {@link #maxVisits} visits, and only data and placeholders: a storage, a storage type or a
     * re-implemented callable left in it is an error. {@code budget[0]} counts the visits left.
     */
    private void checkStructure(Object value, int depth, long[] budget, int at) throws IOException {
        if (depth > MAX_DEPTH) {
            throw error(at, "result is nested more than " + MAX_DEPTH + " levels deep (or contains itself)");
        }
        if (--budget[0] < 0) {
            throw error(at, "result has more than " + maxVisits()
                    + " values counting shared ones each time they appear");
        }
        Iterable<?> children = value instanceof Map<?, ?> map ? map.values()
                : value instanceof Collection<?> collection ? collection
                : value instanceof PickledObject object ? object.contents() : null;
        if (children != null) {
            for (Object v : children) {
                checkStructure(v, depth + 1, budget, at);
            }
        } else if (!(value == null || value instanceof String || value instanceof Long || value instanceof BigInteger
                || value instanceof Double || value instanceof Boolean || value instanceof byte[]
                || value instanceof Tensor || value instanceof PickledGlobal)) {
            throw error(at, "result contains " + typeName(value) + ", which is not data");
        }
    }

    /** Dict keys and set elements must be immutable scalars: anything else could be cyclic or hash unpredictably. */
    private Object checkedKey(Object key, int at) throws IOException {
        if (key == null || key instanceof String || key instanceof Long || key instanceof BigInteger
                || key instanceof Double || key instanceof Boolean) {
            return key;
        }
        throw error(at, "dict key of type " + typeName(key) + " is not supported");
    }

    private Set<Object> set(List<?> items, int at) throws IOException {
        Set<Object> set = new LinkedHashSet<>();
        for (Object item : items) {
            set.add(checkedKey(item, at));
        }
        return set;
    }

    /** SETITEM(S): into a dict, or recorded on a placeholder (a dict subclass). */
    @SuppressWarnings("unchecked")
    private void setItems(List<Object> keysAndValues, int at, String op) throws IOException {
        Object top = peek(at);
        for (int i = 0; i < keysAndValues.size(); i += 2) {
            Object key = checkedKey(keysAndValues.get(i), at);
            if (top instanceof LinkedHashMap) {
                ((Map<Object, Object>) top).put(key, keysAndValues.get(i + 1));
            } else if (top instanceof PickledObject object) {
                object.putItem(key, keysAndValues.get(i + 1));
            } else {
                throw error(at, op + " on " + typeName(top) + ", expected a dict");
            }
        }
    }

    /** APPEND(S): onto a list, or recorded on a placeholder (a list subclass). */
    @SuppressWarnings("unchecked")
    private void appendItems(List<Object> items, int at, String op) throws IOException {
        Object top = peek(at);
        if (top instanceof ArrayList) {
            ((List<Object>) top).addAll(items);
        } else if (top instanceof PickledObject object) {
            object.addItems(items);
        } else {
            throw error(at, op + " on " + typeName(top) + ", expected a list");
        }
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

    private long i32(int at) throws IOException {
        need(at, 4);
        long v = LittleEndian.i32(data, pos);
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
            return c.pythonName();
        } else if (value instanceof PickledGlobal g) {
            return "the class " + printable(g.qualifiedName());
        } else if (value instanceof PickledObject o) {
            return "an instance of " + printable(o.type().qualifiedName());
        } else if (value instanceof Set) {
            return "a set";
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
