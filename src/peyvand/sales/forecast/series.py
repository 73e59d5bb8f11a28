"""The revenue forecast's statistics: pure functions over a monthly series (Holt-Winters and its fall-backs)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SEASON = 12
# Two full years: the fewest months from which Holt-Winters can tell a seasonal pattern from a trend.
MIN_SEASONAL_HISTORY = 2 * SEASON
DEFAULT_HORIZON = 6
DEFAULT_HOLDOUT = 6
MAX_HORIZON = 24
MAX_HOLDOUT = 24
# The prediction interval: 80 %, the usual band in sales forecasting (95 % is so wide it says little).
INTERVAL = 0.80
_Z = {0.80: 1.2815515655446004, 0.90: 1.6448536269514722, 0.95: 1.959963984540054}


class Method:
    HOLT_WINTERS = "holt_winters"
    SEASONAL_NAIVE = "seasonal_naive"
    TREND = "trend"
    MEAN = "mean"
    NONE = "none"


@dataclass(frozen=True)
class SeriesForecast:
    method: str
    predicted: list[int]
    lower: list[int]
    upper: list[int]


@dataclass(frozen=True)
class Backtest:
    """The model fitted without the last months, and what it would have said about them."""

    method: str
    actual: list[int]
    predicted: list[int]
    mae: int
    # Mean absolute percentage error over the months with revenue; None when none had any.
    mape: float | None


@dataclass(frozen=True)
class SeriesResult:
    forecast: SeriesForecast
    backtest: Backtest | None
    # Whether the history was long enough for the seasonal model.
    enough_history: bool


def _rial(value: float) -> int:
    # Revenue is never negative; a model's float becomes whole Rials here and nowhere else.
    return max(0, round(value)) if math.isfinite(value) else 0


def _holt_winters(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    # Imported when first needed: statsmodels takes a few seconds to import, which every process need not pay.
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # type: ignore[import-untyped]

    # Revenue in Rials runs to 10^12 and more; the optimiser behaves best near 1, so the series is scaled.
    scale = float(np.mean(np.abs(y))) or 1.0
    with warnings.catch_warnings():
        # Convergence notes on short or perfectly regular series are expected and say nothing to the user.
        warnings.simplefilter("ignore")
        # The starting level, trend and season from the first two years (the heuristic), and only the three
        # smoothing weights optimised, by SLSQP without a brute-force grid search first: ~0.03 s a fit against
        # ~0.3-0.8 s for optimising the 17 starting values as well. On generated series (60 months, 2-3 % noise)
        # the forecasts differ by under one percent of a month's revenue, well inside the noise.
        model = ExponentialSmoothing(
            y / scale, trend="add", seasonal="add", seasonal_periods=SEASON, initialization_method="heuristic"
        )
        fit = model.fit(method="SLSQP", use_brute=False)
        predicted = np.asarray(fit.forecast(horizon), dtype=float) * scale
        sigma = float(np.std(np.asarray(fit.resid, dtype=float))) * scale
    if not (np.all(np.isfinite(predicted)) and math.isfinite(sigma)):
        raise ValueError("Holt-Winters gave no finite forecast")
    return predicted, sigma


def _seasonal_naive(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    # Each month as it was a year before; the spread is that of the year-on-year changes.
    n = len(y)
    predicted = np.array([y[n - SEASON + (h % SEASON)] for h in range(horizon)], dtype=float)
    changes = y[SEASON:] - y[:-SEASON]
    return predicted, float(np.std(changes)) if len(changes) > 1 else float(abs(changes[0]))


def _trend(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    t = np.arange(len(y), dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    ahead = np.arange(len(y), len(y) + horizon, dtype=float)
    residuals = y - (slope * t + intercept)
    return slope * ahead + intercept, float(np.std(residuals))


def _mean(y: np.ndarray, horizon: int) -> tuple[np.ndarray, float]:
    return np.full(horizon, float(np.mean(y))), float(np.std(y))


def fit_predict(values: Sequence[int], horizon: int) -> tuple[str, np.ndarray, float]:
    """(method, the next `horizon` values, the one-step spread) for a monthly series.

    Holt-Winters (additive trend and 12-month season) from two years of history; with less, the documented
    fall-backs: a seasonal naive forecast from 13 months, a straight-line trend from 3, the mean below that.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n == 0:
        return Method.NONE, np.zeros(horizon), 0.0
    if n >= MIN_SEASONAL_HISTORY and np.ptp(y) > 0:
        try:
            predicted, sigma = _holt_winters(y, horizon)
            return Method.HOLT_WINTERS, predicted, sigma
        except (ValueError, np.linalg.LinAlgError):
            pass  # falls back to the seasonal naive forecast below
    if n > SEASON:
        predicted, sigma = _seasonal_naive(y, horizon)
        return Method.SEASONAL_NAIVE, predicted, sigma
    if n >= 3:
        predicted, sigma = _trend(y, horizon)
        return Method.TREND, predicted, sigma
    predicted, sigma = _mean(y, horizon)
    return Method.MEAN, predicted, sigma


def backtest(values: Sequence[int], holdout: int) -> Backtest | None:
    """Fit on all but the last `holdout` months, forecast them, and compare; None when there is too little
    history to hold any back (fewer months than the held-back period and one more)."""
    if holdout < 1 or len(values) <= holdout:
        return None
    method, predicted, _sigma = fit_predict(values[:-holdout], holdout)
    actual = [int(v) for v in values[-holdout:]]
    guessed = [_rial(float(v)) for v in predicted]
    errors = [abs(a - p) for a, p in zip(actual, guessed, strict=True)]
    # Integer arithmetic for the money figure: half up to a Rial.
    mae = (2 * sum(errors) + len(errors)) // (2 * len(errors))
    ratios = [abs(a - p) / a for a, p in zip(actual, guessed, strict=True) if a > 0]
    mape = round(100 * sum(ratios) / len(ratios), 2) if ratios else None
    return Backtest(method, actual, guessed, mae, mape)


def forecast_series(
    values: Sequence[int], *, horizon: int = DEFAULT_HORIZON, holdout: int = DEFAULT_HOLDOUT, interval: float = INTERVAL
) -> SeriesResult:
    """The next `horizon` months of a monthly series with a prediction interval, and the error the same method
    makes on the last `holdout` months when fitted without them (0: no held-back check).

    The interval is the forecast ± z × the one-step spread × √(months ahead): the spread of a random walk's
    error, which grows with the distance, as every forecast's does.
    """
    method, predicted, sigma = fit_predict(values, horizon)
    z = _Z.get(interval, _Z[INTERVAL])
    width = [z * sigma * math.sqrt(h + 1) for h in range(horizon)]
    forecast = SeriesForecast(
        method=method,
        predicted=[_rial(float(v)) for v in predicted],
        lower=[_rial(float(v) - w) for v, w in zip(predicted, width, strict=True)],
        upper=[_rial(float(v) + w) for v, w in zip(predicted, width, strict=True)],
    )
    return SeriesResult(forecast, backtest(values, holdout), len(values) >= MIN_SEASONAL_HISTORY)
