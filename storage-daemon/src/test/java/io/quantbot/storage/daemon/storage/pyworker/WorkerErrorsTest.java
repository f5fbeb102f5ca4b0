package io.quantbot.storage.daemon.storage.pyworker;

import static org.assertj.core.api.Assertions.assertThat;

import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.FieldViolation;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.worker.v1.Issue;
import io.quantbot.storage.worker.v1.WorkerError;
import org.junit.jupiter.api.Test;

class WorkerErrorsTest {
    @Test
    void everyWorkerCodeHasADaemonCode() {
        for (WorkerError.Code code : WorkerError.Code.values()) {
            assertThat(WorkerErrors.codeOf(code)).as("%s", code).isNotNull();
        }
        assertThat(WorkerErrors.codeOf(WorkerError.Code.INVALID_SQL)).isEqualTo(ErrorCode.INVALID_SQL);
        assertThat(WorkerErrors.codeOf(WorkerError.Code.INVALID_INPUT_DATA)).isEqualTo(ErrorCode.INVALID_INPUT_DATA);
        assertThat(WorkerErrors.codeOf(WorkerError.Code.PATH_NOT_ALLOWED)).isEqualTo(ErrorCode.PATH_NOT_ALLOWED);
        assertThat(WorkerErrors.codeOf(WorkerError.Code.NOT_FOUND)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(WorkerErrors.codeOf(WorkerError.Code.CANCELLED)).isEqualTo(ErrorCode.CANCELLED);
        assertThat(WorkerErrors.codeOf(WorkerError.Code.DEADLINE_EXCEEDED)).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
        assertThat(WorkerErrors.codeOf(WorkerError.Code.RESOURCE_EXHAUSTED)).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        assertThat(WorkerErrors.codeOf(WorkerError.Code.INTERNAL)).isEqualTo(ErrorCode.WORKER_FAILED);
    }

    @Test
    void issuesBecomeFieldViolations() {
        StorageException e = WorkerErrors.toException("import_snapshot", 77, WorkerError.newBuilder()
                .setCode(WorkerError.Code.INVALID_INPUT_DATA)
                .setMessage("snapshot failed validation: 2 problems in bad.csv; first: bad.csv row 2 column high: too low")
                .addIssues(Issue.newBuilder().setFile("bad.csv").setRow(2).setColumn("high").setMessage("high 0.5 is below max(open, close) = 1.0"))
                .addIssues(Issue.newBuilder().setFile("bad.csv").setRow(0).setMessage("unreadable"))
                .build());
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT_DATA);
        assertThat(e.getMessage()).startsWith("snapshot failed validation");
        assertThat(e.violations()).containsExactly(
                new FieldViolation("bad.csv:2:high", "high 0.5 is below max(open, close) = 1.0"),
                new FieldViolation("bad.csv:0:", "unreadable"));
        assertThat(e.metadata()).containsEntry("op", "import_snapshot");
    }

    @Test
    void internalErrorsSayWhereTheTracebackIsNotWhatItSays() {
        StorageException e = WorkerErrors.toException("query", 77, WorkerError.newBuilder()
                .setCode(WorkerError.Code.INTERNAL)
                .setMessage("KeyError: 'x'")
                .setTraceback("Traceback (most recent call last):\n  File \"worker.py\", line 1\nKeyError: 'x'")
                .build());
        assertThat(e.code()).isEqualTo(ErrorCode.WORKER_FAILED);
        assertThat(e.getMessage()).isEqualTo("python worker 77 failed while running query: KeyError: 'x' (the daemon log has the traceback)");
        assertThat(WorkerErrors.toException("query", 77, WorkerError.newBuilder().setCode(WorkerError.Code.CANCELLED).build()).getMessage())
                .isEqualTo("the query call failed (CANCELLED)");
    }
}
