package io.lxdbackup.operator.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A table in kubectl's style: upper-case headers, left aligned, columns 3 spaces apart. */
public final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers =
                List.of(headers).stream().map(h -> h.toUpperCase(Locale.ROOT)).toList();
    }

    public Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("row of " + cells.length + " cells for " + headers.size() + " columns");
        }
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(c == null || c.toString().isEmpty() ? "<none>" : c.toString().replace('\n', ' '));
        }
        rows.add(r);
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    public String render() {
        int[] width = new int[headers.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = headers.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, headers, width);
        for (List<String> r : rows) {
            line(sb, r, width);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            l.append(cells.get(i));
            if (i < cells.size() - 1) {
                l.append(" ".repeat(width[i] - cells.get(i).length() + 3));
            }
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    /** Bytes for humans, like {@code 1.5GiB}. */
    public static String bytes(Long n) {
        if (n == null) {
            return null;
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + "B" : String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }
}
