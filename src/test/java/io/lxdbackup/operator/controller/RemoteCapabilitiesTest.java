package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.api.v1alpha1.ServerCapabilities;
import io.lxdbackup.operator.lxd.Capabilities;
import io.lxdbackup.operator.lxd.ServerInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each field of status.capabilities is computed from the API extension it names. */
class RemoteCapabilitiesTest {

    static ServerCapabilities of(String... extensions) {
        Set<String> ext = Set.of(extensions);
        return LxdRemoteReconciler.capabilities(new ServerInfo(
                true, "1.0", "6.1", "s", false, null, null, ext, Capabilities.from(ext), List.of(), Map.of()));
    }

    @Test
    void poolOverrideComesFromItsOwnExtensionNotFromTheNameOverride() {
        ServerCapabilities nameOnly = of("backup_override_name");
        assertThat(nameOnly.getBackupOverrideName()).isTrue();
        assertThat(nameOnly.getBackupOverridePool()).isFalse();

        ServerCapabilities poolOnly = of("container_backup_override_pool");
        assertThat(poolOnly.getBackupOverridePool()).isTrue();
        assertThat(poolOnly.getBackupOverrideName()).isFalse();
    }

    @Test
    void expiryAtCreationIsToldApartFromExpiry() {
        ServerCapabilities expiryOnly = of("snapshot_expiry");
        assertThat(expiryOnly.getSnapshotExpiry()).isTrue();
        assertThat(expiryOnly.getSnapshotExpiryAtCreation()).isFalse();
        assertThat(of("snapshot_expiry", "snapshot_expiry_creation").getSnapshotExpiryAtCreation())
                .isTrue();
    }

    @Test
    void diskVolumesModeAndMetadataVersionFollowTheirExtensions() {
        ServerCapabilities none = of();
        assertThat(none.getDiskVolumesMode()).isFalse();
        assertThat(none.getBackupMetadataVersion()).isFalse();
        ServerCapabilities both = of("instance_snapshot_multi_volume", "backup_metadata_version");
        assertThat(both.getDiskVolumesMode()).isTrue();
        assertThat(both.getBackupMetadataVersion()).isTrue();
    }
}
