package org.lstm4j.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Assembles pickle bytes opcode by opcode, for tests of the restricted unpickler. */
final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static PickleBytes protocol2() {
        return new PickleBytes().op(0x80).op(2);
    }

    PickleBytes op(int opcode) {
        out.write(opcode);
        return this;
    }

    PickleBytes raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    PickleBytes string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return op('X').le(b.length, 4).raw(b);
    }

    PickleBytes integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K').op((int) v);
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return op('J').le(v, 4);
        }
        return op(0x8A).op(8).le(v, 8);
    }

    PickleBytes binfloat(double v) {
        return op('G').raw(ByteBuffer.allocate(8).putDouble(v).array());
    }

    PickleBytes global(String module, String name) {
        return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    PickleBytes put(int index) {
        return op('q').op(index);
    }

    PickleBytes get(int index) {
        return op('h').op(index);
    }

    /** ('storage', torch.<type>, key, 'cpu', numel) BINPERSID: pushes a storage. */
    PickleBytes storage(String type, String key, long numel) {
        return op('(').string("storage").global("torch", type).string(key).string("cpu").integer(numel).op('t').op('Q');
    }

    /** Pushes _rebuild_tensor_v2(<storage>, offset, size, stride, False, OrderedDict()). */
    PickleBytes tensor(String type, String key, long numel, long offset, int[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").op('(');
        storage(type, key, numel).integer(offset);
        op('(');
        for (int s : size) {
            integer(s);
        }
        op('t').op('(');
        for (long s : stride) {
            integer(s);
        }
        op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
        return this;
    }

    PickleBytes le(long v, int bytes) {
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
        out.write(b, 0, bytes);
        return this;
    }

    PickleBytes stop() {
        return op('.');
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
