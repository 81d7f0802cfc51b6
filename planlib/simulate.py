"""A week on the shop floor, simulated: what happened when the plant carried out a plan.

The sample factory lives through its weeks (docs/sample-weeks.md): the previous week's plan is carried
out with realistic noise, and the execution records it leaves (``production_reports``,
``goods_receipts``, ``material_issues``, ``supplier_confirmations``, shipments in ``demand_history``)
are written beside the snapshot they start from, so that the next weekly run plans from what happened
(:func:`planlib.actuals.apply_actuals`) and reports on it (attainment, scrap, variance, supplier
follow-up). The same seed gives the same records.

The noise, each drawn per record from the seed:

- yield: scrap on an operation ~ binomial(quantity, the item's ``scrap_pct`` x a lognormal factor),
  split over :data:`SCRAP_REASONS`;
- run time: the routing standard x a lognormal factor (mean about 1.04, the plant runs a little slow);
- breakdowns: machine stops by :data:`DOWNTIME_REASONS`, their minutes reported on the operation hit;
- labour: hours booked = crew x hours on the machine x a factor; absence lowers a shift's operators;
- suppliers: late by a supplier's own delay, short by a few percent, partial confirmations.

Glossary: docs/glossary.md.
"""
from __future__ import annotations

__all__ = ["DOWNTIME_REASONS", "SCRAP_REASONS"]

#: Scrap reasons and their weights (the plant's Pareto: a few reasons make most of the scrap).
SCRAP_REASONS = {"dimension out of tolerance": 0.35, "surface defect": 0.25, "porosity": 0.15,
                 "setup piece": 0.15, "handling damage": 0.10}

#: Downtime reasons and their weights.
DOWNTIME_REASONS = {"breakdown": 0.40, "waiting for material": 0.20, "tool change": 0.15,
                    "no operator": 0.15, "quality hold": 0.10}
