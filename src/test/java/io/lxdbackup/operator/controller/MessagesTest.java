package io.lxdbackup.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.lxdbackup.operator.api.v1alpha1.Condition;
import io.lxdbackup.operator.api.v1alpha1.InstanceExportStatus;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class MessagesTest {
    @Test
    void statusMessagesAreCutToASafeLengthInOnePlace() {
        String huge = "LXD said: " + "e".repeat(1_000_000);
        InstanceExportStatus st = new InstanceExportStatus();
        Conditions.set(st, 1, Clock.systemUTC(), Condition.COMPLETE, false, Reasons.LXD_ERROR, huge);
        String kept = st.findCondition(Condition.COMPLETE).orElseThrow().getMessage();
        assertThat(kept)
                .hasSize(Messages.MAX_STATUS)
                .startsWith("LXD said: eee")
                .endsWith("(truncated)");
        assertThat(st.getLastError().getMessage()).hasSize(Messages.MAX_STATUS);
        assertThat(Messages.truncate("short", 10)).isEqualTo("short");
        assertThat(Messages.truncate(null, 10)).isNull();
        // a surrogate pair is never split
        String emoji = "a".repeat(Messages.MAX_EVENT - Messages.CUT.length() - 1) + "\uD83D\uDE00" + "b".repeat(10);
        String cut = Messages.truncate(emoji, Messages.MAX_EVENT);
        assertThat(cut.length()).isLessThanOrEqualTo(Messages.MAX_EVENT);
        assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - Messages.CUT.length() - 1)))
                .isFalse();
    }
}
