package io.lxdbackup.operator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A file of {@code examples/} as a user applies it: only the connection details the examples
 * tell the user to replace (server URLs and fingerprints, the S3 endpoint) are replaced with the
 * test rig's.
 */
public final class ExampleFiles {
    private ExampleFiles() {}

    /**
     * Every file of {@code examples/} but the local-mode ones ({@code local-*}, which the local-mode
     * tests apply to local mode's ready-made remote): what a test applying "every example" must cover.
     */
    public static java.util.SortedSet<String> forRealServers() throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(Path.of("examples"))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("local-"))
                    .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
        }
    }

    public static String read(String file, LxdRig rig, String s3Endpoint) throws IOException {
        String yaml = Files.readString(Path.of("examples", file));
        Map<String, String> replace = new LinkedHashMap<>();
        replace.put("https://10.0.0.5:8443", rig.get("a.url"));
        replace.put("3f1c5b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f1e2d3c4b5a697887", rig.get("a.fingerprint"));
        replace.put("https://10.0.0.6:8443", rig.get("b.url"));
        replace.put("8e7d6c5b4a39281706f5e4d3c2b1a0998877665544332211ffeeddccbbaa0099", rig.get("b.fingerprint"));
        replace.put("https://s3.example.com", s3Endpoint);
        for (Map.Entry<String, String> e : replace.entrySet()) {
            yaml = yaml.replace(e.getKey(), e.getValue());
        }
        return yaml;
    }
}
