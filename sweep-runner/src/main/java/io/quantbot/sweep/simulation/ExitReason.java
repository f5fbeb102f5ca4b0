package io.quantbot.sweep.simulation;

/** Why a trade closed; {@link #label()} is the {@code exit_reason} value in run_results. */
public enum ExitReason {
    TAKE_PROFIT("take_profit"),
    STOP_LOSS("stop_loss"),
    TRAILING_STOP("trailing_stop"),
    TIME_EXIT("time_exit"),
    END_OF_DATA("end_of_data");

    private final String label;

    ExitReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
