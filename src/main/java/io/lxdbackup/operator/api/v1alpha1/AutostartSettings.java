package io.lxdbackup.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.LinkedHashMap;
import java.util.Map;
import lombok.Data;

/**
 * The source instance's own {@code boot.autostart*} config keys, as read when a copy started. A
 * copy on the backup server carries {@code boot.autostart=false}; promoting it puts these back.
 * An absent value means the key was not set on the instance itself.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@Data
public class AutostartSettings {

    public static final String AUTOSTART = "boot.autostart";
    public static final String PRIORITY = "boot.autostart.priority";
    public static final String DELAY = "boot.autostart.delay";

    @JsonPropertyDescription("RFC 3339 time these settings were read from the source instance.")
    private String recordedAt;

    @JsonPropertyDescription(
            "The source's boot.autostart; absent = not set on the instance (LXD then starts it if it was running when the server stopped).")
    private String autostart;

    @JsonPropertyDescription("The source's boot.autostart.priority; absent = not set on the instance.")
    private String priority;

    @JsonPropertyDescription("The source's boot.autostart.delay; absent = not set on the instance.")
    private String delay;

    public AutostartSettings() {}

    /** The autostart keys of an instance's own config (not the ones its profiles give it). */
    public static AutostartSettings of(Map<String, String> config, String recordedAt) {
        AutostartSettings s = new AutostartSettings();
        Map<String, String> c = config == null ? Map.of() : config;
        s.recordedAt = recordedAt;
        s.autostart = c.get(AUTOSTART);
        s.priority = c.get(PRIORITY);
        s.delay = c.get(DELAY);
        return s;
    }

    /** Config key to value, for the keys that were set (absent keys are not in the map). */
    public Map<String, String> keys() {
        Map<String, String> m = new LinkedHashMap<>();
        if (autostart != null) {
            m.put(AUTOSTART, autostart);
        }
        if (priority != null) {
            m.put(PRIORITY, priority);
        }
        if (delay != null) {
            m.put(DELAY, delay);
        }
        return m;
    }
}
