package io.lxdbackup.operator.schedule;

/**
 * A cron expression or time zone that cannot be used. The message is meant for the user: it quotes
 * what they wrote and says what to change, so a controller can copy it into a condition as is.
 */
public final class InvalidScheduleException extends IllegalArgumentException {

    public InvalidScheduleException(String message) {
        super(message);
    }

    public InvalidScheduleException(String message, Throwable cause) {
        super(message, cause);
    }
}
