package io.lxdbackup.operator.cli;

/** A bad command line: the plugin prints the message and exits with code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
