package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        return new Unpickler(pickle, "test.pt", "archive/data.pkl", new CountingLoader(), 1 << 20).load();
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
        Unpickler unpickler = new Unpickler(pickle, "test.pt", "archive/data.pkl", loader, 1 << 20);
        List<?> tensors = (List<?>) unpickler.load();
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
    void refusedGlobalsAreNamedAndNothingElseIsRead() {
        for (String[] g : new String[][] {{"os", "system"}, {"posix", "system"}, {"builtins", "eval"},
                {"subprocess", "Popen"}, {"torch.storage", "_load_from_bytes"}, {"__builtin__", "set"},
                {"torch", "load"}, {"collections", "defaultdict"}}) {
            byte[] pickle = PickleBytes.protocol2().global(g[0], g[1]).string("x").op(0x85).op('R').stop().bytes();
            assertThatThrownBy(() -> load(pickle)).isInstanceOf(IOException.class)
                    .hasMessage("refusing to load global '" + g[0] + "." + g[1] + "' from test.pt: only PyTorch "
                            + "state-dict types are allowed (offset 2 of archive/data.pkl)");
        }
        byte[] model = PickleBytes.protocol2().global("__main__", "Net").stop().bytes();
        assertThatThrownBy(() -> load(model)).hasMessageContaining("save model.state_dict()");
    }

    @Test
    void unsupportedOpcodesAreNamedWithTheirOffset() {
        Object[][] cases = {
            {new byte[] {(byte) 0x80, 2, 'i'}, "pickle opcode INST is not supported (offset 2"},
            {new byte[] {(byte) 0x80, 2, (byte) 0x8F}, "pickle opcode EMPTY_SET is not supported (offset 2"},
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
            {PickleBytes.protocol2().integer(1).op(')').op('R').stop().bytes(), "REDUCE on a long"},
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
