package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CopyNamesTest {

    @Test
    void shortNamesGetTheSuffixAsIs() {
        assertThat(CopyNames.staging("web1")).isEqualTo("web1-lxdbackup-tmp");
        assertThat(CopyNames.previous("web1")).isEqualTo("web1-lxdbackup-old");
    }

    @Test
    void longNamesAreCutWithAHashAndStayValidLxdNames() {
        String a = "a".repeat(49);
        assertThat(CopyNames.staging(a)).isEqualTo(a + "-lxdbackup-tmp").hasSize(63);
        String long1 = "x".repeat(40) + "-" + "y".repeat(22);
        String long2 = "x".repeat(40) + "-" + "z".repeat(22);
        String s1 = CopyNames.staging(long1);
        String s2 = CopyNames.staging(long2);
        assertThat(s1)
                .hasSizeLessThanOrEqualTo(63)
                .endsWith("-lxdbackup-tmp")
                .matches("[a-z][a-z0-9-]*[a-z0-9]")
                .doesNotContain("--");
        assertThat(s1).isNotEqualTo(s2);
        assertThat(CopyNames.staging(long1)).isEqualTo(s1);
        assertThat(CopyNames.previous(long1)).hasSizeLessThanOrEqualTo(63).endsWith("-lxdbackup-old");
        // a cut that ends on a dash does not leave "--"
        String dashy = "d".repeat(42) + "-" + "e".repeat(20);
        assertThat(CopyNames.staging(dashy)).doesNotContain("--").hasSizeLessThanOrEqualTo(63);
        assertThatThrownBy(() -> CopyNames.staging("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void marksTellOwnershipAndCompletion() {
        String owner = CopyNames.owner("ns", "copy", "uid-1");
        assertThat(owner).isEqualTo("ns/copy/uid-1");
        Map<String, String> ours = Map.of(CopyNames.OWNER_KEY, owner, CopyNames.SYNC_KEY, "abc");
        assertThat(CopyNames.ownedBy(ours, owner)).isTrue();
        assertThat(CopyNames.ownedBy(ours, "ns/copy/uid-2")).isFalse();
        assertThat(CopyNames.ownedBy(Map.of(), owner)).isFalse();
        assertThat(CopyNames.ownedBy(null, owner)).isFalse();
        assertThat(CopyNames.completed(ours, "abc")).isTrue();
        assertThat(CopyNames.completed(ours, "abd")).isFalse();
        assertThat(CopyNames.completed(ours, null)).isFalse();
        assertThat(CopyNames.refreshInterrupted(ours)).isFalse();
        assertThat(CopyNames.refreshInterrupted(Map.of(CopyNames.SYNC_KEY, "refreshing:abc")))
                .isTrue();
        assertThat(CopyNames.completed(Map.of(CopyNames.SYNC_KEY, "refreshing:abc"), "abc"))
                .isFalse();
    }
}
