package io.lxdbackup.operator.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the command-line tools the tests drive (kubectl, helm) as a user would. */
public final class Commands {
    private Commands() {}

    /** The path of a tool {@code hack/tools.sh} installs or finds (it prints {@code NAME=path}). */
    public static String tool(String name) throws Exception {
        String out = run(List.of("bash", "hack/tools.sh"), null, false);
        for (String line : out.split("\n")) {
            if (line.startsWith(name + "=")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new IllegalStateException("hack/tools.sh did not print " + name + ": " + out);
    }

    /**
     * Runs {@code cmd} with {@code stdin} (or none) and returns its output; fails unless it exits
     * 0 within 5 minutes. {@code withStderr}: stderr is part of the output (for messages),
     * otherwise discarded (for output that is parsed).
     */
    public static String run(List<String> cmd, String stdin, boolean withStderr)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (withStderr) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish: " + out);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): " + out);
        }
        return out;
    }
}
