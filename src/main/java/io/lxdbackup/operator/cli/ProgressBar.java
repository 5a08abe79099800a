package io.lxdbackup.operator.cli;

import io.lxdbackup.operator.api.v1alpha1.Progress;
import java.io.PrintStream;
import java.util.Objects;

/**
 * The progress of an export from {@code status.progress}: a bar redrawn on one line on a
 * terminal, else a plain line whenever the phase or the tenth of the way changes.
 */
final class ProgressBar {
    static final int WIDTH = 30;
    private final PrintStream out;
    private final boolean terminal;
    private String lastLine;
    private boolean drawn;

    ProgressBar(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    void update(String phase, Progress p) {
        String phaseText = phase == null || phase.equals("null") ? "Pending" : phase;
        if (terminal) {
            out.print("\r" + bar(p) + "  " + phaseText + "\033[K");
            out.flush();
            drawn = true;
            return;
        }
        Integer pct = p == null ? null : p.getPercent();
        String line = phaseText + (pct == null ? "" : " " + (pct / 10 * 10) + "%");
        if (!Objects.equals(line, lastLine)) {
            lastLine = line;
            out.println(phaseText + (p == null ? "" : " " + text(p)));
        }
    }

    void end() {
        if (drawn) {
            out.println();
            drawn = false;
        }
    }

    /** {@code [##########----------]  50%}. */
    static String bar(Progress p) {
        Integer pct = p == null ? null : p.getPercent();
        int filled = pct == null ? 0 : Math.max(0, Math.min(WIDTH, pct * WIDTH / 100));
        return "[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + (p == null ? "" : text(p));
    }

    /** {@code 50% (1.0GiB of 2.0GiB)}, or the bytes alone when the total is unknown. */
    static String text(Progress p) {
        String done = Table.bytes(p.getBytesDone() == null ? 0L : p.getBytesDone());
        if (p.getPercent() == null) {
            return done;
        }
        return String.format("%3d%%", p.getPercent()) + " (" + done
                + (p.getTotalBytes() == null ? "" : " of " + Table.bytes(p.getTotalBytes())) + ")";
    }
}
