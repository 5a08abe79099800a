package io.lxdbackup.operator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ObjectKeysTest {

    @ParameterizedTest
    @CsvSource(
            nullValues = "NULL",
            value = {"NULL, ''", "'', ''", "'  ', ''", "'/', ''", "a, a/", "a/, a/", "/a/b, a/b/", "a/b//, a/b/"})
    void normalizesPrefix(String in, String out) {
        assertThat(ObjectKeys.normalizePrefix(in)).isEqualTo(out);
    }

    @ParameterizedTest
    @CsvSource({
        "gzip, tar.gz",
        "zstd, tar.zst",
        "bzip2, tar.bz2",
        "xz, tar.xz",
        "lz4, tar.lz4",
        "none, tar",
        "GZIP, tar.gz"
    })
    void extensionPerCompression(String compression, String ext) {
        assertThat(ObjectKeys.extensionFor(compression)).isEqualTo(ext);
    }

    @Test
    void exportKeyLayout() {
        assertThat(ObjectKeys.exportKey("cluster-a", "team1", "lxd-a", "default", "web1", "web1-202611260600", "zstd"))
                .isEqualTo("cluster-a/team1/lxd-a/default/web1/web1-202611260600.tar.zst");
        assertThat(ObjectKeys.exportKey("", "ns", "r", null, "c1", "x", "none")).isEqualTo("ns/r/default/c1/x.tar");
        assertThat(ObjectKeys.manifestKey("ns/r/default/c1/x.tar")).isEqualTo("ns/r/default/c1/x.tar.json");
    }

    @Test
    void attachedVolumeKeySitsNextToTheInstanceObject() {
        assertThat(ObjectKeys.attachedVolumeKey("ns/r/default/web1/web1-full.tar.zst", "data", "zstd"))
                .isEqualTo("ns/r/default/web1/web1-full.volume-data.tar.zst");
        // a spec.key without the extension keeps its whole name
        assertThat(ObjectKeys.attachedVolumeKey("backups/web1", "data", "gzip"))
                .isEqualTo("backups/web1.volume-data.tar.gz");
        // device names are made safe for a key segment
        assertThat(ObjectKeys.attachedVolumeKey("k.tar", "my disk/1", "none")).isEqualTo("k.volume-my_disk_1.tar");
        assertThat(ObjectKeys.isManifestKey(ObjectKeys.attachedVolumeKey("k.tar", "x.json", "none")))
                .isFalse();
    }

    @Test
    void refusesUnsafeSegmentsAndUnresolvedCompression() {
        assertThatThrownBy(() -> ObjectKeys.exportKey("", "ns", "r", "p", "../etc", "x", "gzip"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectKeys.exportKey("", "ns", "r", "p", "a/b", "x", "gzip"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectKeys.exportKey("", "ns", "r", "p", "..", "x", "gzip"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ObjectKeys.extensionFor("auto")).hasMessageContaining("auto");
    }

    @Test
    void recognisesProbes() {
        assertThat(ObjectKeys.isProbeKey("p/" + ObjectKeys.PROBE_NAME_PREFIX + "123"))
                .isTrue();
        assertThat(ObjectKeys.isProbeKey(ObjectKeys.PROBE_NAME_PREFIX + "123")).isTrue();
        assertThat(ObjectKeys.isProbeKey("p/x.tar")).isFalse();
    }
}
