package io.quantbot.sweep.spec;

import java.math.BigDecimal;

/**
 * One exit rule of an overlay set. Percentages are given in percent ({@code pct: 50} = 50 %), as
 * researchers write them; {@link #fraction()} is what the simulation uses.
 */
public sealed interface Overlay permits Overlay.TakeProfit, Overlay.StopLoss, Overlay.TrailingStop, Overlay.TimeExit {

    /** The {@code type} value in the sweep file. */
    String type();

    /** Short stable label used in derived overlay-set names, e.g. {@code tp50}, {@code tx4h}. */
    String label();

    /** Exit when the high reaches entry × (1 + pct/100); fills at the target price. */
    record TakeProfit(double pct) implements Overlay {
        @Override
        public String type() {
            return "take_profit";
        }

        @Override
        public String label() {
            return "tp" + formatPercent(pct);
        }

        public double fraction() {
            return pct / 100.0;
        }
    }

    /** Exit when the low reaches entry × (1 - pct/100); a gap below the stop fills at the open. */
    record StopLoss(double pct) implements Overlay {
        @Override
        public String type() {
            return "stop_loss";
        }

        @Override
        public String label() {
            return "sl" + formatPercent(pct);
        }

        public double fraction() {
            return pct / 100.0;
        }
    }

    /** Exit when the low reaches (running max of highs since entry) × (1 - pct/100). */
    record TrailingStop(double pct) implements Overlay {
        @Override
        public String type() {
            return "trailing_stop";
        }

        @Override
        public String label() {
            return "tr" + formatPercent(pct);
        }

        public double fraction() {
            return pct / 100.0;
        }
    }

    /** Exit at the open of the first candle at or after entry + {@code afterMillis}. */
    record TimeExit(long afterMillis) implements Overlay {
        @Override
        public String type() {
            return "time_exit";
        }

        @Override
        public String label() {
            return "tx" + Durations.format(afterMillis);
        }
    }

    /** {@code 50.0 → "50"}, {@code 12.5 → "12.5"}: no exponent, no trailing zeros, stable across JDKs. */
    static String formatPercent(double pct) {
        return BigDecimal.valueOf(pct).stripTrailingZeros().toPlainString();
    }
}
