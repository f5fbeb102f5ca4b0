package io.quantbot.sweep.spec;

import static java.util.Objects.requireNonNull;

/**
 * How a trade enters after a call (sweep file key {@code entry}); docs/backtest-rules.md states each rule.
 *
 * @param tolerancePct limit rule only: the limit price is call price × (1 + tolerancePct / 100)
 * @param windowMillis limit rule only: the limit order waits for candles opening in [call + lag, call + lag + window)
 */
public record EntryRule(Kind kind, double tolerancePct, long windowMillis) {
    public static final EntryRule NEXT_OPEN = new EntryRule(Kind.NEXT_OPEN, 0, 0);
    public static final EntryRule NEXT_CLOSE = new EntryRule(Kind.NEXT_CLOSE, 0, 0);

    public enum Kind {
        /** At the open of the first candle opening at or after call + lag. */
        NEXT_OPEN("next_open"),
        /** At the close of the first candle opening at or after call + lag, stamped at that candle's end. */
        NEXT_CLOSE("next_close"),
        /** A buy limit at call price × (1 + tolerance) that fills only if a candle in the window trades at or below it. */
        LIMIT("limit");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public EntryRule {
        requireNonNull(kind, "kind is null");
        if (kind == Kind.LIMIT) {
            if (!(tolerancePct >= 0) || Double.isInfinite(tolerancePct)) {
                throw new IllegalArgumentException("tolerancePct must be >= 0");
            }
            if (windowMillis <= 0) {
                throw new IllegalArgumentException("windowMillis must be > 0");
            }
        }
        else if (tolerancePct != 0 || windowMillis != 0) {
            throw new IllegalArgumentException(kind.label() + " takes no tolerance or window");
        }
    }

    public static EntryRule limit(double tolerancePct, long windowMillis) {
        return new EntryRule(Kind.LIMIT, tolerancePct, windowMillis);
    }

    /** {@code next_open}, {@code next_close}, {@code limit(tol=2%,window=30m)}: stable, used in the sweep's canonical text. */
    public String label() {
        if (kind != Kind.LIMIT) {
            return kind.label();
        }
        return "limit(tol=" + Overlay.formatPercent(tolerancePct) + "%,window=" + Durations.format(windowMillis) + ")";
    }
}
