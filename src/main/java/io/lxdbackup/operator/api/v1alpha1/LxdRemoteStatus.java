package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.EqualsAndHashCode;
import lombok.Getter;
import lombok.Setter;
import lombok.ToString;

/** Observed state of an LxdRemote. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Getter
@Setter
@EqualsAndHashCode(callSuper = true)
@ToString(callSuper = true)
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
    private ServerCapabilities capabilities;

    @JsonPropertyDescription("RFC 3339 time of the last probe.")
    private String lastProbeTime;
}
