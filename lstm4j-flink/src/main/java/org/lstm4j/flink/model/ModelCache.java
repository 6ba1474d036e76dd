package org.lstm4j.flink.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.lstm4j.flink.ModelRef;
import org.lstm4j.kernels.Parallel;
import org.lstm4j.io.StateDicts;
import org.lstm4j.nn.RNNBase;
import org.lstm4j.tensor.Precision;

/**
 * Models loaded once per JVM (one TaskManager), keyed by the SHA-256 of their file, the prefix and
 * the weight precision: every subtask
 * that needs a model {@link #acquire}s it and {@link #release}s it on close, and the last release
 * drops it. Loading reads the file through Flink's file systems into memory, checks its SHA-256
 * against the reference, and parses it without a temporary file.
 *
 * <p>Flink loads user code once per job in each TaskManager, so the cache is shared by the
 * subtasks of one job there. Before the first model is loaded, lstm4j's own worker threads are
 * set to 1 (unless {@code -Dlstm4j.threads} says otherwise): Flink's parallelism is the
 * parallelism, and a subtask's steps run on its own task thread.
 */
public final class ModelCache {
    private static final Map<Key, Entry> MODELS = new HashMap<>();

    /** What makes two references the same model (the location may differ: the file's hash decides). */
    private record Key(String sha256, String prefix, Precision precision) {
        static Key of(ModelRef ref) {
            return new Key(ref.sha256(), ref.prefix(), ref.precision());
        }
    }

    private static final class Entry {
        final LoadedModel model;
        int users;

        Entry(LoadedModel model) {
            this.model = model;
        }
    }

    private ModelCache() {
    }

    /**
     * The model {@code ref} names, loaded now or shared with other users in this JVM.
     *
     * @throws IOException              if the file cannot be read, is not a model file, or its
     *                                  SHA-256 is not the one the reference names
     * @throws IllegalArgumentException if it holds no recurrent module under the prefix, or a
     *                                  bidirectional or REVERSE one (it needs whole sequences)
     */
    public static synchronized LoadedModel acquire(ModelRef ref) throws IOException {
        Entry entry = MODELS.get(Key.of(ref));
        if (entry == null) {
            entry = new Entry(load(ref));
            MODELS.put(Key.of(ref), entry);
        }
        entry.users++;
        return entry.model;
    }

    /** Gives back a model from {@link #acquire}; the last user's release drops it. */
    public static synchronized void release(LoadedModel model) {
        for (Iterator<Entry> it = MODELS.values().iterator(); it.hasNext(); ) {
            Entry entry = it.next();
            if (entry.model == model) {
                if (--entry.users == 0) {
                    it.remove();
                }
                return;
            }
        }
    }

    /** How many models this JVM holds (for tests). */
    static synchronized int size() {
        return MODELS.size();
    }

    private static LoadedModel load(ModelRef ref) throws IOException {
        if (System.getProperty(Parallel.THREADS_PROPERTY) == null) {
            System.setProperty(Parallel.THREADS_PROPERTY, "1");
        }
        Path path = new Path(ref.location());
        MessageDigest sha = newSha256();
        RNNBase module;
        // Parsed while hashed (the readers treat every file as hostile), used only if the hash fits.
        try (InputStream in = new DigestInputStream(path.getFileSystem().open(path), sha)) {
            module = ref.prefix().isEmpty() ? RNNBase.load(in, ref.location())
                    : RNNBase.fromStateDict(StateDicts.read(in, ref.location()).tensors(), ref.prefix());
        }
        String sha256 = HexFormat.of().formatHex(sha.digest());
        if (!sha256.equals(ref.sha256())) {
            throw new IOException(ref.location() + ": expected SHA-256 " + ref.sha256() + ", got " + sha256);
        }
        module.eval();
        if (ref.precision() != Precision.FP32) {
            module = module.withWeightPrecision(ref.precision());
        }
        module.newSession(1); // refuses a bidirectional or REVERSE module here, once, not at the first event
        return new LoadedModel(module, sha256, module.fingerprint());
    }

    /** SHA-256 of a file on any Flink file system as 64 lowercase hex digits, as {@code sha256sum} prints it. */
    public static String sha256(Path file) throws IOException {
        MessageDigest sha = newSha256();
        try (InputStream in = new DigestInputStream(file.getFileSystem().open(file), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
