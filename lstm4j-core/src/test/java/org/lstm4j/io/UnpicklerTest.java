package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.lstm4j.tensor.Tensor;

class UnpicklerTest {
    /** Storage loader for tests: storage {@code key} of n elements holds 0, 1, ..., n-1; counts its calls. */
    static final class CountingLoader implements Unpickler.StorageLoader {
        final List<String> loaded = new ArrayList<>();

        @Override
        public float[] load(String key, DType dtype, long numel) {
            loaded.add(key);
            float[] values = new float[(int) numel];
            for (int i = 0; i < values.length; i++) {
                values[i] = i;
            }
            return values;
        }
    }

    static Object load(byte[] pickle) throws IOException {
        Unpickler unpickler = new Unpickler(pickle, 0, "test.pt", "archive/data.pkl", 1 << 20);
        Object result = unpickler.load();
        unpickler.fillTensors(new CountingLoader());
        return result;
    }

    @Test
    void scalarsStringsAndContainers() throws IOException {
        byte[] pickle = PickleBytes.protocol2()
                .op('}').op('(')
                .string("int").integer(-5)
                .string("big").op(0x8A).op(9).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1})   // 2^64
                .string("neg").op(0x8A).op(2).raw(new byte[] {0x00, (byte) 0xFF})            // -256
                .string("zero").op(0x8A).op(0)
                .string("float").binfloat(0.1)
                .string("text").op(0x8C).op(3).raw(new byte[] {'a', (byte) 0xC3, (byte) 0xA9})
                .string("bytes").op('C').op(2).raw(new byte[] {1, 2})
                .string("none").op('N')
                .string("flags").op(0x88).op(0x89).op(0x86)
                .string("list").op(']').integer(1).op('a').op('(').integer(2).integer(3).op('e')
                .string("t3").integer(1).integer(2).integer(3).op(0x87)
                .string("empty").op(')')
                .op('u').stop().bytes();
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = (Map<Object, Object>) load(pickle);
        assertThat(map.keySet()).containsExactly("int", "big", "neg", "zero", "float", "text", "bytes", "none",
                "flags", "list", "t3", "empty");
        assertThat(map.get("int")).isEqualTo(-5L);
        assertThat(map.get("big")).isEqualTo(BigInteger.ONE.shiftLeft(64));
        assertThat(map.get("neg")).isEqualTo(-256L);
        assertThat(map.get("zero")).isEqualTo(0L);
        assertThat(map.get("float")).isEqualTo(0.1);
        assertThat(map.get("text")).isEqualTo("aé");
        assertThat((byte[]) map.get("bytes")).containsExactly(1, 2);
        assertThat(map.get("none")).isNull();
        assertThat(map.get("flags")).isEqualTo(List.of(true, false));
        assertThat(map.get("list")).isEqualTo(List.of(1L, 2L, 3L));
        assertThat(map.get("t3")).isEqualTo(List.of(1L, 2L, 3L));
        assertThat(map.get("empty")).isEqualTo(List.of());
    }

    @Test
    void memoProtocol4OpcodesAndHelpers() throws IOException {
        byte[] pickle = new PickleBytes().op(0x80).op(4).op(0x95).le(40, 8)
                .op(']').op(0x94)                                  // memo 0: the list
                .op(0x8C).op(11).raw("collections".getBytes()).op(0x8C).op(11).raw("OrderedDict".getBytes())
                .op(0x93).op(')').op(0x81)                         // NEWOBJ OrderedDict()
                .op('a')
                .global("_codecs", "encode").string("\u00ff\u0001").string("latin1").op(0x86).op('R').op('a')
                .global("torch", "Size").integer(2).integer(3).op(0x86).op(0x85).op('R').op('a')
                .global("torch", "bfloat16").op('a')
                .op(0x8D).le(2, 8).raw(new byte[] {'h', 'i'}).op('2').op('0').op('a')   // BINUNICODE8, DUP, POP
                .op('(').integer(7).op('1')                                            // POP_MARK
                .op('h').op(0).op('0')                                                 // BINGET 0, POP
                .stop().bytes();
        Object result = load(pickle);
        assertThat(result).isInstanceOf(List.class);
        List<?> list = (List<?>) result;
        assertThat(list).hasSize(5);
        assertThat(list.get(0)).isEqualTo(Map.of());
        assertThat((byte[]) list.get(1)).containsExactly((byte) 0xFF, (byte) 1);
        assertThat(list.get(2)).isEqualTo(List.of(2L, 3L));
        assertThat(list.get(3)).isEqualTo("torch.bfloat16");
        assertThat(list.get(4)).isEqualTo("hi");
    }

    @Test
    void tensorsHonourOffsetsStridesAndSharedStorages() throws IOException {
        CountingLoader loader = new CountingLoader();
        byte[] pickle = PickleBytes.protocol2().op(']').op('(')
                .tensor("FloatStorage", "0", 12, 0, new int[] {3, 4}, new long[] {4, 1})     // contiguous
                .tensor("FloatStorage", "0", 12, 0, new int[] {4, 3}, new long[] {1, 4})     // transposed
                .tensor("FloatStorage", "0", 12, 5, new int[] {2, 2}, new long[] {4, 2})     // offset + strides
                .tensor("FloatStorage", "0", 12, 11, new int[] {3}, new long[] {0})          // stride 0
                .tensor("FloatStorage", "0", 12, 12, new int[] {0, 5}, new long[] {5, 1})    // empty
                .tensor("FloatStorage", "0", 12, 7, new int[] {}, new long[] {})             // 0-d
                .op('e').stop().bytes();
        Unpickler unpickler = new Unpickler(pickle, 0, "test.pt", "archive/data.pkl", 1 << 20);
        List<?> tensors = (List<?>) unpickler.load();
        unpickler.fillTensors(loader);
        assertThat(tensors.get(0)).isEqualTo(Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4));
        assertThat(tensors.get(1)).isEqualTo(Tensor.of(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, 4, 3));
        assertThat(tensors.get(2)).isEqualTo(Tensor.of(new float[] {5, 7, 9, 11}, 2, 2));
        assertThat(tensors.get(3)).isEqualTo(Tensor.of(new float[] {11, 11, 11}, 3));
        assertThat(((Tensor) tensors.get(4)).shape()).containsExactly(0, 5);
        assertThat(tensors.get(5)).isEqualTo(Tensor.scalar(7));
        assertThat(loader.loaded).as("a shared storage is loaded once").containsExactly("0");
        assertThat(unpickler.tensorDTypes()).hasSize(6).containsValue(DType.FLOAT32);
    }

    @Test
    void tensorsReachingPastTheirStorageAreRefused() {
        int[][] sizes = {{3, 5}, {4}, {2, 2}, {2}};
        long[][] strides = {{4, 1}, {1}, {1L << 40, 1}, {Long.MAX_VALUE}};
        long[] offsets = {0, 9, 0, 0};
        for (int i = 0; i < sizes.length; i++) {
            byte[] pickle = PickleBytes.protocol2()
                    .tensor("FloatStorage", "0", 12, offsets[i], sizes[i], strides[i]).stop().bytes();
            assertThatThrownBy(() -> load(pickle)).isInstanceOf(IOException.class)
                    .hasMessageContaining("reaches past storage '0'");
        }
        byte[] mismatch = PickleBytes.protocol2().op(']').op('(')
                .tensor("FloatStorage", "0", 12, 0, new int[] {1}, new long[] {1})
                .tensor("HalfStorage", "0", 12, 0, new int[] {1}, new long[] {1})
                .op('e').stop().bytes();
        assertThatThrownBy(() -> load(mismatch)).hasMessageContaining("referenced as 12 × float32 and as 12 × float16");
    }

    @Test
    void viewsRepeatingATinyStorageCannotMaterializeUnboundedly() {
        byte[] pickle = PickleBytes.protocol2()
                .tensor("FloatStorage", "0", 1, 0, new int[] {1 << 20, 1 << 10}, new long[] {0, 0}).stop().bytes();
        assertThatThrownBy(() -> load(pickle)).isInstanceOf(IOException.class)
                .hasMessageContaining("tensor of size [1048576, 1024] would take the tensors in this file past");
    }

    @Test
    void dangerousGlobalsAreRefusedByNameWhereverTheyAppear() {
        String[][] globals = {{"os", "system"}, {"posix", "system"}, {"nt", "system"}, {"os.path", "join"},
            {"builtins", "eval"}, {"builtins", "exec"}, {"builtins", "compile"}, {"builtins", "getattr"},
            {"builtins", "__import__"}, {"__builtin__", "open"}, {"builtins", "print"}, {"builtins", "type"},
            {"subprocess", "Popen"}, {"sys", "modules"}, {"shutil", "rmtree"}, {"socket", "socket"},
            {"importlib", "import_module"}, {"runpy", "run_path"}, {"pickle", "loads"}, {"_pickle", "loads"},
            {"marshal", "loads"}, {"ctypes", "CDLL"}, {"webbrowser", "open"}, {"torch.storage", "_load_from_bytes"},
            {"torch", "load"}, {"torch.serialization", "load"}, {"torch.hub", "load"}, {"numpy", "load"},
            {"torch", "os.system"}, {"torch.nn", "Module.__init__.__globals__"}, {"mypkg", "eval"},
            {"operator", "attrgetter"}, {"io", "open"}};
        for (String[] g : globals) {
            byte[] pickle = PickleBytes.protocol2().global(g[0], g[1]).string("x").op(0x85).op('R').stop().bytes();
            assertThatThrownBy(() -> load(pickle)).as(g[0] + "." + g[1]).isInstanceOf(IOException.class)
                    .hasMessage("refusing to load global '" + g[0] + "." + g[1] + "' from test.pt: it can run code or "
                            + "reach the system, so the file is treated as hostile and nothing from it was run (offset 2 "
                            + "of archive/data.pkl)");
        }
        // Real tensors before the call change nothing.
        byte[] afterTensors = PickleBytes.protocol2().op(']').op('(')
                .tensor("FloatStorage", "0", 4, 0, new int[] {4}, new long[] {1}).op('e')
                .global("os", "system").string("touch x").op(0x85).op('R').op('a').stop().bytes();
        assertThatThrownBy(() -> load(afterTensors)).hasMessageStartingWith("refusing to load global 'os.system'");
    }

    @Test
    void otherClassesBecomeInertPlaceholdersThatRecordWhatThePickleDid() throws IOException {
        // Net() via NEWOBJ, BUILD with its __dict__; a dict subclass filled by SETITEMS; a list
        // subclass by APPENDS; a class reference kept as a value; builtins' data types allowed.
        byte[] pickle = PickleBytes.protocol2().op(']').op('(')
                .global("__main__", "Net").op(')').op(0x81).op('}').string("hidden").integer(5).op('s').op('b')
                .global("easydict", "EasyDict").op(')').op('R').op('(').string("lr").binfloat(0.5).op('u')
                .global("mylib", "Items").op(')').op(0x81).op('(').integer(1).integer(2).op('e')
                .global("torch.nn.modules.rnn", "LSTM")
                .global("builtins", "dict")
                .op('e').stop().bytes();
        List<?> list = (List<?>) load(pickle);
        PickledObject net = (PickledObject) list.get(0);
        assertThat(net.type()).isEqualTo(new PickledGlobal("__main__", "Net"));
        assertThat(net.attributes()).containsExactly(Map.entry("hidden", 5L));
        assertThat(net).hasToString("__main__.Net(hidden=5)");
        assertThat(((PickledObject) list.get(1)).dictItems()).containsExactly(Map.entry("lr", 0.5));
        assertThat(((PickledObject) list.get(2)).listItems()).containsExactly(1L, 2L);
        assertThat(list.get(3)).isEqualTo(new PickledGlobal("torch.nn.modules.rnn", "LSTM"));
        assertThat(list.get(4)).isEqualTo(new PickledGlobal("builtins", "dict"));
        byte[] onStorage = PickleBytes.protocol2().global("torch._utils", "_rebuild_qtensor").op('(')
                .storage("FloatStorage", "0", 4).op('t').op('R').stop().bytes();
        assertThatThrownBy(() -> load(onStorage))
                .hasMessageContaining("torch._utils._rebuild_qtensor on a storage is not supported");
    }

    @Test
    void setsPython2StringsAndTorchScriptHelpers() throws IOException {
        byte[] pickle = PickleBytes.protocol2().op(']').op('(')
                .op(0x8F).op('(').integer(1).string("a").op(0x90)                          // EMPTY_SET, ADDITEMS
                .op('(').integer(2).op(0x91)                                              // FROZENSET
                .global("__builtin__", "set").op(']').string("x").op('a').op(0x85).op('R') // set(['x'])
                .op('U').op(2).raw("py".getBytes()).op('T').le(2, 4).raw("2k".getBytes()) // SHORT_BINSTRING, BINSTRING
                .global("torch.jit._pickle", "restore_type_tag").op(']').integer(3).op('a').string("List[int]")
                .op(0x86).op('R')
                .global("torch.jit._pickle", "build_intlist").op(']').integer(4).op('a').op(0x85).op('R')
                .global("collections", "defaultdict").global("builtins", "list").op(0x85).op('R')
                .string("k").integer(6).op('s')
                .op('e').stop().bytes();
        List<?> list = (List<?>) load(pickle);
        assertThat(list.get(0)).isEqualTo(Set.of(1L, "a"));
        assertThat(list.get(1)).isEqualTo(Set.of(2L));
        assertThat(list.get(2)).isEqualTo(Set.of("x"));
        assertThat(list.subList(3, 5)).isEqualTo(List.of("py", "2k"));
        assertThat(list.get(5)).isEqualTo(List.of(3L));
        assertThat(list.get(6)).isEqualTo(List.of(4L));
        assertThat(list.get(7)).isEqualTo(Map.of("k", 6L));
        byte[] frozen = PickleBytes.protocol2().op('(').integer(1).op(0x91).op('(').integer(2).op(0x90).stop().bytes();
        assertThatThrownBy(() -> load(frozen)).hasMessageContaining("ADDITEMS on a set, expected a set");
    }

    /** numpy.core.multiarray.scalar(numpy.dtype(descr, False, True) + BUILD state, bytes), as numpy pickles np.float32(x). */
    static PickleBytes numpyScalar(PickleBytes p, String descr, char byteOrder, byte[] bytes) {
        return p.global("numpy.core.multiarray", "scalar")
                .global("numpy", "dtype").string(descr).op(0x89).op(0x88).op(0x87).op('R')
                .op('(').integer(3).string(String.valueOf(byteOrder)).op('N').op('N').op('N').integer(-1).integer(-1)
                .integer(0).op('t').op('b')
                .op('C').op(bytes.length).raw(bytes).op(0x86).op('R');
    }

    @Test
    void numpyScalarsAreReadAndOtherNumpyTypesStayPlaceholders() throws IOException {
        PickleBytes p = PickleBytes.protocol2().op(']').op('(');
        numpyScalar(p, "f4", '<', new byte[] {0, 0, (byte) 0x80, 0x3E});       // 0.25f
        numpyScalar(p, "f8", '>', new byte[] {0x3F, (byte) 0xF8, 0, 0, 0, 0, 0, 0}); // 1.5, big-endian
        numpyScalar(p, "f2", '<', new byte[] {0, 0x3C});                        // 1.0 half
        numpyScalar(p, "i8", '<', new byte[] {(byte) 0xF9, -1, -1, -1, -1, -1, -1, -1}); // -7
        numpyScalar(p, "u8", '<', new byte[] {-1, -1, -1, -1, -1, -1, -1, -1});  // 2^64 - 1
        numpyScalar(p, "u1", '|', new byte[] {(byte) 200});
        numpyScalar(p, "b1", '|', new byte[] {1});
        numpyScalar(p, "c8", '<', new byte[8]);
        List<?> list = (List<?>) load(p.op('e').stop().bytes());
        assertThat(list.subList(0, 7)).isEqualTo(List.of(0.25, 1.5, 1.0, -7L,
                BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE), 200L, true));
        assertThat(list.get(7)).isInstanceOf(PickledObject.class);
        assertThat(((PickledObject) list.get(7)).type().qualifiedName()).isEqualTo("numpy.core.multiarray.scalar");
        byte[] wrongLength = numpyScalar(PickleBytes.protocol2(), "f4", '<', new byte[3]).stop().bytes();
        assertThatThrownBy(() -> load(wrongLength)).hasMessageContaining("numpy scalar of dtype f4 needs 4 bytes, got 3");
    }

    @Test
    void persistentIdsOfTheLegacyFormatAndTensorSubclasses() throws IOException {
        // ('storage', torch.FloatStorage, key, 'cpu', numel, None) and ('module', cls, file, source).
        byte[] pickle = PickleBytes.protocol2().op(']').op('(')
                .global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').string("storage").global("torch", "FloatStorage").string("94").string("cpu").integer(3)
                .op('N').op('t').op('Q')
                .integer(1).integer(2).op(0x85).integer(1).op(0x85).op(0x89).op(')').op('t').op('R')
                .op('(').string("module").global("__main__", "Net").string("net.py").string("class Net: ...")
                .op('t').op('Q')
                .global("torch._tensor", "_rebuild_from_type_v2").op('(')
                .global("torch._utils", "_rebuild_tensor_v2").global("mylib", "MyTensor")
                .op('(').storage("FloatStorage", "94", 3).integer(0).integer(3).op(0x85).integer(1).op(0x85)
                .op(0x89).op(')').op('t').op('}').op('t').op('R')
                .op('e').stop().bytes();
        List<?> list = (List<?>) load(pickle);
        assertThat(list.get(0)).isEqualTo(Tensor.of(new float[] {1, 2}, 2));
        assertThat(list.get(1)).isEqualTo(new PickledGlobal("__main__", "Net"));
        assertThat(list.get(2)).isEqualTo(Tensor.of(new float[] {0, 1, 2}, 3));
        byte[] view = PickleBytes.protocol2()
                .op('(').string("storage").global("torch", "FloatStorage").string("1").string("cpu").integer(3)
                .string("0").op('t').op('Q').stop().bytes();
        assertThatThrownBy(() -> load(view)).hasMessageContaining("is a view of another storage");
        // _rebuild_from_type_v2(_rebuild_from_type_v2, ...) would recurse as deep as tuples nest.
        byte[] chain = PickleBytes.protocol2().global("torch._tensor", "_rebuild_from_type_v2").op('(')
                .global("torch._tensor", "_rebuild_from_type_v2").global("mylib", "T").op(')').op('}').op('t')
                .op('R').stop().bytes();
        assertThatThrownBy(() -> load(chain)).hasMessageContaining("_rebuild_from_type_v2 of itself is not supported");
    }

    @Test
    void unsupportedOpcodesAreNamedWithTheirOffset() {
        Object[][] cases = {
            {new byte[] {(byte) 0x80, 2, 'i'}, "pickle opcode INST is not supported (offset 2"},
            {new byte[] {(byte) 0x80, 2, (byte) 0x92}, "pickle opcode NEWOBJ_EX is not supported (offset 2"},
            {new byte[] {(byte) 0x80, 2, (byte) 0xFF}, "0xff (not a pickle opcode) is not supported"},
            {new byte[] {(byte) 0x80, 2, 'I', '1', '\n', '.'}, "pickle opcode INT is not supported"},
            {new byte[] {(byte) 0x80, 6, ']', '.'}, "pickle protocol 6 is not supported"},
        };
        for (Object[] c : cases) {
            assertThatThrownBy(() -> load((byte[]) c[0])).isInstanceOf(IOException.class)
                    .hasMessageContaining((String) c[1]);
        }
    }

    @Test
    void structuralCorruptionIsReportedNotThrownAsRuntimeException() {
        Object[][] cases = {
            {PickleBytes.protocol2().op('a').stop().bytes(), "stack underflow"},
            {PickleBytes.protocol2().op('.').bytes(), "stack underflow"},
            {PickleBytes.protocol2().get(3).stop().bytes(), "memo index 3 was never stored"},
            {PickleBytes.protocol2().op('X').le(1000, 4).raw(new byte[] {'a'}).stop().bytes(), "needs 1000 bytes but only"},
            {PickleBytes.protocol2().op(0x8D).le(-1, 8).stop().bytes(), "out of range"},
            {PickleBytes.protocol2().op(']').integer(1).integer(2).op('s').stop().bytes(), "SETITEM on a list"},
            {PickleBytes.protocol2().op(')').integer(2).op('a').stop().bytes(), "APPEND on a tuple"},
            {PickleBytes.protocol2().op('}').op(']').integer(1).op('s').stop().bytes(), "dict key of type a list"},
            {PickleBytes.protocol2().op('}').op('(').integer(1).op('u').stop().bytes(), "odd number"},
            {PickleBytes.protocol2().op('u').stop().bytes(), "no MARK"},
            {PickleBytes.protocol2().integer(1).op(')').op('R').stop().bytes(), "REDUCE on a long, which is not callable"},
            {PickleBytes.protocol2().global("collections", "OrderedDict").op(']').op('R').stop().bytes(), "needs a tuple"},
            {PickleBytes.protocol2().global("collections", "OrderedDict").stop().bytes(), "result contains collections.OrderedDict"},
            {PickleBytes.protocol2().op('c').raw("os\nsys".getBytes()).bytes(), "no terminating newline"},
            {PickleBytes.protocol2().integer(1).op('b').stop().bytes(), "stack underflow"},
            {PickleBytes.protocol2().integer(1).integer(2).op('b').stop().bytes(), "BUILD on a long"},
            {PickleBytes.protocol2().op(']').bytes(), "ends without STOP"},
            {PickleBytes.protocol2().op('(').string("x").op('t').op('Q').stop().bytes(), "persistent id must be"},
            {PickleBytes.protocol2().op(0x95).le(1 << 20, 8).stop().bytes(), "FRAME of 1048576 bytes"},
        };
        for (Object[] c : cases) {
            assertThatThrownBy(() -> load((byte[]) c[0])).as((String) c[1]).isInstanceOf(IOException.class)
                    .hasMessageContaining("test.pt").hasMessageContaining((String) c[1]);
        }
    }

    @Test
    void aListContainingItselfIsRefused() {
        // l = []; l.append(l)
        byte[] pickle = PickleBytes.protocol2().op(']').put(0).get(0).op('a').stop().bytes();
        assertThatThrownBy(() -> load(pickle)).hasMessageContaining("nested more than 100 levels deep");
    }

    @Test
    void sharedContainersCannotUnfoldExponentially() {
        // l0 = [1]; l1 = [l0, l0]; l2 = [l1, l1]; ... 2^40 leaves from a few hundred bytes.
        PickleBytes p = PickleBytes.protocol2().op(']').integer(1).op('a').put(0);
        for (int i = 1; i <= 40; i++) {
            p.op(']').get(i - 1).op('a').get(i - 1).op('a').put(i);
        }
        byte[] pickle = p.stop().bytes();
        assertThatThrownBy(() -> load(pickle)).hasMessageContaining("counting shared ones");
    }

    @Test
    void deepMarkNestingIsBounded() {
        PickleBytes p = PickleBytes.protocol2();
        for (int i = 0; i < Unpickler.MAX_MARKS + 1; i++) {
            p.op('(');
        }
        assertThatThrownBy(() -> load(p.bytes())).hasMessageContaining("nested MARKs");
    }
}
