package io.quantbot.sweep.spec;

import java.math.BigDecimal;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One exit rule of an overlay set. Percentages are given in percent ({@code pct: 50} = 50 %), as
 * researchers write them; {@link #fraction()} is what the simulation uses.
 */
public sealed interface Overlay permits Overlay.TakeProfit, Overlay.StopLoss, Overlay.TrailingStop, Overlay.TimeExit,
        Overlay.TakeProfitLadder, Overlay.StopLadder {

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

    /**
     * One leg of a ladder: at {@code pct} from the entry price, sell {@code fraction} of the original position
     * (or what is left of it, if less).
     */
    record Leg(double pct, double fraction) {
        public Leg {
            if (!(pct > 0) || Double.isInfinite(pct)) {
                throw new IllegalArgumentException("pct must be > 0");
            }
            if (!(fraction > 0) || fraction > 1) {
                throw new IllegalArgumentException("fraction must be in (0, 1]");
            }
        }

        String label() {
            return formatPercent(pct) + "x" + formatPercent(fraction);
        }
    }

    /** Partial take-profits: each leg sells its fraction when the high reaches entry × (1 + pct/100), at that price. */
    record TakeProfitLadder(List<Leg> legs) implements Overlay {
        public TakeProfitLadder {
            legs = List.copyOf(legs);
            checkLadder(legs);
        }

        @Override
        public String type() {
            return "take_profit_ladder";
        }

        @Override
        public String label() {
            return "tpl" + legs.stream().map(Leg::label).collect(Collectors.joining("-"));
        }
    }

    /** Partial stops: each leg sells its fraction when the low reaches entry × (1 - pct/100); a gap fills at the open. */
    record StopLadder(List<Leg> legs) implements Overlay {
        public StopLadder {
            legs = List.copyOf(legs);
            checkLadder(legs);
            for (Leg leg : legs) {
                if (leg.pct() >= 100) {
                    throw new IllegalArgumentException("a stop leg must be < 100 %");
                }
            }
        }

        @Override
        public String type() {
            return "stop_ladder";
        }

        @Override
        public String label() {
            return "sll" + legs.stream().map(Leg::label).collect(Collectors.joining("-"));
        }
    }

    /** Tolerance of the check that a ladder's fractions add up to at most 1 (decimal fractions such as 0.1 + 0.2). */
    double FRACTION_SUM_TOLERANCE = 1e-9;

    private static void checkLadder(List<Leg> legs) {
        if (legs.isEmpty()) {
            throw new IllegalArgumentException("a ladder needs at least one leg");
        }
        double sum = 0;
        for (int index = 0; index < legs.size(); index++) {
            sum += legs.get(index).fraction();
            if (index > 0 && !(legs.get(index).pct() > legs.get(index - 1).pct())) {
                throw new IllegalArgumentException("ladder legs must be in strictly ascending pct order");
            }
        }
        if (sum > 1 + FRACTION_SUM_TOLERANCE) {
            throw new IllegalArgumentException("ladder fractions add up to " + sum + " > 1");
        }
    }

    /** {@code 50.0 → "50"}, {@code 12.5 → "12.5"}: no exponent, no trailing zeros, stable across JDKs. */
    static String formatPercent(double pct) {
        return BigDecimal.valueOf(pct).stripTrailingZeros().toPlainString();
    }
}
