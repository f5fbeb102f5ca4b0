package io.quantbot.sweep.results;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.Call;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The calls of a sweep in result order: sorted by call id (code point order, which is UTF-8 byte
 * order, as DuckDB sorts run_results). A call's slot is its position here; every scenario writes its
 * rows into the same slots, so chunks come out identical however the work was scheduled, and a
 * resumed scenario re-sends identical chunks.
 */
public final class SweepCalls {
    /** Code point order = UTF-8 byte order; {@link String#compareTo} (UTF-16 units) differs above U+FFFF. */
    public static final Comparator<String> CODE_POINT_ORDER = (left, right) -> {
        int leftIndex = 0;
        int rightIndex = 0;
        while (leftIndex < left.length() && rightIndex < right.length()) {
            int leftCodePoint = left.codePointAt(leftIndex);
            int rightCodePoint = right.codePointAt(rightIndex);
            if (leftCodePoint != rightCodePoint) {
                return Integer.compare(leftCodePoint, rightCodePoint);
            }
            leftIndex += Character.charCount(leftCodePoint);
            rightIndex += Character.charCount(rightCodePoint);
        }
        return Integer.compare(left.length() - leftIndex, right.length() - rightIndex);
    };

    private final List<Call> calls;

    public SweepCalls(List<Call> calls) {
        requireNonNull(calls, "calls is null");
        List<Call> sorted = new ArrayList<>(calls);
        sorted.sort(Comparator.comparing(Call::callId, CODE_POINT_ORDER));
        Set<String> seen = new HashSet<>();
        for (Call call : sorted) {
            if (!seen.add(call.callId())) {
                throw new IllegalArgumentException("duplicate call id " + call.callId());
            }
        }
        this.calls = List.copyOf(sorted);
    }

    public int size() {
        return calls.size();
    }

    public Call get(int slot) {
        return calls.get(slot);
    }

    /** Sorted by call id. */
    public List<Call> asList() {
        return calls;
    }
}
