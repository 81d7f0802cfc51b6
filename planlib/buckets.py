"""Time buckets: ISO weeks and calendar months, their first days and their numbers.

Every week and month computation of planlib goes through this module, so that
there is one epoch and one rule for "which bucket holds this date".

Conventions
-----------
- A week starts on Monday (ISO 8601); ``"2026-W48"`` is the week of Monday 2026-11-23.
- A month bucket starts on the 1st.
- A *bucket number* counts buckets from a fixed epoch: weeks from Monday
  1970-01-05 (:data:`EPOCH`), months from January of year 0 (``year * 12 + month - 1``).
  Two dates are in the same bucket exactly when their numbers are equal.
- A *bucket index* counts weekly buckets from a plan's start (0 = the first week
  of the plan), clipped to the plan's horizon (:func:`week_index`).
- Bucket codes: ``"W"`` weeks, ``"M"`` months (:class:`planlib.params.PlanParams.bucket`).
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

__all__ = ["EPOCH", "BUCKETS", "bucket_start", "check_bucket", "iso_week", "lead_time_buckets", "monday",
           "pandas_freq", "parse_date_or_week", "period_number", "period_start", "week_index", "week_start",
           "week_starts"]

EPOCH = pd.Timestamp("1970-01-05")  # a Monday: week number 0
BUCKETS = ("W", "M")
_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")


def check_bucket(bucket: str) -> str:
    """``bucket`` if it is ``"W"`` or ``"M"``; ValueError otherwise."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be 'W' or 'M', not {bucket!r}")
    return bucket


# --------------------------------------------------------------------------- ISO weeks as text

def week_start(week: str) -> dt.date:
    """Monday of an ISO week: ``week_start("2026-W48") == date(2026, 11, 23)``."""
    m = _WEEK.match(week.strip())
    if not m:
        raise ValueError(f"not an ISO week: {week!r}; write it as YYYY-Www, e.g. 2026-W48")
    return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)


def iso_week(day: dt.date) -> str:
    """ISO week label of a date: ``iso_week(date(2026, 11, 23)) == "2026-W48"``."""
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def parse_date_or_week(text: str) -> dt.date:
    """A date from ``YYYY-MM-DD`` or an ISO week ``YYYY-Www`` (its Monday)."""
    text = str(text).strip()
    if _WEEK.match(text):
        return week_start(text)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r}; write YYYY-MM-DD or an ISO week YYYY-Www") from None


# --------------------------------------------------------------------------- dates to buckets

def monday(day):
    """The Monday on or before ``day`` (a ``date`` gives a ``date``, a Timestamp a midnight Timestamp)."""
    if isinstance(day, pd.Timestamp):
        return (day - pd.Timedelta(days=day.weekday())).normalize()
    if isinstance(day, dt.datetime):
        day = day.date()
    return day - dt.timedelta(days=day.weekday())


def bucket_start(dates, bucket: str = "W") -> pd.Series | pd.DatetimeIndex:
    """First day of the bucket holding each date: the Monday (``W``) or the 1st (``M``).

    A Series gives a Series (same index), anything else a DatetimeIndex; times of day are dropped.
    """
    d = pd.to_datetime(dates).normalize() if not isinstance(dates, pd.Series) else dates.dt.normalize()
    if bucket == "W":
        wd = d.dt.weekday if isinstance(d, pd.Series) else d.weekday
        return d - pd.to_timedelta(wd, unit="D")
    if bucket == "M":
        return (d.dt.to_period("M").dt.start_time if isinstance(d, pd.Series)
                else d.to_period("M").start_time)
    raise ValueError(f"bucket must be 'W' or 'M', not {bucket!r}")


def period_number(starts: pd.Series, bucket: str) -> np.ndarray:
    """Bucket number of each bucket start (weeks since :data:`EPOCH`, or ``year * 12 + month - 1``)."""
    if bucket == "W":
        return ((starts - EPOCH).dt.days // 7).to_numpy()
    return (starts.dt.year * 12 + starts.dt.month - 1).to_numpy()


def period_start(numbers, bucket: str) -> pd.DatetimeIndex:
    """First day of each bucket number (the inverse of :func:`period_number`)."""
    numbers = np.asarray(numbers, dtype="int64")
    if bucket == "W":
        return EPOCH + pd.to_timedelta(numbers * 7, unit="D")
    return pd.to_datetime(pd.DataFrame(dict(year=numbers // 12, month=numbers % 12 + 1, day=1)))


def pandas_freq(bucket: str) -> str:
    """The pandas frequency of a bucket: ``"W-MON"`` or ``"MS"``."""
    return "W-MON" if bucket == "W" else "MS"


# --------------------------------------------------------------------------- weeks of a plan

def week_starts(start, n: int) -> pd.DatetimeIndex:
    """The first days of ``n`` consecutive weekly buckets from ``start`` (a Monday for a weekly plan)."""
    return pd.date_range(pd.Timestamp(start), periods=n, freq="7D")


def week_index(dates, plan_start, n_periods: int) -> np.ndarray:
    """0-based weekly bucket of each date from ``plan_start``: before it -> 0 (past due), after
    the horizon -> ``n_periods``."""
    days = (pd.to_datetime(pd.Series(dates)).to_numpy("datetime64[D]")
            - np.datetime64(pd.Timestamp(plan_start).date(), "D")).astype(np.int64)
    return np.clip(np.floor_divide(days, 7), 0, n_periods)


def lead_time_buckets(lead_time_days) -> np.ndarray:
    """Lead-time offset in weekly buckets: days / 7 rounded up (7 days -> 1, 8 -> 2, 0 -> 0)."""
    days = np.asarray(lead_time_days, dtype=float)
    return np.ceil(days / 7.0 - 1e-9).clip(min=0).astype(np.int64)
