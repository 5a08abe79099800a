package io.lxdbackup.operator.controller;

/**
 * The one place that bounds the messages the operator writes into status conditions, errors
 * and Events. Messages often carry text from a server (LXD's error, an S3 error body); a server
 * answering with megabytes must not make a status patch or an Event too large for the API
 * server, nor fill etcd.
 */
public final class Messages {
    /** Longest condition or error message kept in a status. */
    public static final int MAX_STATUS = 2048;
    /** Longest Event message (the events.k8s.io API refuses notes above 1 KiB). */
    public static final int MAX_EVENT = 1024;

    static final String CUT = " … (truncated)";

    private Messages() {}

    /** {@code message} cut to at most {@code max} characters, marked when cut; null stays null. */
    public static String truncate(String message, int max) {
        if (message == null || message.length() <= max) {
            return message;
        }
        int end = max - CUT.length();
        // never split a surrogate pair
        if (end > 0 && Character.isHighSurrogate(message.charAt(end - 1))) {
            end--;
        }
        return message.substring(0, Math.max(0, end)) + CUT;
    }
}
