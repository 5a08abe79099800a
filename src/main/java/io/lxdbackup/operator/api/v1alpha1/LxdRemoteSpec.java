package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import lombok.Data;

/** Desired state of an LxdRemote: how to reach and trust one LXD server or cluster. */
@ValidationRule(
        value = "!self.url.startsWith('https://') || has(self.clientCertificateSecretRef)",
        message = "clientCertificateSecretRef is required for https URLs")
@ValidationRule(
        value = "!(has(self.serverCertificate) && has(self.serverCertificateFingerprint))",
        message = "set at most one of serverCertificate and serverCertificateFingerprint")
@ValidationRule(
        value = "!has(self.allowedProjects) || !has(self.project) || self.project in self.allowedProjects",
        message = "project must be one of allowedProjects")
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class LxdRemoteSpec {

    @JsonPropertyDescription("Server address: https://host:8443 or unix:///path/to/unix.socket; required.")
    @Required
    @Pattern("^(https://|unix://).+")
    @Size(max = 2048)
    private String url;

    @JsonPropertyDescription("Default LXD project for objects using this remote; default \"default\".")
    @Default("default")
    @Size(min = 1, max = 63)
    private String project;

    @JsonPropertyDescription(
            "LXD projects that resources using this remote may name (their spec.project, or this remote's "
                    + "project when they name none); others are refused with reason ProjectNotAllowed. Absent = any project.")
    @Size(max = 100)
    private List<@Size(min = 1, max = 63) String> allowedProjects;

    @JsonPropertyDescription("Cluster member to address (?target=); absent = let the cluster choose.")
    @Size(max = 253)
    private String target;

    @JsonPropertyDescription(
            "Secret with the client certificate (keys tls.crt and tls.key, PEM; PKCS#8 or SEC1 EC keys); required for "
                    + "https URLs. The Secret must have type kubernetes.io/tls or the label lxdbackup.io/allow=true.")
    private ObjectRef clientCertificateSecretRef;

    @JsonPropertyDescription(
            "PEM certificate the server must present (pinning); mutually exclusive with serverCertificateFingerprint.")
    private String serverCertificate;

    @JsonPropertyDescription(
            "SHA-256 fingerprint (64 hex digits) the server certificate must have; mutually exclusive with serverCertificate.")
    @Pattern(SchemaPatterns.SHA256_HEX)
    private String serverCertificateFingerprint;

    @JsonPropertyDescription(
            "true = accept any server certificate (testing only); without a pin and without this the connection is refused; default false.")
    @Default("false")
    private Boolean insecureSkipVerify;

    @JsonPropertyDescription(
            "Secret key with an LXD trust token (lxc config trust add) used once to enrol the client certificate; "
                    + "optional. Sent only when the server certificate is pinned and the token was issued by that server (its fingerprint); "
                    + "the Secret must have type lxdbackup.io/trust-token or the label lxdbackup.io/allow=true. Trust passwords are not sent.")
    private SecretKeyRef trustTokenSecretRef;

    @JsonPropertyDescription("How often the server is probed (Go duration such as 30s, 5m); default 5m.")
    @Default("5m")
    @Pattern(SchemaPatterns.DURATION)
    private String probeInterval;
}
