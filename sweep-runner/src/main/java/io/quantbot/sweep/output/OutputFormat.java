package io.quantbot.sweep.output;

/** {@code --output table|json|csv}: tables for people, JSON and CSV for programs. */
public enum OutputFormat {
    TABLE,
    JSON,
    CSV
}
