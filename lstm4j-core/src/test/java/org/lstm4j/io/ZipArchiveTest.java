package org.lstm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

class ZipArchiveTest {
    static byte[] zip(boolean deflate, String name, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            ZipEntry entry = new ZipEntry(name);
            if (!deflate) {
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(content.length);
                CRC32 crc = new CRC32();
                crc.update(content);
                entry.setCrc(crc.getValue());
            }
            zip.putNextEntry(entry);
            zip.write(content);
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }

    static int centralHeader(byte[] zip) {
        for (int i = zip.length - 22; i >= 0; i--) {
            if (LittleEndian.i32(zip, i) == 0x02014B50) {
                return i;
            }
        }
        throw new AssertionError("no central header");
    }

    static byte[] readOnlyEntry(byte[] zip) throws IOException {
        ZipArchive archive = ZipArchive.read(ByteSource.of(zip, "test.zip"));
        return archive.read(archive.entries().get(0));
    }

    @Test
    void storedAndDeflatedEntriesComeBack() throws IOException {
        byte[] content = "hello, hello, hello, hello".getBytes();
        assertThat(readOnlyEntry(zip(false, "a.npy", content))).isEqualTo(content);
        assertThat(readOnlyEntry(zip(true, "a.npy", content))).isEqualTo(content);
    }

    @Test
    void aDeclaredSizeBeyondWhatDeflateCanProduceIsRefusedBeforeAllocating() throws IOException {
        byte[] zip = zip(true, "a.npy", new byte[1000]);
        ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN).putInt(centralHeader(zip) + 24, 2_000_000_000);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () ->
                assertThatThrownBy(() -> readOnlyEntry(zip)).isInstanceOf(IOException.class)
                        .hasMessageContaining("declares 2000000000 bytes from").hasMessageContaining("zip bomb"));
    }

    @Test
    void inflatingStopsAtTheDeclaredSize() throws IOException {
        // 50 MB of zeros deflate to ~50 KB; declaring 1000 bytes must stop after 1000, not inflate it all.
        byte[] zip = zip(true, "a.npy", new byte[50_000_000]);
        ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN).putInt(centralHeader(zip) + 24, 1000);
        assertThatThrownBy(() -> readOnlyEntry(zip)).hasMessageContaining("inflates to more than the declared 1000 bytes");
    }

    @Test
    void declaredSizeAboveTheRealOneIsCaught() throws IOException {
        byte[] zip = zip(true, "a.npy", "abcabcabc".getBytes());
        ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN).putInt(centralHeader(zip) + 24, 20);
        assertThatThrownBy(() -> readOnlyEntry(zip)).hasMessageContaining("inflates to only 9 bytes, declared 20");
        byte[] stored = zip(false, "a.npy", new byte[100]);
        ByteBuffer b = ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(centralHeader(stored) + 20, 1 << 30);
        b.putInt(centralHeader(stored) + 24, 1 << 30);
        assertThatThrownBy(() -> readOnlyEntry(stored)).hasMessageContaining("would run into the central directory");
    }

    @Test
    void corruptDataFailsTheCrc() throws IOException {
        byte[] zip = zip(false, "a.npy", "some data".getBytes());
        zip[30 + 5 + 2] ^= 1; // inside the data, after the 30-byte local header and the name
        assertThatThrownBy(() -> readOnlyEntry(zip)).hasMessageContaining("CRC-32 mismatch");
    }

    @Test
    void localAndCentralNamesMustAgree() throws IOException {
        byte[] zip = zip(false, "a.npy", "x".getBytes());
        zip[30] = 'b';
        assertThatThrownBy(() -> readOnlyEntry(zip)).hasMessageContaining("local header names 'b.npy'");
    }

    @Test
    void notAZipOrAnImpossibleDirectoryIsRefused() throws IOException {
        assertThatThrownBy(() -> ZipArchive.read(ByteSource.of(new byte[100], "test.zip")))
                .hasMessageContaining("no end-of-central-directory record");
        byte[] zip = zip(false, "a.npy", "x".getBytes());
        int end = zip.length - 22;
        ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN).putShort(end + 10, (short) 500);
        assertThatThrownBy(() -> ZipArchive.read(ByteSource.of(zip, "test.zip")))
                .hasMessageContaining("cannot hold 500 entries");
        byte[] zip2 = zip(false, "a.npy", "x".getBytes());
        ByteBuffer.wrap(zip2).order(ByteOrder.LITTLE_ENDIAN).putInt(zip2.length - 22 + 16, 1 << 30);
        assertThatThrownBy(() -> ZipArchive.read(ByteSource.of(zip2, "test.zip")))
                .hasMessageContaining("runs past its end record");
    }

    @Test
    void zip64CentralDirectoryIsRead() throws IOException {
        // More than 65535 entries forces a zip64 end record.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < 65_537; i++) {
                ZipEntry entry = new ZipEntry(Integer.toString(i));
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(0);
                entry.setCrc(0);
                zip.putNextEntry(entry);
                zip.closeEntry();
            }
        }
        ZipArchive archive = ZipArchive.read(ByteSource.of(bytes.toByteArray(), "big.zip"));
        assertThat(archive.entries()).hasSize(65_537);
        assertThat(archive.read(archive.find("65536"))).isEmpty();
    }
}
