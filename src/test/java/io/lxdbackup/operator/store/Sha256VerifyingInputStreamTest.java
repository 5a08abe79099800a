package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

class Sha256VerifyingInputStreamTest {
    private static final long SIZE = 3 * 1024 * 1024 + 7;

    @Test
    void passesMatchingStreamThrough() throws IOException {
        String sha = TestData.sha256(1, SIZE);
        try (var in = new Sha256VerifyingInputStream(new TestData(1, SIZE), sha.toUpperCase(), SIZE)) {
            assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(SIZE);
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.count()).isEqualTo(SIZE);
        }
    }

    @Test
    void checksumMismatchAtEof() throws IOException {
        String sha = TestData.sha256(1, SIZE);
        var in = new Sha256VerifyingInputStream(new TestData(2, SIZE), sha, SIZE);
        ChecksumMismatchException e = catchThrowableOfType(
                ChecksumMismatchException.class, () -> in.transferTo(OutputStream.nullOutputStream()));
        assertThat(e.expectedSha256()).isEqualTo(sha);
        assertThat(e.actualSha256()).isEqualTo(TestData.sha256(2, SIZE));
        assertThat(e.actualSize()).isEqualTo(SIZE);
        // reading on must not turn the failure into a clean EOF
        assertThat(catchThrowableOfType(ChecksumMismatchException.class, in::read))
                .isSameAs(e);
    }

    @Test
    void longerStreamFailsAsSoonAsItIsTooLong() throws IOException {
        String sha = TestData.sha256(1, SIZE);
        var in = new Sha256VerifyingInputStream(new TestData(1, SIZE * 2), sha, SIZE);
        ChecksumMismatchException e = catchThrowableOfType(
                ChecksumMismatchException.class, () -> in.transferTo(OutputStream.nullOutputStream()));
        assertThat(e.actualSize()).isGreaterThan(SIZE).isLessThan(SIZE + 64 * 1024 + 1);
        assertThat(e.getMessage()).contains("longer");
    }

    @Test
    void shorterStreamFailsAtEof() throws IOException {
        String sha = TestData.sha256(1, SIZE);
        InputStream in = new Sha256VerifyingInputStream(new TestData(1, SIZE - 1), sha, SIZE);
        ChecksumMismatchException e = catchThrowableOfType(
                ChecksumMismatchException.class, () -> in.transferTo(OutputStream.nullOutputStream()));
        assertThat(e.expectedSize()).isEqualTo(SIZE);
        assertThat(e.actualSize()).isEqualTo(SIZE - 1);
        assertThat(e.getMessage()).contains("shorter");
    }

    @Test
    void skippedBytesAreStillHashed() throws IOException {
        byte[] data = "hello world".getBytes();
        var in = new Sha256VerifyingInputStream(new ByteArrayInputStream(data), Sha256.hex(data), -1);
        assertThat(in.skip(6)).isEqualTo(6);
        assertThat(in.readAllBytes()).isEqualTo("world".getBytes());
    }
}
