package io.lxdbackup.operator.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * MD5 as S3 uses it for ETags: the ETag of an object written by one PutObject is the hex MD5
 * of its body, that of a multipart upload {@code hex(md5(md5(part 1) || ... || md5(part n)))-n}.
 * Both hold only where ETags are MD5-based (not for SSE-KMS or SSE-C objects).
 */
final class Md5 {
    private static final Pattern SINGLE = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern MULTIPART = Pattern.compile("[0-9a-f]{32}-[0-9]+");

    private Md5() {}

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM provides MD5", e);
        }
    }

    static byte[] of(byte[] buf, int off, int len) {
        MessageDigest d = newDigest();
        d.update(buf, off, len);
        return d.digest();
    }

    /** The ETag S3 gives an object written by one PutObject of a body with this MD5. */
    static String singleEtag(byte[] md5) {
        return HexFormat.of().formatHex(md5);
    }

    /** The ETag S3 gives an object completed from parts with these MD5s, in part order. */
    static String multipartEtag(List<byte[]> partMd5s) {
        MessageDigest d = newDigest();
        partMd5s.forEach(d::update);
        return HexFormat.of().formatHex(d.digest()) + "-" + partMd5s.size();
    }

    /**
     * The ETag S3 gives an object completed from parts with these ETags (unquoted, in part
     * order), or null when a part ETag is not an MD5 (SSE-KMS, other stores).
     */
    static String multipartEtagOfParts(List<String> partEtags) {
        List<byte[]> md5s = new java.util.ArrayList<>(partEtags.size());
        for (String etag : partEtags) {
            if (!isMd5Form(etag, false)) {
                return null;
            }
            md5s.add(HexFormat.of().parseHex(etag.toLowerCase(java.util.Locale.ROOT)));
        }
        return multipartEtag(md5s);
    }

    /** Whether {@code etag} (unquoted) has the form of an MD5-based ETag of the given kind. */
    static boolean isMd5Form(String etag, boolean multipart) {
        return etag != null
                && (multipart ? MULTIPART : SINGLE)
                        .matcher(etag.toLowerCase(java.util.Locale.ROOT))
                        .matches();
    }
}
