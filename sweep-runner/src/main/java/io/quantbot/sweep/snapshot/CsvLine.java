package io.quantbot.sweep.snapshot;

import java.util.ArrayList;
import java.util.List;

/** Splits one CSV line (RFC 4180 quoting, no embedded line breaks: snapshot files have none). */
final class CsvLine {
    private CsvLine() {}

    static String[] split(String line, int expectedFields) {
        if (line.indexOf('"') < 0) {
            String[] fields = new String[expectedFields];
            int count = 0;
            int start = 0;
            for (int index = 0; index <= line.length(); index++) {
                if (index == line.length() || line.charAt(index) == ',') {
                    if (count == expectedFields) {
                        return splitSlow(line);
                    }
                    fields[count++] = line.substring(start, index);
                    start = index + 1;
                }
            }
            return count == expectedFields ? fields : splitSlow(line);
        }
        return splitSlow(line);
    }

    private static String[] splitSlow(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int index = 0; index < line.length(); index++) {
            char character = line.charAt(index);
            if (quoted) {
                if (character == '"') {
                    if (index + 1 < line.length() && line.charAt(index + 1) == '"') {
                        field.append('"');
                        index++;
                    }
                    else {
                        quoted = false;
                    }
                }
                else {
                    field.append(character);
                }
            }
            else if (character == '"') {
                quoted = true;
            }
            else if (character == ',') {
                fields.add(field.toString());
                field.setLength(0);
            }
            else {
                field.append(character);
            }
        }
        fields.add(field.toString());
        return fields.toArray(String[]::new);
    }
}
