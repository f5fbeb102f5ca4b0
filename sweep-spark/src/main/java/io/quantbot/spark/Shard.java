package io.quantbot.spark;

import io.quantbot.sweep.spec.Scenario;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** Some scenarios of one interval, the unit of one Spark task. */
record Shard(int index, int intervalIndex, List<String> scenarioIds) implements Serializable {
    private static final long serialVersionUID = 1L;

    Shard {
        scenarioIds = List.copyOf(scenarioIds);
    }

    /**
     * The scenarios to run, in sweep order, cut into shards of at most {@code perShard} scenarios that never span two
     * intervals (a task fetches, or finds in its JVM's cache, the candles of its interval only).
     */
    static List<Shard> plan(List<Scenario> todo, int perShard) {
        if (perShard < 1) {
            throw new IllegalArgumentException("perShard must be >= 1");
        }
        List<Shard> shards = new ArrayList<>();
        List<String> current = new ArrayList<>();
        int interval = -1;
        List<Scenario> ordered = new ArrayList<>(todo);
        ordered.sort(java.util.Comparator.comparingInt(Scenario::intervalIndex).thenComparingInt(Scenario::index));
        for (Scenario scenario : ordered) {
            if (!current.isEmpty() && (scenario.intervalIndex() != interval || current.size() == perShard)) {
                shards.add(new Shard(shards.size(), interval, current));
                current = new ArrayList<>();
            }
            interval = scenario.intervalIndex();
            current.add(scenario.id());
        }
        if (!current.isEmpty()) {
            shards.add(new Shard(shards.size(), interval, current));
        }
        return shards;
    }
}
