package io.lxdbackup.operator.api.v1alpha1;

/** Regular expressions used in the CRD schemas; public so that the operator validates the same way. */
public final class SchemaPatterns {

    /** Go/Kubernetes duration such as {@code 90s}, {@code 36h}, {@code 1h30m}; days ({@code 7d}) are not valid. */
    public static final String DURATION = "^([0-9]+(\\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+$";

    /** RFC 3339 timestamp such as {@code 2026-12-01T00:00:00Z}. */
    public static final String RFC3339 =
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$";

    /** SHA-256 digest as 64 hex digits, no separators. */
    public static final String SHA256_HEX = "^[0-9a-fA-F]{64}$";

    private SchemaPatterns() {}
}
