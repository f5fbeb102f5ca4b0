package io.quantbot.sweep.optimize;

import static java.util.Objects.requireNonNull;

import io.quantbot.sweep.simulation.Call;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Walk-forward folds by call time: the calls, ordered by time (then id), are cut into {@code folds + 1} contiguous
 * blocks of nearly equal size; fold k trains on blocks 0..k and scores on block k + 1. A block boundary never splits
 * calls with the same time, so every in-sample call of a fold is strictly earlier than every out-of-sample one.
 */
public final class WalkForwardFolds {
    /** Indexes into the call list given to {@link #of}. */
    public record Fold(int index, List<Integer> inSample, List<Integer> outOfSample) {
        public Fold {
            inSample = List.copyOf(inSample);
            outOfSample = List.copyOf(outOfSample);
        }
    }

    private WalkForwardFolds() {}

    public static List<Fold> of(List<Call> calls, int folds) {
        requireNonNull(calls, "calls is null");
        if (folds < 1) {
            throw new IllegalArgumentException("folds must be >= 1");
        }
        List<Integer> order = IntStream.range(0, calls.size()).boxed()
                .sorted(Comparator.comparingLong((Integer i) -> calls.get(i).timestampMillis())
                        .thenComparing(i -> calls.get(i).callId()))
                .toList();
        int blocks = folds + 1;
        int[] bounds = new int[blocks + 1];
        bounds[blocks] = order.size();
        for (int block = 1; block < blocks; block++) {
            int bound = Math.max(bounds[block - 1], (int) ((long) order.size() * block / blocks));
            while (bound > 0 && bound < order.size()
                    && calls.get(order.get(bound)).timestampMillis() == calls.get(order.get(bound - 1)).timestampMillis()) {
                bound++;
            }
            bounds[block] = bound;
        }
        List<Fold> result = new ArrayList<>(folds);
        for (int fold = 0; fold < folds; fold++) {
            List<Integer> inSample = order.subList(0, bounds[fold + 1]);
            List<Integer> outOfSample = order.subList(bounds[fold + 1], bounds[fold + 2]);
            if (inSample.isEmpty() || outOfSample.isEmpty()) {
                throw new IllegalArgumentException(calls.size() + " calls cannot make " + folds
                        + " walk-forward folds with calls on both sides (times repeat too much or too few calls)");
            }
            result.add(new Fold(fold, inSample, outOfSample));
        }
        return result;
    }
}
