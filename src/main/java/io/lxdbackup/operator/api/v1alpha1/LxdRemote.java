package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A connection to one LXD server or cluster. */
// the description of the whole kind (kubectl explain lxdremote); the generator takes it from here only
@SchemaCustomizer(
        value = SchemaCustomizer.MergePatchCustomizer.class,
        input =
                "{\"description\": \"A connection to one LXD server or cluster: its URL, the client certificate Secret and the pinned server certificate. The status reports the server version, name, clustering and capabilities.\"}")
@Group("lxdbackup.io")
@Version("v1alpha1")
@ShortNames("lxdr")
@Plural("lxdremotes")
@Categories("lxdbackup")
// kubectl shows the columns in JSONPath order: the generator sorts them (fabric8 issue 3974)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".spec.url", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Version",
        jsonPath = ".status.serverVersion",
        type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
        name = "Clustered",
        jsonPath = ".status.clustered",
        type = AdditionalPrinterColumn.Type.BOOLEAN,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Last Probe",
        jsonPath = ".status.lastProbeTime",
        type = AdditionalPrinterColumn.Type.DATE,
        priority = 1)
@AdditionalPrinterColumn(
        name = "Age",
        jsonPath = ".metadata.creationTimestamp",
        type = AdditionalPrinterColumn.Type.DATE)
public class LxdRemote extends CustomResource<LxdRemoteSpec, LxdRemoteStatus> implements Namespaced {

    // overridden only to carry the schema description and the required flag (kubectl explain)
    @Override
    @Required
    @JsonPropertyDescription("How to reach and trust one LXD server or cluster.")
    public LxdRemoteSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("Observed state of the remote: reachability, server version and capabilities.")
    public LxdRemoteStatus getStatus() {
        return super.getStatus();
    }
}
