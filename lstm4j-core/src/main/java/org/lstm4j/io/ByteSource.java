package org.lstm4j.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Random-access bytes of one file, or of an in-memory copy (a zip entry, a test's mutated file).
 * Every read is checked against the real size first, so a length field in the file can never make
 * us allocate more than the file holds.
 */
final class ByteSource implements Closeable {
    /** Parses an open source; the result of {@link #parse}. */
    interface Parser<T> {
        T parse(ByteSource source) throws IOException;
    }

    private final String name;
    private final Path file;
    private final byte[] array;
    private final FileChannel channel;
    private final long size;

    private ByteSource(String name, Path file, byte[] array, FileChannel channel, long size) {
        this.name = name;
        this.file = file;
        this.array = array;
        this.channel = channel;
        this.size = size;
    }

    static ByteSource of(byte[] bytes, String name) {
        return new ByteSource(name, null, bytes, null, bytes.length);
    }

    static ByteSource open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return new ByteSource(file.toString(), file, null, channel, channel.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Opens {@code file}, runs {@code parser} on it and closes it. This is the public boundary of
     * every reader: a RuntimeException from parsing (a bug tripped by a hostile file) comes out as
     * an IOException naming the file, never as ArrayIndexOutOfBounds & co.
     */
    static <T> T parse(Path file, Parser<T> parser) throws IOException {
        if (file == null) {
            throw new NullPointerException("file");
        }
        try (ByteSource source = open(file)) {
            return guard(source, parser);
        }
    }

    /** Runs {@code parser} on an open source with the same exception contract as {@link #parse}. */
    static <T> T guard(ByteSource source, Parser<T> parser) throws IOException {
        try {
            return parser.parse(source);
        } catch (RuntimeException e) {
            throw new IOException(source.name + ": unreadable file (" + e + ")", e);
        }
    }

    String name() {
        return name;
    }

    /** The file these bytes come from, or null for an in-memory copy (then no neighbouring file can be read). */
    Path file() {
        return file;
    }

    long size() {
        return size;
    }

    /** {@code length} bytes at {@code offset}; {@code what} names them in the error if they are not all there. */
    byte[] read(long offset, long length, String what) throws IOException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw error(offset, what + " needs " + length + " bytes but only " + Math.max(0, size - offset)
                    + " remain (file size " + size + ")");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw error(offset, what + " is " + length + " bytes, more than one Java array can hold");
        }
        byte[] out = new byte[(int) length];
        if (array != null) {
            System.arraycopy(array, (int) offset, out, 0, out.length);
            return out;
        }
        ByteBuffer buffer = ByteBuffer.wrap(out);
        long position = offset;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw error(position, "file ended while reading " + what + " (was it truncated while open?)");
            }
            position += n;
        }
        return out;
    }

    /** Decodes {@code bytes} (read at {@code offset}) as strict UTF-8: malformed input is an error, not U+FFFD. */
    String utf8(byte[] bytes, long offset, String what) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw error(offset, what + " is not valid UTF-8");
        }
    }

    IOException error(String message) {
        return new IOException(name + ": " + message);
    }

    IOException error(long offset, String message) {
        return new IOException(name + ": " + message + " (at offset " + offset + ")");
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
