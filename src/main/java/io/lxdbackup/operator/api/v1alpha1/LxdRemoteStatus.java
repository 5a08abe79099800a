package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Observed state of an LxdRemote. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class LxdRemoteStatus extends BaseStatus<LxdRemotePhase> {

    @JsonPropertyDescription("LXD server version, for example 5.21.2.")
    private String serverVersion;

    @JsonPropertyDescription("Server (or cluster member) name.")
    private String serverName;

    @JsonPropertyDescription("Whether the server is part of a cluster.")
    private Boolean clustered;

    @JsonPropertyDescription("SHA-256 fingerprint of the certificate the server presented.")
    private String serverCertificateFingerprint;

    @JsonPropertyDescription(
            "SHA-256 fingerprint of the client certificate in use; add it to the server trust store if the remote is Untrusted.")
    private String clientCertificateFingerprint;

    @JsonPropertyDescription("Features the server supports.")
    private Capabilities capabilities;

    @JsonPropertyDescription("RFC 3339 time of the last probe.")
    private String lastProbeTime;

    public String getServerVersion() {
        return serverVersion;
    }

    public void setServerVersion(String serverVersion) {
        this.serverVersion = serverVersion;
    }

    public String getServerName() {
        return serverName;
    }

    public void setServerName(String serverName) {
        this.serverName = serverName;
    }

    public Boolean getClustered() {
        return clustered;
    }

    public void setClustered(Boolean clustered) {
        this.clustered = clustered;
    }

    public String getServerCertificateFingerprint() {
        return serverCertificateFingerprint;
    }

    public void setServerCertificateFingerprint(String serverCertificateFingerprint) {
        this.serverCertificateFingerprint = serverCertificateFingerprint;
    }

    public String getClientCertificateFingerprint() {
        return clientCertificateFingerprint;
    }

    public void setClientCertificateFingerprint(String clientCertificateFingerprint) {
        this.clientCertificateFingerprint = clientCertificateFingerprint;
    }

    public Capabilities getCapabilities() {
        return capabilities;
    }

    public void setCapabilities(Capabilities capabilities) {
        this.capabilities = capabilities;
    }

    public String getLastProbeTime() {
        return lastProbeTime;
    }

    public void setLastProbeTime(String lastProbeTime) {
        this.lastProbeTime = lastProbeTime;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        LxdRemoteStatus that = (LxdRemoteStatus) o;
        return Objects.equals(serverVersion, that.serverVersion)
                && Objects.equals(serverName, that.serverName)
                && Objects.equals(clustered, that.clustered)
                && Objects.equals(serverCertificateFingerprint, that.serverCertificateFingerprint)
                && Objects.equals(clientCertificateFingerprint, that.clientCertificateFingerprint)
                && Objects.equals(capabilities, that.capabilities)
                && Objects.equals(lastProbeTime, that.lastProbeTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                super.hashCode(),
                serverVersion,
                serverName,
                clustered,
                serverCertificateFingerprint,
                clientCertificateFingerprint,
                capabilities,
                lastProbeTime);
    }

    @Override
    public String toString() {
        return "LxdRemoteStatus{" + "serverVersion=" + serverVersion
                + ", serverName=" + serverName
                + ", clustered=" + clustered
                + ", serverCertificateFingerprint=" + serverCertificateFingerprint
                + ", clientCertificateFingerprint=" + clientCertificateFingerprint
                + ", capabilities=" + capabilities
                + ", lastProbeTime=" + lastProbeTime + ", " + super.toString() + "}";
    }
}
