package io.lxdbackup.operator.cli;

/** A failure while running a valid command (not found, forbidden, failed): exit code 1. */
public final class PluginException extends RuntimeException {
    public PluginException(String message) {
        super(message);
    }
}
