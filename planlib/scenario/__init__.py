"""Scenarios: what-if changes against the base data, written as YAML by hand.

A scenario file names the scenario and lists *changes*; each change has a
``kind`` and the keys of that kind (``docs/scenarios.md`` documents every key
with examples)::

    name: Lathe breakdown
    description: LATHE-2 down for three days in week 48.
    changes:
      - kind: downtime
        machine: LATHE-2
        start: 2026-11-24 06:00
        end: 2026-11-26          # a date alone as an end: through that day
        reason: breakdown

Kinds (one class each below):

``demand_multiplier``  scale open customer orders (``demand``) and the forecast
                       of chosen items, families and periods
``rush_order``         add a customer order line
``downtime``           a breakdown or maintenance window on machines
``overtime``           extra working time on machines or whole work centers
``supplier_delay``     push a supplier's open purchase receipts by N days
``lead_time``          set or change the lead time of items or of a supplier's items
``operator_absence``   operators of a work center absent for a while (fewer crews)
``quantity_change``    a production order's new quantity
``late_material``      a purchase order, or an item's open receipts, arriving not before a date

Functions
---------
:func:`load_scenario` reads and checks a file (every problem with its file and
line); :func:`check_scenario` checks the references against a dataset;
:func:`apply_scenario` returns the changed dataset (inputs never mutated);
:func:`scale_forecast` applies the demand multipliers to a forecast;
:func:`scenario_to_yaml` writes a scenario back (``load`` round-trips it);
:func:`planlib.scenario.plan.plan_scenario` plans a scenario next to its base plan with the weekly run's
steps and compares the two (:mod:`planlib.compare`: KPIs side by side, the orders it
makes late or on time, the work centers whose load it changes), without widgets.

Modules
-------
``reader``   the line-numbered YAML reader (every problem names its file and line)
``changes``  the change model: one class per kind, and :class:`Scenario`
``files``    load, parse, save and write scenarios
``apply``    check a scenario against a dataset, apply it, scale the forecast
``plan``     :func:`~planlib.scenario.plan.plan_scenario`: the scenario plan and its comparison with
             the base (import it from ``planlib.scenario.plan``: it plans with the weekly run's
             functions, which read scenarios themselves)

Every name is importable from ``planlib.scenario``; the comparison of a scenario plan
with the base (``compare_kpis``, ``compare_plans`` ...) is :mod:`planlib.compare`'s.

Vocabulary: ``docs/glossary.md`` (item, demand, forecast, machine, work_center,
scheduled_receipt, calendar).
"""
from __future__ import annotations

from planlib.scenario.apply import (
    absence_crews,
    apply_scenario,
    baseline_crews,
    check_scenario,
    scale_forecast,
)
from planlib.scenario.changes import (
    CHANGE_KINDS,
    Change,
    DemandMultiplier,
    Downtime,
    LateMaterial,
    LeadTimeChange,
    OperatorAbsence,
    Overtime,
    QuantityChange,
    RushOrder,
    Scenario,
    SupplierDelay,
)
from planlib.scenario.files import (
    change_from_dict,
    load_scenario,
    parse_scenario,
    save_scenario,
    scenario_to_yaml,
)
from planlib.scenario.reader import MAX_ALIASES, MAX_DEPTH, MAX_NODES, MAX_SCENARIO_BYTES

__all__ = [
    "CHANGE_KINDS",
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_SCENARIO_BYTES",
    "Change",
    "DemandMultiplier",
    "Downtime",
    "LateMaterial",
    "LeadTimeChange",
    "OperatorAbsence",
    "Overtime",
    "QuantityChange",
    "RushOrder",
    "Scenario",
    "SupplierDelay",
    "absence_crews",
    "apply_scenario",
    "baseline_crews",
    "change_from_dict",
    "check_scenario",
    "load_scenario",
    "parse_scenario",
    "save_scenario",
    "scale_forecast",
    "scenario_to_yaml",
]
