"""Planning parameters: the settings that travel together through a plan."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace

import pandas as pd

from planlib.buckets import iso_week, parse_date_or_week, week_start  # noqa: F401  (the plan's weeks)

SAMPLE_PLAN_START = dt.date(2026, 11, 23)  # Monday of ISO week 2026-W48


@dataclass(frozen=True)
class PlanParams:
    """Settings of one planning run, with the defaults a weekly plan uses.

    Attributes
    ----------
    plan_start : date
        First day of the plan (a Monday for weekly buckets). Demand and
        receipts dated before it are past due.
    bucket : str
        ``"W"`` weekly buckets starting Monday, or ``"M"`` calendar months.
    horizon_weeks : int
        MRP horizon in buckets of ``bucket``.
    forecast_horizon : int
        Forecast horizon in buckets.
    demand_time_fence_weeks : int
        Inside the fence only customer orders count as demand; beyond it the
        larger of forecast and orders (after consumption).
    consumption_backward_weeks, consumption_forward_weeks : int
        How far an order looks back, then forward, for forecast to consume.
    service_level : float
        Default cycle service level for items without ``items.service_level``.
    review_period_weeks : int
        Review period added to the lead time for safety stock.
    schedule_horizon_days : int
        Scheduling horizon in days from ``plan_start``.
    time_limit_s : float
        CP-SAT time limit in seconds.
    workers : int
        CP-SAT search workers (2 on this project's machines).
    seed : int
        Random seed of every solver and generator, for repeatable plans.
    objective : str
        What the schedule minimises first: ``tardiness`` (weighted, default),
        ``makespan`` or ``setup`` (total changeover time).
    deterministic : bool
        CP-SAT stops on a deterministic work budget of ``time_limit_s`` units,
        so the same inputs give the same schedule on a loaded machine (default).
    respect_staffing : bool
        The schedule treats ``staffing`` as a limit: operators per work center and shift
        (:class:`planlib.schedule.ScheduleSettings`); default False (operators are reported
        by :func:`planlib.labour.labour_requirements`, not planned to).
    currency : str
        ISO 4217 code of every money figure (costs, values), e.g. ``"EUR"`` shown
        as "€" in the reports (:func:`planlib.labels.currency_symbol`).
    """

    plan_start: dt.date = SAMPLE_PLAN_START
    bucket: str = "W"
    horizon_weeks: int = 26
    forecast_horizon: int = 26
    demand_time_fence_weeks: int = 2
    consumption_backward_weeks: int = 2
    consumption_forward_weeks: int = 2
    service_level: float = 0.95
    review_period_weeks: int = 1
    schedule_horizon_days: int = 14
    time_limit_s: float = 30.0
    workers: int = 2
    seed: int = 0
    objective: str = "tardiness"
    deterministic: bool = True
    currency: str = "EUR"
    respect_staffing: bool = False

    def __post_init__(self) -> None:
        start = self.plan_start
        if isinstance(start, str):
            start = parse_date_or_week(start)
        if isinstance(start, (pd.Timestamp, dt.datetime)):
            start = start.date()
        object.__setattr__(self, "plan_start", start)
        if self.bucket not in ("W", "M"):
            raise ValueError(f"bucket must be 'W' or 'M', not {self.bucket!r}")
        for name in ("horizon_weeks", "forecast_horizon", "schedule_horizon_days", "workers"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)!r}")
        if not 0 < self.service_level < 1:
            raise ValueError(f"service_level must be between 0 and 1, not {self.service_level!r}")
        if self.objective not in ("tardiness", "makespan", "setup"):
            raise ValueError(f"objective must be tardiness, makespan or setup, not {self.objective!r}")
        if not re.fullmatch(r"[A-Za-z]{3}", str(self.currency)):
            raise ValueError(f"currency must be an ISO 4217 code such as EUR or USD, not {self.currency!r}")
        object.__setattr__(self, "currency", str(self.currency).upper())
        if self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s must be positive, not {self.time_limit_s!r}")

    def replace(self, **changes) -> PlanParams:
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return {f.name: (getattr(self, f.name).isoformat() if f.name == "plan_start" else getattr(self, f.name))
                for f in fields(self)}
