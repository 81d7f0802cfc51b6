"""MRP settings beyond :class:`planlib.params.PlanParams` (:class:`MrpSettings`)."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MrpSettings"]


@dataclass(frozen=True)
class MrpSettings:
    """MRP settings beyond :class:`planlib.params.PlanParams`.

    Attributes
    ----------
    past_releases : {"expedite", "delay"}
        A planned order whose release date falls before the plan start:
        ``"expedite"`` keeps it on the date it is needed, releases it in the
        first bucket and reports ``release_in_past``; ``"delay"`` moves its
        receipt to the first bucket the lead time allows, so projected on hand
        may fall below safety stock (or below zero) inside the lead time and
        ``below_safety_stock`` / ``shortage`` are reported.
    whole_units : bool
        Round lot-sized quantities up to whole units for items counted in
        pieces (``uom`` in :data:`planlib.mrp.inputs.COUNTED_UOMS`, the default ``ea``) before the
        minimum, multiple and maximum apply; a fractional demand (a forecast)
        then gives whole orders. Items in other units (kg, m, l) keep fractions.
    round_yield_up : bool
        Round the quantity released for an item with ``scrap_pct`` up to whole
        units (the receipt stays the lot-sized quantity).
    reschedule_tolerance_weeks : int
        Expedite or defer a scheduled receipt only if its need date differs from
        its due date by more than this many weeks.
    pegging : bool
        Build the pegging table (one row per supply and demand pair). With demand
        in every bucket of a 100,000-item plan it has tens of millions of rows;
        ``False`` leaves it empty.
    """

    past_releases: str = "expedite"
    whole_units: bool = True
    round_yield_up: bool = True
    reschedule_tolerance_weeks: int = 0
    pegging: bool = True

    def __post_init__(self) -> None:
        if self.past_releases not in ("expedite", "delay"):
            raise ValueError(f"past_releases must be 'expedite' or 'delay', not {self.past_releases!r}")
        if self.reschedule_tolerance_weeks < 0:
            raise ValueError("reschedule_tolerance_weeks must be 0 or more")
