package io.quantbot.spark;

import io.quantbot.sweep.progress.ProgressReporter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.util.LongAccumulator;

/**
 * The driver's progress: the runner's progress line (backtests, backtests/s, ETA) advanced as tasks report their
 * backtests, and one line per finished task ({@code task 3/8 done …}) or failed attempt.
 */
final class DriverProgress extends SparkListener {
    private final ProgressReporter progress;
    private final LongAccumulator backtests;
    private final int tasks;
    private final Set<Integer> done = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failedAttempts = new AtomicInteger();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private final AtomicInteger events = new AtomicInteger();
    private final AtomicInteger speculative = new AtomicInteger();
    private long reported;

    DriverProgress(ProgressReporter progress, LongAccumulator backtests, int tasks) {
        this.progress = progress;
        this.backtests = backtests;
        this.tasks = tasks;
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        if (start.taskInfo().speculative()) {
            speculative.incrementAndGet();
            progress.println(String.format(Locale.ROOT, "speculative copy of shard %d started on executor %s",
                    start.taskInfo().index(), start.taskInfo().executorId()));
        }
    }

    /** Speculative copies Spark started. */
    int speculativeCopies() {
        return speculative.get();
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        int partition = end.taskInfo().index();
        String executor = end.taskInfo().executorId();
        double seconds = end.taskInfo().duration() / 1e3;
        if (end.reason() == Success$.MODULE$) {
            synchronized (this) {
                long now = backtests.value();
                if (now > reported) {
                    progress.advance(now - reported);
                    reported = now;
                }
            }
            if (done.add(partition)) {
                progress.println(String.format(Locale.ROOT, "task %d/%d done: shard %d on executor %s%s in %.1f s",
                        done.size(), tasks, partition, executor, end.taskInfo().speculative() ? " (speculative copy)" : "",
                        seconds));
            }
        }
        else {
            failedAttempts.incrementAndGet();
            String reason = end.reason().getClass().getSimpleName().replace("$", "");
            failures.merge(reason, 1, Integer::sum);
            progress.println(String.format(Locale.ROOT, "task attempt for shard %d on executor %s ended %s after %.1f s%s",
                    partition, executor, reason, seconds, done.contains(partition) ? " (the shard was done already)"
                            : "; Spark runs it again"));
        }
        events.incrementAndGet();
    }

    int failedAttempts() {
        return failedAttempts.get();
    }

    String describeFailures() {
        return failures.isEmpty() ? "none" : new TreeMap<>(failures).toString();
    }

    /** Listener events are delivered asynchronously: wait (briefly, for a condition) until every task's end was seen. */
    void awaitQuiet(Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (done.size() < tasks && System.nanoTime() < deadline) {
            synchronized (this) {
                wait(20);
            }
        }
    }
}
