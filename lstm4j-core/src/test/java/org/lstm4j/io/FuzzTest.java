package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Mutated valid files (bit flips, overwritten bytes, interesting integers in length fields,
 * truncations, insertions, deletions, duplicated ranges, stray pickle opcodes) must give a result
 * or an IOException; never another exception, never a hang (5 s per file), and never an
 * allocation out of proportion to the file (checked through the JVM's per-thread allocation
 * counter where it has one).
 */
class FuzzTest {
    /** Bytes a reader may allocate per byte of input, plus a fixed allowance; see the class comment. */
    static final long ALLOCATION_PER_INPUT_BYTE = 256;
    static final long ALLOCATION_ALLOWANCE = 16L << 20;

    private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fuzz-worker");
        t.setDaemon(true);
        return t;
    });
    private static final com.sun.management.ThreadMXBean THREADS = threadBean();
    private static final Map<String, long[]> STATS = new LinkedHashMap<>();

    /** One edit of a file; {@code where} in [0, 1) is a position relative to the file's length. */
    record Mutation(int kind, double where, long value, int length) {
    }

    static final long[] INTERESTING = {0, 1, -1, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFF_FFFFL,
        0x8000_0000L, 0xFFFF_FFFFL, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 100_000_001L};
    static final byte[] OPCODES = opcodes();

    /** Protocol 0/1 opcodes (ASCII) and protocol 2 to 5 ones (0x80 and up). */
    private static byte[] opcodes() {
        byte[] ascii = "(.012FIJKLMNPQRSTUVXabcd}eghijl]opqrst)uGBC".getBytes();
        int[] binary = {0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95};
        byte[] all = Arrays.copyOf(ascii, ascii.length + binary.length);
        for (int i = 0; i < binary.length; i++) {
            all[ascii.length + i] = (byte) binary[i];
        }
        return all;
    }

    static byte[] apply(byte[] seed, List<Mutation> mutations) {
        byte[] b = seed;
        for (Mutation m : mutations) {
            int at = (int) (m.where * b.length);
            switch (m.kind) {
                case 0 -> { // flip one bit
                    if (b.length > 0) {
                        b = b.clone();
                        b[at] ^= (byte) (1 << (m.value & 7));
                    }
                }
                case 1 -> { // overwrite a byte
                    if (b.length > 0) {
                        b = b.clone();
                        b[at] = (byte) m.value;
                    }
                }
                case 2, 3 -> { // an interesting integer as 4 or 8 little-endian bytes
                    int width = m.kind == 2 ? 4 : 8;
                    long v = INTERESTING[(int) Math.floorMod(m.value, (long) INTERESTING.length)];
                    b = b.clone();
                    for (int i = 0; i < width && at + i < b.length; i++) {
                        b[at + i] = (byte) (v >>> (8 * i));
                    }
                }
                case 4 -> b = Arrays.copyOf(b, at); // truncate
                case 5 -> { // insert random bytes
                    byte[] inserted = new byte[1 + m.length % 16];
                    Arrays.fill(inserted, (byte) m.value);
                    b = splice(b, at, 0, inserted);
                }
                case 6 -> b = splice(b, at, Math.min(1 + m.length % 64, b.length - at), new byte[0]); // delete
                case 7 -> { // duplicate a range
                    int len = Math.min(1 + m.length % 64, b.length - at);
                    b = splice(b, at, 0, Arrays.copyOfRange(b, at, at + len));
                }
                case 8 -> b = splice(b, at, 0, new byte[] {OPCODES[(int) Math.floorMod(m.value, (long) OPCODES.length)]});
                default -> { // an ASCII number, for JSON and npy headers
                    long v = INTERESTING[(int) Math.floorMod(m.value, (long) INTERESTING.length)];
                    b = splice(b, at, Math.min(1, b.length - at), Long.toString(v).getBytes());
                }
            }
        }
        return b;
    }

    static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    static Arbitrary<byte[]> mutants(List<byte[]> seeds) {
        Arbitrary<Mutation> mutation = Combinators.combine(
                Arbitraries.integers().between(0, 9),
                Arbitraries.doubles().between(0, 1).filter(d -> d < 1),
                Arbitraries.longs(),
                Arbitraries.integers().between(0, 1 << 16)).as(Mutation::new);
        return Combinators.combine(Arbitraries.of(seeds), mutation.list().ofMinSize(1).ofMaxSize(5))
                .as(FuzzTest::apply);
    }

    @Provide
    Arbitrary<byte[]> safetensorsFiles() {
        return mutants(List.of(IoFixtures.bytes("safetensors/lstm_tiny.safetensors"),
                IoFixtures.bytes("safetensors/dtypes.safetensors")));
    }

    @Provide
    Arbitrary<byte[]> npyFiles() {
        return mutants(List.of(IoFixtures.bytes("npy/f4.npy"), IoFixtures.bytes("npy/fortran_f4.npy"),
                IoFixtures.bytes("npy/big_endian_f8.npy"), IoFixtures.bytes("npy/scalar_f4.npy")));
    }

    @Provide
    Arbitrary<byte[]> npzFiles() {
        return mutants(List.of(IoFixtures.bytes("npy/arrays.npz"), IoFixtures.bytes("npy/arrays_compressed.npz")));
    }

    @Provide
    Arbitrary<byte[]> torchFiles() {
        return mutants(List.of(IoFixtures.bytes("torch/lstm_tiny.pt"), IoFixtures.bytes("torch/views.pt")));
    }

    @Provide
    Arbitrary<byte[]> onnxFiles() {
        return mutants(List.of(IoFixtures.bytes("onnx/torch/lstm_1layer_opset9.onnx"),
                IoFixtures.bytes("onnx/torch/lstm_2layer_bidirectional_opset13.onnx"),
                IoFixtures.bytes("onnx/variants/float16_int32_data.onnx")));
    }

    /** Archives whose data.pkl is mutated but whose zip (CRCs, sizes) is valid, to reach the unpickler. */
    @Provide
    Arbitrary<byte[]> torchFilesWithMutatedPickles() {
        return withMutatedPickles(List.of("torch/lstm_tiny.pt", "torch/lstm_tiny_protocol4.pt", "torch/views.pt",
                "torch/checkpoint.pt", "torch/dtypes.pt"));
    }

    /** TorchScript archives and whole pickled models (module objects, placeholders, numpy scalars), data.pkl mutated. */
    @Provide
    Arbitrary<byte[]> modelFilesWithMutatedPickles() {
        return withMutatedPickles(List.of("models/scripted_net.pt", "models/traced_tagger.pt", "models/whole_seq2seq.pt",
                "models/checkpoint_whole_model.pt"));
    }

    /** The legacy format: mutations reach its five pickles and the raw storages alike. */
    @Provide
    Arbitrary<byte[]> legacyFiles() {
        return mutants(List.of(IoFixtures.bytes("models/legacy_bilstm.pt"), IoFixtures.bytes("torch/legacy.pt"),
                IoFixtures.bytes("models/legacy_whole_net_f64.pt")));
    }

    static Arbitrary<byte[]> withMutatedPickles(List<String> files) {
        List<Map<String, byte[]>> archives = new ArrayList<>();
        for (String name : files) {
            archives.add(entries(IoFixtures.bytes(name)));
        }
        return Arbitraries.integers().between(0, archives.size() - 1).flatMap(i -> {
            Map<String, byte[]> archive = archives.get(i);
            String pickleName = archive.keySet().stream().filter(n -> n.endsWith("/data.pkl")).findFirst().orElseThrow();
            return mutants(List.of(archive.get(pickleName))).map(pickle -> {
                Map<String, byte[]> mutated = new LinkedHashMap<>(archive);
                mutated.put(pickleName, pickle);
                return storedZip(mutated);
            });
        });
    }

    @Property(tries = 10_000)
    void safetensorsMutantsOnlyFailWithIOException(@ForAll("safetensorsFiles") byte[] file) {
        check("safetensors", file);
    }

    @Property(tries = 10_000)
    void npyMutantsOnlyFailWithIOException(@ForAll("npyFiles") byte[] file) {
        check("npy", file);
    }

    @Property(tries = 5000)
    void npzMutantsOnlyFailWithIOException(@ForAll("npzFiles") byte[] file) {
        check("npz", file);
    }

    @Property(tries = 5000)
    void torchZipMutantsOnlyFailWithIOException(@ForAll("torchFiles") byte[] file) {
        check("torch zip", file);
    }

    @Property(tries = 10_000)
    void torchPickleMutantsOnlyFailWithIOException(@ForAll("torchFilesWithMutatedPickles") byte[] file) {
        check("torch pickle", file);
    }

    @Property(tries = 5000)
    void modelPickleMutantsOnlyFailWithIOException(@ForAll("modelFilesWithMutatedPickles") byte[] file) {
        check("model pickle", file);
    }

    @Property(tries = 5000)
    void legacyMutantsOnlyFailWithIOException(@ForAll("legacyFiles") byte[] file) {
        check("torch legacy", file);
    }

    @Property(tries = 10_000)
    void onnxMutantsOnlyFailWithIOException(@ForAll("onnxFiles") byte[] file) {
        check("onnx", file);
    }

    /** Reads {@code file} on the worker thread with a time limit and an allocation check. */
    static void check(String kind, byte[] file) {
        long start = System.nanoTime();
        Future<Long> result = WORKER.submit(() -> {
            long before = allocatedBytes();
            try {
                // Not through ByteSource.guard: a RuntimeException here is a missing check, and must fail the test.
                StateDictFile sd = StateDicts.read(ByteSource.of(file, "fuzz.bin"), "x");
                assertBackedByTheFile(kind, sd, file.length);
            } catch (IOException e) {
                assertThat(e.getMessage()).contains("fuzz.bin");
            }
            return before < 0 ? -1 : allocatedBytes() - before;
        });
        long allocated;
        try {
            allocated = result.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            throw new AssertionError(kind + ": reader still running after 5 s on a " + file.length + "-byte file: "
                    + hex(file));
        } catch (ExecutionException e) {
            throw new AssertionError(kind + ": reader threw " + e.getCause() + " on " + hex(file), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (allocated >= 0) {
            assertThat(allocated).as("%s: bytes allocated reading a %d-byte file", kind, file.length)
                    .isLessThanOrEqualTo(ALLOCATION_PER_INPUT_BYTE * file.length + ALLOCATION_ALLOWANCE);
        }
        synchronized (STATS) {
            long[] s = STATS.computeIfAbsent(kind, k -> new long[3]);
            s[0]++;
            s[1] += System.nanoTime() - start;
            s[2] = Math.max(s[2], allocated);
        }
    }

    /**
     * Every value read must come from the file: a reader that trusted a declared shape and
     * returned zeros (or repeated bytes) past the file's end would return more elements than the
     * file can hold. safetensors and .npy store each element once; .npz entries may be deflated,
     * and deflate expands at most 1032:1 (plus an end-of-stream byte or so per entry); ONNX stores
     * each element in a byte at least; torch.save views may repeat elements (expand's stride 0), up
     * to TorchZip's documented limit.
     */
    private static void assertBackedByTheFile(String kind, StateDictFile sd, long fileBytes) {
        long elements = 0;
        long storedBytes = 0;
        for (TensorInfo info : sd.infos()) {
            assertThat(Arrays.stream(info.shape()).min().orElse(0)).as("%s: smallest dim of %s", kind, info.name())
                    .isNotNegative();
            assertThat((long) sd.tensor(info.name()).numel()).as("%s: numel of %s", kind, info.name()).isEqualTo(info.numel());
            elements += info.numel();
            storedBytes += info.numel() * itemSize(info.dtype());
        }
        switch (kind) {
            case "safetensors", "npy" -> assertThat(storedBytes).as("%s: bytes of the tensors read", kind)
                    .isLessThanOrEqualTo(fileBytes);
            case "npz" -> assertThat(storedBytes).as("%s: bytes of the tensors read", kind)
                    .isLessThanOrEqualTo(1032 * fileBytes + 1024L * sd.tensors().size());
            // Every element is stored at least once in at least one byte (a varint of int32_data).
            case "onnx" -> assertThat(elements).as("%s: elements of the tensors read", kind).isLessThanOrEqualTo(fileBytes);
            default -> assertThat(elements).as("%s: elements of the tensors read", kind)
                    .isLessThanOrEqualTo(TorchZip.MAX_ELEMENTS_PER_BYTE * fileBytes + (1L << 20));
        }
    }

    private static int itemSize(String dtype) {
        return Arrays.stream(DType.values()).filter(t -> t.pytorchName.equals(dtype)).findFirst().orElseThrow().itemSize;
    }

    @AfterContainer
    static void report() {
        STATS.forEach((kind, s) -> System.out.printf("fuzz %-14s %6d files, %6d ms, max allocation %,d bytes%n",
                kind, s[0], s[1] / 1_000_000, s[2]));
    }

    static long allocatedBytes() {
        return THREADS != null ? THREADS.getCurrentThreadAllocatedBytes() : -1;
    }

    private static com.sun.management.ThreadMXBean threadBean() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported()) {
            bean.setThreadAllocatedMemoryEnabled(true);
            return bean;
        }
        return null;
    }

    static Map<String, byte[]> entries(byte[] zip) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try {
            // java.util.zip.ZipInputStream refuses torch.save's stored entries with data descriptors.
            ZipArchive archive = ZipArchive.read(ByteSource.of(zip, "seed.pt"));
            for (ZipArchive.Entry e : archive.entries()) {
                entries.put(e.name(), archive.read(e));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return entries;
    }

    static byte[] storedZip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 256); i++) {
            sb.append(String.format("%02x", b[i] & 0xFF));
        }
        return b.length > 256 ? sb + "..." : sb.toString();
    }
}
