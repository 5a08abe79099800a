package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.api.v1alpha1.CopyMode;
import io.lxdbackup.operator.api.v1alpha1.InstanceCopySpec;
import io.lxdbackup.operator.api.v1alpha1.ObjectRef;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Which spec changes end a running relay copy, and which let it finish. */
class RelayJobTest {

    private static InstanceCopySpec spec(Consumer<InstanceCopySpec> edit) {
        InstanceCopySpec s = new InstanceCopySpec();
        ObjectRef a = new ObjectRef();
        a.setName("lxd-a");
        ObjectRef b = new ObjectRef();
        b.setName("lxd-b");
        s.setSourceRemoteRef(a);
        s.setTargetRemoteRef(b);
        s.setInstance("db1");
        s.setTargetInstance("db1");
        s.setMode(CopyMode.RELAY);
        s.setSchedule("@hourly");
        edit.accept(s);
        return s;
    }

    private static boolean ends(Consumer<InstanceCopySpec> edit) {
        return new InstanceCopyReconciler.RelayJob(1, spec(x -> {})).endedBy(spec(edit));
    }

    @Test
    void whenLaterCopiesRunIsNotAReasonToStopTheRunningOne() {
        assertThat(ends(s -> {})).isFalse();
        assertThat(ends(s -> s.setSchedule("0 3 * * *"))).isFalse();
        assertThat(ends(s -> s.setTimeZone("Europe/Berlin"))).isFalse();
        assertThat(ends(s -> s.setStartingDeadlineSeconds(600L))).isFalse();
        assertThat(ends(s -> s.setStartOnPromote(false))).isFalse();
    }

    @Test
    void suspendPromoteAndAnyChangeToTheTransferStopIt() {
        assertThat(ends(s -> s.setSuspend(true))).isTrue();
        assertThat(ends(s -> s.setPromote(true))).isTrue();
        assertThat(ends(s -> s.setInstance("db2"))).isTrue();
        assertThat(ends(s -> s.setTargetInstance("db1-copy"))).isTrue();
        assertThat(ends(s -> s.setMode(CopyMode.PULL))).isTrue();
        assertThat(ends(s -> s.setInstanceOnly(true))).isTrue();
        assertThat(ends(s -> s.setTargetStoragePool("fast"))).isTrue();
        assertThat(ends(s -> s.getTargetRemoteRef().setName("lxd-c"))).isTrue();
    }
}
