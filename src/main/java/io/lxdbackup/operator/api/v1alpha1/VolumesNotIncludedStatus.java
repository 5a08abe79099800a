package io.lxdbackup.operator.api.v1alpha1;

import java.util.List;

/** A status that lists the custom volumes attached to the instance that its backup did not cover. */
public interface VolumesNotIncludedStatus {
    List<AttachedVolume> getVolumesNotIncluded();

    void setVolumesNotIncluded(List<AttachedVolume> volumes);
}
