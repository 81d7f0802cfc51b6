"""The interactive scenario editor of ``notebooks/scenario.ipynb`` (ipywidgets).

:class:`ScenarioEditor` lays out tabs to pick items, families, machines, work
centers, suppliers and dates and add each kind of change of
:mod:`planlib.scenario`; the list of changes; **Run**, which re-plans MRP and
the schedule in process with a progress bar and shows the KPI deltas and charts
against the base plan; and **Save**,
which writes the scenario file that ``planlib run --scenario`` takes and shows
the command that runs it (:attr:`ScenarioEditor.command`, to paste at the
repository root); and **Revise the published schedule**, which revises a published weekly
run's schedule at a time mid-week with the scenario as the disruption
(:func:`planlib.revise.revise_schedule` and :func:`planlib.revise.publish_revision`, the
functions ``planlib reschedule`` calls) and shows what moved and why. While a Run is in progress every button is disabled, and a
click that still reaches the kernel waits until the run is over.

The editor only lays out widgets and shows results: Run calls
:func:`planlib.scenario.plan.plan_scenario` (the base plan, the scenario plan and their
comparison, with the weekly run's steps), which a notebook or script calls without widgets.

Everything a button does is a method (:meth:`ScenarioEditor.add_demand_multiplier`,
:meth:`~ScenarioEditor.run`, :meth:`~ScenarioEditor.save` ...), so the logic is
tested by setting widget values in Python and clicking the buttons, no
browser involved. The comparison charts are plain functions
(:func:`kpi_delta_chart`, :func:`capacity_comparison_chart`,
:func:`exception_comparison_chart`) that reports can use too.

Guide: ``docs/scenarios.md``.
"""
from __future__ import annotations

import datetime as dt
import html
import os
import shlex
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import altair as alt
import ipywidgets as w
import numpy as np
import pandas as pd

from planlib.compare import comparison_html as plan_comparison_html
from planlib.contract import WEEKDAYS
from planlib.data import current_umask
from planlib.params import PlanParams, iso_week
from planlib.problems import InputError
from planlib.scenario import Scenario, change_from_dict, check_scenario, load_scenario, save_scenario
from planlib.scenario.plan import plan_scenario

_LIST = dict(rows=8, layout=w.Layout(width="220px"))
_BUTTON = w.Layout(width="auto")


# =========================================================================== charts

def kpi_delta_chart(comparison: pd.DataFrame) -> alt.Chart:
    """Change of each numeric KPI in percent of the base (bars right: higher in the scenario).

    Parameters
    ----------
    comparison : DataFrame
        :func:`planlib.compare.compare_kpis` output (``kpi, base, scenario, delta,
        delta_pct`` [, ``label, unit``]).

    Returns
    -------
    altair.Chart
        One bar per KPI with a numeric change: ``pct`` [% of base], colored higher, lower or same.
    """
    data = comparison[comparison.delta.notna()].copy()
    data["name"] = data["label"] if "label" in data else data["kpi"]
    data["pct"] = data.delta_pct.fillna(0.0)
    data["change"] = np.where(data.delta > 0, "higher", np.where(data.delta < 0, "lower", "same"))
    data["base"] = pd.to_numeric(data.base, errors="coerce")
    data["scenario"] = pd.to_numeric(data.scenario, errors="coerce")
    data = data[["name", "pct", "change", "base", "scenario", "delta"]]
    return alt.Chart(data, title="KPI change against the base [% of base]").mark_bar().encode(
        x=alt.X("pct:Q", title="change [%]"), y=alt.Y("name:N", sort=None, title=None),
        color=alt.Color("change:N", scale=alt.Scale(domain=["higher", "lower", "same"],
                                                    range=["#e45756", "#4c78a8", "#bab0ac"]), title=None),
        tooltip=["name", "base:Q", "scenario:Q", "delta:Q", alt.Tooltip("pct:Q", format=".1f")],
    ).properties(width=420, height=alt.Step(18))


def capacity_comparison_chart(base_load: pd.DataFrame, scenario_load: pd.DataFrame,
                              periods: int = 8) -> alt.FacetChart:
    """Load hours per work center and week, base against scenario, with available hours.

    Parameters
    ----------
    base_load, scenario_load : DataFrame
        MRP ``capacity_load``: ``work_center_id, period, period_start, load_hours,
        available_hours`` [h].
    periods : int
        First weeks shown.

    Returns
    -------
    altair.FacetChart
        One panel per work center: load bars [h] of both plans per week, available hours as ticks.
    """
    cols = ["work_center_id", "period", "period_start", "load_hours", "available_hours"]
    data = pd.concat([base_load[cols].assign(plan="base"), scenario_load[cols].assign(plan="scenario")])
    data = data[data.period <= periods].copy()
    data = data.sort_values("period")
    data["week"] = pd.to_datetime(data.period_start).dt.strftime("%d %b")
    weeks = list(dict.fromkeys(data.week))
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("week:O", title="week from", sort=weeks), xOffset=alt.XOffset("plan:N"),
        y=alt.Y("load_hours:Q", title="load [h]"),
        color=alt.Color("plan:N", scale=alt.Scale(domain=["base", "scenario"], range=["#9ecae9", "#f58518"])),
        tooltip=["plan", "work_center_id", "period_start:T", "load_hours:Q", "available_hours:Q"])
    cap = alt.Chart().mark_tick(color="black", thickness=2).encode(
        x=alt.X("week:O", sort=weeks), y="available_hours:Q", tooltip=["plan", "available_hours:Q"])
    return (alt.layer(bars, cap, data=data).properties(width=170, height=100)
            .facet(facet=alt.Facet("work_center_id:N", title=None), columns=4)
            .resolve_scale(y="independent")
            .properties(title="Capacity load per work center and week (black: available hours)"))


def exception_comparison_chart(base_exceptions: pd.DataFrame, scenario_exceptions: pd.DataFrame) -> alt.Chart:
    """Number of MRP exception messages by kind, base against scenario.

    Parameters
    ----------
    base_exceptions, scenario_exceptions : DataFrame
        MRP ``exceptions`` (column ``exception``).

    Returns
    -------
    altair.Chart
        ``messages`` (count) per ``exception`` kind, a bar for each plan.
    """
    counts = pd.concat([base_exceptions.assign(plan="base"), scenario_exceptions.assign(plan="scenario")])
    counts = counts.groupby(["exception", "plan"]).size().rename("messages").reset_index()
    return alt.Chart(counts, title="Exception messages by kind").mark_bar().encode(
        x=alt.X("messages:Q"), y=alt.Y("exception:N", title=None), yOffset=alt.YOffset("plan:N"),
        color=alt.Color("plan:N", scale=alt.Scale(domain=["base", "scenario"], range=["#9ecae9", "#f58518"])),
        tooltip=["exception", "plan", "messages:Q"]).properties(width=360)


# =========================================================================== the weekly-run command

def repository_root(start: str | Path | None = None) -> Path | None:
    """The repository a path is in.

    Parameters
    ----------
    start : str or path, optional
        Where to look from (default: the working directory).

    Returns
    -------
    Path or None
        The nearest folder at or above ``start`` that holds ``pyproject.toml`` or ``.git``;
        None if there is none.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return None


def _shown_path(path: str | Path, root: Path | None) -> str:
    """``path`` (relative ones taken from the working directory) as typed at ``root``: relative to it
    when inside it, else absolute."""
    full = Path(os.path.abspath(path))
    if root is not None:
        try:
            return full.relative_to(root).as_posix() or "."
        except ValueError:
            pass
    return str(full)


def _shown_source(source: str, root: Path | None) -> str:
    """A dataset source as typed at ``root``: a folder or a file like any path, the file of a
    ``sqlite:///`` URL likewise, another database URL as it is (password masked)."""
    from planlib.problems import mask_source

    if source in ("", "(memory)"):  # tables made in Python (from_frames): the user names the source
        return "SOURCE"
    if source.startswith("sqlite:///"):
        return "sqlite:///" + _shown_path(source[len("sqlite:///"):], root)
    if "://" in source:
        return mask_source(source)
    return _shown_path(source, root)


def _planlib_executable(root: Path | None) -> str:
    """The ``planlib`` command of this Python environment (``.venv/bin/planlib`` at the repository
    root); plain ``planlib`` if the environment has none."""
    exe = Path(sys.executable).parent / ("planlib.exe" if os.name == "nt" else "planlib")
    return _shown_path(exe, root) if exe.is_file() else "planlib"


def weekly_run_command(source: str, week: str, scenario_file: str | Path, seed: int,
                       time_limit_s: float, root: Path | None = None, respect_staffing: bool = False) -> str:
    """The ``planlib run`` command that plans a saved scenario in the weekly run, to paste at ``root``.

    Paths inside ``root`` are relative to it, others absolute, so the command works pasted
    at ``root`` (any folder when ``root`` is None). Seed, time limit and the staffing limit are
    the editor's, so the weekly run makes the plan the editor showed.

    Parameters
    ----------
    source : str
        The dataset source (a folder, a workbook, a database URL), relative paths taken from
        the working directory.
    week : str
        ISO week, ``2026-W48``.
    scenario_file : str or path
        The saved scenario file.
    seed : int
    time_limit_s : float
        Schedule solver time limit [s].
    root : path, optional
        The folder the command is pasted at (:func:`repository_root`).
    respect_staffing : bool
        The schedule plans operators to ``staffing`` (adds ``--respect-staffing``).

    Returns
    -------
    str
        The command, each word quoted for a POSIX shell.
    """
    words = [_planlib_executable(root), "run", _shown_source(str(source), root), "--week", week,
             "--scenario", _shown_path(scenario_file, root), "--seed", str(seed),
             "--time-limit", f"{time_limit_s:g}"] + (["--respect-staffing"] if respect_staffing else [])
    return " ".join(shlex.quote(word) for word in words)


# =========================================================================== the editor

class ScenarioEditor:
    """Build a scenario with widgets, re-plan it in process and compare it with the base
    (:func:`planlib.scenario.plan.plan_scenario` does the planning and the comparison).

    Parameters
    ----------
    ds : Dataset
        The base data (never changed).
    params : PlanParams
        Week and settings of both plans (keep ``time_limit_s`` short: each Run
        schedules once, the first one twice).
    base : WeekPlan, optional
        The base plan if already computed; otherwise the first Run plans it.
    planner : callable, optional
        ``planner(ds, params, forecast=None, progress=None)`` returning an object
        with ``kpis`` (``kpi, value, unit``) and, for the charts and tables,
        ``capacity_load``, ``exceptions`` and ``planned_orders``; default
        :func:`planlib.pipeline.plan_week`.
    forecast : ForecastResult or DataFrame, optional
        The base forecast: the forecast step's result (:func:`planlib.steps.forecast`, with its
        safety stock suggestions, as the weekly run plans) or a bare ``item_id, period_start,
        forecast`` table; default ``base.forecast_result``, else computed once by ``forecaster``
        on the first Run. The scenario plan gets it scaled by the scenario's demand multipliers,
        as :func:`planlib.scenario.plan.plan_scenario` has it.
    forecaster : callable, optional
        ``forecaster(ds, params, progress=None) -> ForecastResult``; default the weekly
        run's forecast step.
    scenario : Scenario, optional
        Start from this scenario (name, description and changes).
    save_dir : str or path
        Where Save writes ``<scenario name>.yaml`` unless a path is typed.
    run_dir : str or path, optional
        A published run folder (``reports/2026-W48/base``) for **Revise the published schedule**
        (it can be typed in the editor too).

    Attributes
    ----------
    changes : list of Change
        The changes so far (the list widget shows them).
    result : object
        The scenario plan of the last Run (``planner``'s return value).
    comparison : DataFrame
        :func:`planlib.compare.compare_kpis` of the last Run.
    order_changes : DataFrame or None
        :func:`planlib.compare.compare_item_orders` of the last Run (when the plans
        have ``planned_orders``).
    plan_comparison : PlanComparison or None
        :func:`planlib.compare.compare_plans` of the last Run, as shown (and as the weekly
        report's scenario section shows a scenario run).
    charts : dict of str to altair.Chart
    message : str
        The last status line (also shown in the widget).
    command : str
        After a Save: the ``planlib run ... --scenario <file>`` command that plans the saved
        file in the weekly run, to paste at :attr:`root` (:func:`weekly_run_command`).
    root : Path or None
        The repository root the command's paths are relative to (:func:`repository_root` of the
        working directory when the editor was made); None: absolute paths.
    revision : Revision or None
        The last revision (:func:`planlib.revise.revise_schedule`); :attr:`revision_folder` is
        where it was published, :attr:`moves_html` the moves table and figures shown.
    widget : ipywidgets.VBox
        The whole editor; displaying the editor displays it.
    """

    def __init__(self, ds, params: PlanParams, base=None, planner: Callable | None = None,
                 forecast: pd.DataFrame | None = None, forecaster: Callable | None = None,
                 scenario: Scenario | None = None, save_dir: str | Path = "data/scenarios",
                 run_dir: str | Path | None = None) -> None:
        self.ds, self.params, self.base = ds, params, base
        self.planner = planner
        if forecast is None and base is not None:
            forecast = getattr(base, "forecast_result", None)
            forecast = forecast if forecast is not None else getattr(base, "forecast", None)
        self.forecast = forecast
        self.forecaster = forecaster
        self.save_dir = Path(save_dir)
        self.changes: list = list(scenario.changes) if scenario else []
        self.result = None
        self.comparison: pd.DataFrame | None = None
        self.order_changes: pd.DataFrame | None = None
        self.plan_comparison = None  # planlib.compare.PlanComparison of the last Run (shown)
        self.charts: dict = {}
        self.message = ""
        self.saved_path: Path | None = None
        self.command = ""
        self.root = repository_root()
        self.run_dir = run_dir
        self.revision = None
        self.revision_folder: Path | None = None
        self.moves_html = ""
        self._busy = False          # a Run is in progress
        self._waiting: list = []    # clicks that came during the run, done after it
        self._ticker: tuple | None = None
        self._build(scenario)

    # ------------------------------------------------------------------ layout
    def _build(self, scenario: Scenario | None) -> None:
        ds, start = self.ds, pd.Timestamp(self.params.plan_start).date()
        items = sorted(ds.items.item_id)
        families = sorted(set(ds.items.family.dropna()) - {""})
        machines = list(ds.machines.machine_id)
        wcs = list(ds.work_centers.work_center_id)
        suppliers = sorted(set(ds.suppliers.supplier_id) | set(ds.items.supplier_id.dropna()))
        six, two = dt.time(6, 0), dt.time(14, 0)

        self.name = w.Text(value=scenario.name if scenario else "My scenario", description="Name")
        self.description = w.Textarea(value=scenario.description if scenario else "", description="Description",
                                      layout=w.Layout(width="60%", height="48px"))

        # demand multiplier
        self.dm_items = w.SelectMultiple(options=items, description="Items", **_LIST)
        self.dm_families = w.SelectMultiple(options=families, description="Families", **_LIST)
        self.dm_from = w.DatePicker(description="From", value=None)
        self.dm_to = w.DatePicker(description="To", value=None)
        self.dm_factor = w.BoundedFloatText(value=1.2, min=0.0, max=100.0, step=0.05, description="Factor")
        self.dm_apply = w.ToggleButtons(options=[("orders and forecast", "both"), ("orders", "orders"),
                                                 ("forecast", "forecast")], value="both", description="Apply to")
        self.dm_add = w.Button(description="Add demand change", icon="plus", layout=_BUTTON)
        demand = w.VBox([w.HTML("Pick items and/or families (none: every item) and a period "
                                "(empty: the whole horizon); ctrl-click picks several."),
                         w.HBox([self.dm_items, self.dm_families,
                                 w.VBox([self.dm_from, self.dm_to, self.dm_factor])]),
                         self.dm_apply, self.dm_add])

        # rush order
        self.ro_item = w.Dropdown(options=items, description="Item")
        self.ro_qty = w.BoundedFloatText(value=10.0, min=0.0, max=1e9, description="Quantity")
        self.ro_due = w.DatePicker(value=start + dt.timedelta(days=7), description="Due")
        self.ro_priority = w.BoundedIntText(value=1, min=1, max=9, description="Priority")
        self.ro_customer = w.Text(value="RUSH", description="Customer")
        self.ro_add = w.Button(description="Add rush order", icon="plus", layout=_BUTTON)
        rush = w.VBox([w.HBox([w.VBox([self.ro_item, self.ro_qty, self.ro_due]),
                               w.VBox([self.ro_priority, self.ro_customer])]), self.ro_add])

        # downtime and overtime windows
        def window(prefix, button):
            ms = w.SelectMultiple(options=machines, description="Machines", **_LIST)
            ws = w.SelectMultiple(options=wcs, description="Work centers", **_LIST)
            sd = w.DatePicker(value=start + dt.timedelta(days=1), description="Start")
            st = w.TimePicker(value=six, description="at")
            ed = w.DatePicker(value=start + dt.timedelta(days=1), description="End")
            et = w.TimePicker(value=two, description="at")
            rep = w.BoundedIntText(value=1, min=1, max=52, description="Weeks")
            days = w.SelectMultiple(options=[(d, i) for i, d in enumerate(WEEKDAYS)], rows=7,
                                    description="Weekdays", layout=w.Layout(width="160px"))
            add = w.Button(description=button, icon="plus", layout=_BUTTON)
            for n, v in dict(machines=ms, work_centers=ws, start_date=sd, start_time=st, end_date=ed,
                             end_time=et, repeat=rep, weekdays=days, add=add).items():
                setattr(self, f"{prefix}_{n}", v)
            return [w.HBox([ms, ws, w.VBox([w.HBox([sd, st]), w.HBox([ed, et]), rep]), days]), add]

        dt_rows = window("dt", "Add downtime")
        self.dt_reason = w.ToggleButtons(options=["breakdown", "maintenance"], value="breakdown",
                                         description="Reason")
        downtime = w.VBox([w.HTML("Machines (or whole work centers) without working time in the window; "
                                  "an empty end time means through the end day. Weekdays: the same clock "
                                  "times on each day picked; Weeks: this many weeks running.")]
                          + dt_rows[:1] + [self.dt_reason] + dt_rows[1:])
        ot_rows = window("ot", "Add overtime")
        self.ot_start_date.value = self.ot_end_date.value = start + dt.timedelta(days=5)  # the Saturday
        self.ot_end_time.value = dt.time(12, 0)
        overtime = w.VBox([w.HTML("Extra working time on machines or every machine of a work center; pick "
                                  "weekdays for a daily extra shift (a night shift Monday to Friday).")]
                          + ot_rows)

        # supplier delay
        self.sd_supplier = w.Dropdown(options=suppliers, description="Supplier")
        self.sd_days = w.BoundedIntText(value=7, min=1, max=365, description="Days late")
        self.sd_add = w.Button(description="Add supplier delay", icon="plus", layout=_BUTTON)
        delay = w.VBox([w.HTML("The supplier's open purchase receipts arrive this many days later."),
                        self.sd_supplier, self.sd_days, self.sd_add])

        # lead time
        self.lt_items = w.SelectMultiple(options=items, description="Items", **_LIST)
        self.lt_supplier = w.Dropdown(options=[("(none)", "")] + [(s, s) for s in suppliers], value="",
                                      description="Supplier")
        self.lt_mode = w.ToggleButtons(options=[("set to", "days"), ("add", "add_days")], value="days",
                                       description="Lead time")
        self.lt_days = w.FloatText(value=21.0, description="Days")
        self.lt_add = w.Button(description="Add lead-time change", icon="plus", layout=_BUTTON)
        lead = w.VBox([w.HTML("Items, and/or every item of a supplier."),
                       w.HBox([self.lt_items, w.VBox([self.lt_supplier, self.lt_mode, self.lt_days])]),
                       self.lt_add])

        self.tabs = w.Tab(children=[demand, rush, downtime, overtime, delay, lead],
                          titles=["Demand", "Rush order", "Downtime", "Overtime", "Supplier delay", "Lead time"])

        self.changes_list = w.Select(options=[], rows=6, layout=w.Layout(width="70%"))
        self.remove_button = w.Button(description="Remove", icon="trash")
        self.clear_button = w.Button(description="Clear all")

        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="", layout=w.Layout(width="30%"))
        self.status = w.HTML("")
        self.progress.add_class("planlib-progress")  # names the browser tests find them by
        self.status.add_class("planlib-status")
        self.save_path = w.Text(value="", placeholder=str(self.save_dir / "<name>.yaml"), description="Save as",
                                layout=w.Layout(width="50%"))
        self.save_button = w.Button(description="Save", icon="save")
        self.load_path = w.Text(value="", placeholder=str(self.save_dir / "lathe_breakdown.yaml"),
                                description="Open", layout=w.Layout(width="50%"))
        self.load_button = w.Button(description="Open", icon="folder-open")
        self.revise_run_dir = w.Text(value=str(self.run_dir or ""), placeholder="reports/2026-W48/base",
                                     description="Run folder", layout=w.Layout(width="40%"))
        self.revise_now = w.Text(value=f"{start + dt.timedelta(days=2)} 10:00", description="Now",
                                 layout=w.Layout(width="220px"))
        self.revise_frozen = w.BoundedFloatText(value=8.0, min=0.0, max=168.0, step=1.0, description="Frozen h",
                                                layout=w.Layout(width="160px"))
        self.revise_button = w.Button(description="Revise the published schedule", icon="refresh",
                                      layout=_BUTTON)
        self.output = w.Output()

        self._wire(self.revise_button, self.revise)
        self._wire(self.dm_add, self.add_demand_multiplier)
        self._wire(self.ro_add, self.add_rush_order)
        self._wire(self.dt_add, self.add_downtime)
        self._wire(self.ot_add, self.add_overtime)
        self._wire(self.sd_add, self.add_supplier_delay)
        self._wire(self.lt_add, self.add_lead_time)
        self._wire(self.remove_button, self.remove_selected)
        self._wire(self.clear_button, self.clear)
        self._wire(self.save_button, self.save)
        self._wire(self.load_button, lambda: self.load(self.load_path.value.strip()) if self.load_path.value.strip()
                   else self._say("type the path of a scenario file to open", error=True))
        self.run_button.on_click(lambda _: self.run())
        self._buttons = [self.dm_add, self.ro_add, self.dt_add, self.ot_add, self.sd_add, self.lt_add,
                         self.remove_button, self.clear_button, self.run_button, self.save_button,
                         self.load_button]

        self.widget = w.VBox([
            w.HBox([self.name, self.description]),
            self.tabs,
            w.HTML("<b>Changes</b> (applied in this order)"),
            w.HBox([self.changes_list, w.VBox([self.remove_button, self.clear_button])]),
            w.HBox([self.run_button, self.progress, self.status]),
            w.HBox([self.save_path, self.save_button]),
            w.HBox([self.load_path, self.load_button]),
            w.HBox([self.revise_run_dir, self.revise_now, self.revise_frozen, self.revise_button]),
            self.output,
        ])
        self._refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ state
    def scenario(self) -> Scenario:
        """The scenario as the widgets describe it now."""
        return Scenario(self.name.value.strip() or "scenario", self.description.value.strip(), tuple(self.changes))

    def _say(self, text: str, error: bool = False, command: str = "") -> None:
        self.message = text
        colour = "#c0392b" if error else "#222"
        code = f"<br><code class='planlib-command'>{html.escape(command)}</code>" if command else ""
        self.status.value = f"<span style='color:{colour}'>{html.escape(text)}</span>{code}"

    def _wire(self, button: w.Button, action: Callable) -> None:
        """Call ``action`` on a click; during a Run (the button is disabled then, but a click sent
        before the browser knew may still arrive) the click waits until the run is over."""
        def clicked(_):
            if self._busy:
                self._waiting.append(action)
                self._say(f"'{button.description}' waits for the run in progress")
                return
            action()

        button.on_click(clicked)

    def _refresh(self) -> None:
        self.changes_list.options = [(f"{i + 1}. {c.describe()}", i) for i, c in enumerate(self.changes)]

    def add(self, keys: dict):
        """Add a change from its file keys (checked against the data); None and a message if wrong."""
        try:
            change = change_from_dict(keys, self.ds)
        except InputError as exc:
            self._say(f"not added: {exc}", error=True)
            return None
        self.changes.append(change)
        self._refresh()
        warnings = check_scenario(Scenario("change", changes=(change,)), self.ds, self.params)
        note = "".join(f"; note: {text}" for text in warnings.problem)
        self._say(f"added: {change.describe()}{note}")
        return change

    def remove_selected(self) -> None:
        """Remove the change selected in the list."""
        i = self.changes_list.value
        if i is None:
            self._say("select a change in the list first", error=True)
            return
        gone = self.changes.pop(i)
        self._refresh()
        self._say(f"removed: {gone.describe()}")

    def clear(self) -> None:
        """Remove every change (the Clear button)."""
        self.changes.clear()
        self._refresh()
        self._say("no changes")

    # ------------------------------------------------------------------ the add buttons
    def add_demand_multiplier(self):
        """Add a ``demand_multiplier`` change from the demand tab (:meth:`add`: the change or None)."""
        apply = {"both": ["orders", "forecast"], "orders": ["orders"], "forecast": ["forecast"]}[self.dm_apply.value]
        return self.add({"kind": "demand_multiplier", "factor": self.dm_factor.value,
                         "items": list(self.dm_items.value), "families": list(self.dm_families.value),
                         "from": self.dm_from.value, "to": self.dm_to.value, "apply_to": apply})

    def add_rush_order(self):
        """Add a ``rush_order`` change from the rush order tab (:meth:`add`: the change or None)."""
        return self.add({"kind": "rush_order", "item": self.ro_item.value, "qty": self.ro_qty.value,
                         "due": self.ro_due.value, "priority": self.ro_priority.value,
                         "customer": self.ro_customer.value.strip() or "RUSH"})

    def _window(self, prefix: str) -> dict:
        g = lambda n: getattr(self, f"{prefix}_{n}").value
        start = dt.datetime.combine(g("start_date"), g("start_time") or dt.time(0)) if g("start_date") else None
        end = g("end_date")
        if end is not None and g("end_time") is not None:
            end = dt.datetime.combine(end, g("end_time"))
        return {"machines": list(g("machines")), "work_centers": list(g("work_centers")), "start": start,
                "end": end, "weekdays": list(g("weekdays")), "repeat_weeks": g("repeat")}

    def add_downtime(self):
        """Add a ``downtime`` change from the downtime tab (:meth:`add`: the change or None)."""
        return self.add({"kind": "downtime", **self._window("dt"), "reason": self.dt_reason.value})

    def add_overtime(self):
        """Add an ``overtime`` change from the overtime tab (:meth:`add`: the change or None)."""
        return self.add({"kind": "overtime", **self._window("ot")})

    def add_supplier_delay(self):
        """Add a ``supplier_delay`` change from the supplier tab (:meth:`add`: the change or None)."""
        return self.add({"kind": "supplier_delay", "supplier": self.sd_supplier.value, "days": self.sd_days.value})

    def add_lead_time(self):
        """Add a ``lead_time`` change from the lead time tab (:meth:`add`: the change or None)."""
        return self.add({"kind": "lead_time", "items": list(self.lt_items.value),
                         "supplier": self.lt_supplier.value or None, self.lt_mode.value: self.lt_days.value})

    # ------------------------------------------------------------------ run and save
    def _progress(self, lo: float, hi: float, phase: str) -> Callable:
        """A progress callback for one phase: the bar moves within [lo, hi).

        A call with a fraction puts the bar there. A text line (a step starts) moves it half
        way along what is left of the phase, never back; during a Run, until the next line, a
        timer then moves it on by the clock towards the end of the phase, half way after the solver
        time limit and ever slower after it (a deterministic CP-SAT limit may take many times as long
        on a loaded machine), since a step such as the schedule reports nothing until it is done.
        """
        state = {"n": 0}
        end = lo + (hi - lo) * 0.999

        def report(*args, **kwargs):
            self._stop_ticker()
            text = " ".join(str(a) for a in args if isinstance(a, str))
            frac = next((float(a) for a in args if isinstance(a, float) and 0.0 <= a <= 1.0), None)
            if frac is not None:
                self.progress.value = lo + (hi - lo) * min(frac, 0.999)
            else:
                state["n"] += 1
                self.progress.value = max(self.progress.value, lo + (hi - lo) * (1.0 - 0.5 ** state["n"]))
                if self._busy:
                    self._start_ticker(end)
            if text:
                self._say(f"{phase}: {text}")

        return report

    def _start_ticker(self, end: float, period_s: float = 0.2) -> None:
        """Move the bar from where it is towards ``end`` by the clock, in a thread, until stopped."""
        stop, start, t0 = threading.Event(), self.progress.value, time.perf_counter()
        tau = max(float(self.params.time_limit_s), 0.5)

        def tick():
            while not stop.wait(period_s):
                gone = time.perf_counter() - t0
                self.progress.value = start + (end - start) * gone / (gone + tau)

        thread = threading.Thread(target=tick, name="planlib-progress", daemon=True)
        self._ticker = (stop, thread)
        thread.start()

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            stop, thread = self._ticker
            stop.set()
            thread.join()
            self._ticker = None

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in [*self._buttons, self.revise_button]:
            button.disabled = busy

    def run(self) -> pd.DataFrame | None:
        """Plan the base (first time only) and the scenario; show KPI deltas and charts.

        Every button is disabled while the run is in progress; clicks that arrive meanwhile
        are done after it, in order.

        Returns the KPI comparison (also in :attr:`comparison`), or None if the
        scenario does not fit the data or planning failed (the message says why).
        """
        if self._busy:
            self._say("a run is in progress: wait for it", error=True)
            return None
        self._set_busy(True)
        try:
            return self._run()
        finally:
            self._stop_ticker()
            self._set_busy(False)
            waiting, self._waiting = self._waiting, []
            for action in waiting:
                action()

    def _run(self) -> pd.DataFrame | None:
        scenario = self.scenario()
        self.progress.value, self.progress.bar_style = 0.0, ""
        t0 = time.perf_counter()
        phases = {"forecast": (0.0, 0.3, "forecast (once for both plans)"),
                  "base plan": (0.3, 0.6, "planning the base"),
                  "scenario plan": (0.6, 0.95, "planning the scenario")}

        def phase(name):
            lo, hi, text = phases[name]
            self._say(text)
            return self._progress(lo, hi, name)

        try:
            run = plan_scenario(self.ds, self.params, scenario, self.base, forecast=self.forecast,
                                planner=self.planner, forecaster=self.forecaster, progress=phase)
            self.forecast, self.base, self.result = run.forecast, run.base, run.plan
            self.plan_comparison = run.comparison
            self.comparison = run.comparison.kpis.drop(columns="judgment")
            both = all(getattr(p, "planned_orders", None) is not None for p in (run.base, run.plan))
            self.order_changes = run.comparison.item_orders if both else None
            self.charts = self._charts()
        except InputError as exc:
            self.progress.bar_style = "danger"
            self._say(f"cannot run: {exc}", error=True)
            self._show_problems(exc.problems)
            return None
        except Exception as exc:  # the editor stays usable; the message names the error
            self.progress.bar_style = "danger"
            self._say(f"planning failed: {type(exc).__name__}: {exc}", error=True)
            return None
        self._stop_ticker()
        self.progress.value, self.progress.bar_style = 1.0, "success"
        self._say(f"planned '{scenario.name}' in {time.perf_counter() - t0:.1f} s: "
                  f"{len(scenario.changes)} change(s)")
        self._show()
        return self.comparison

    def _charts(self) -> dict:
        charts = {"kpi_delta": kpi_delta_chart(self.comparison)}
        b, r = self.base, self.result
        if getattr(b, "capacity_load", None) is not None and getattr(r, "capacity_load", None) is not None:
            charts["capacity"] = capacity_comparison_chart(b.capacity_load, r.capacity_load)
        if getattr(b, "exceptions", None) is not None and getattr(r, "exceptions", None) is not None:
            charts["exceptions"] = exception_comparison_chart(b.exceptions, r.exceptions)
        return charts

    def _show(self) -> None:
        """The comparison of the last Run: the same view as the weekly report's scenario section
        (:func:`planlib.compare.comparison_html`), then charts."""
        from IPython.display import HTML, display

        self.output.clear_output()
        with self.output:
            display(HTML(f"<h4>{html.escape(self.scenario().name)} against the base</h4>"
                         + plan_comparison_html(self.plan_comparison)))
            # charts as inline SVG: no chart library to fetch, so they show offline too
            with alt.renderers.enable("svg"):
                for chart in self.charts.values():
                    display(chart)

    def _show_problems(self, problems: pd.DataFrame) -> None:
        from IPython.display import HTML, display

        self.output.clear_output()
        with self.output:
            display(HTML(problems.to_html(index=False)))

    def save(self, path: str | Path | None = None) -> Path | None:
        """Write the scenario YAML and show the command that plans it in the weekly run.

        Parameters
        ----------
        path : str or path, optional
            Where to write; default the typed path, else ``save_dir/<name>.yaml``.

        Returns
        -------
        Path or None
            The path written, or None if there is nothing to save or it cannot be written
            (the message says why).
        """
        scenario = self.scenario()
        if not scenario.changes:
            self._say("nothing to save: add a change first", error=True)
            return None
        target = Path(path or self.save_path.value.strip() or self.save_dir / f"{scenario.slug}.yaml")
        try:
            self.saved_path = save_scenario(scenario, target)
            # the file gets the mode any new file gets (0666 less the umask), not mkstemp's 0600
            os.chmod(self.saved_path, 0o666 & ~current_umask())
        except OSError as exc:
            self._say(f"cannot save {target}: {exc}", error=True)
            return None
        week = iso_week(pd.Timestamp(self.params.plan_start).date())
        self.command = weekly_run_command(self.ds.source, week, target, seed=self.params.seed,
                                          time_limit_s=self.params.time_limit_s, root=self.root,
                                          respect_staffing=self.params.respect_staffing)
        where = f"at {self.root}" if self.root is not None else "in any folder"
        self._say(f"saved {_shown_path(target, self.root)}; to plan it in the weekly run, paste {where}: "
                  f"{self.command}", command=self.command)
        return self.saved_path

    def revise(self, run_dir: str | Path | None = None, now=None):
        """Revise a published run's schedule with the scenario as the disruption, publish the
        revision beside the weekly one and show what moved and why.

        The same functions as ``planlib reschedule``: :func:`planlib.revise.revise_schedule`
        (frozen hours from the editor, the solver time limit of :attr:`params`) and
        :func:`planlib.revise.publish_revision`.

        Parameters
        ----------
        run_dir : str or path, optional
            Default the typed run folder.
        now : datetime-like, optional
            Default the typed time.

        Returns
        -------
        Revision or None
            None if there is nothing to revise with, or the input is wrong (the message and the
            problems say why).
        """
        from planlib.revise import publish_revision, revise_schedule

        scenario = self.scenario()
        run_dir = str(run_dir or self.revise_run_dir.value.strip())
        if not run_dir:
            self._say("type the folder of a published run (reports/2026-W48/base) first", error=True)
            return None
        if not scenario.changes:
            self._say("nothing to revise with: add a change first", error=True)
            return None
        now = now if now is not None else self.revise_now.value.strip()
        self._set_busy(True)
        self.progress.value, self.progress.bar_style = 0.0, ""
        try:
            revision = revise_schedule(run_dir, scenario, now, progress=self._progress(0.0, 0.95, "revising"),
                                       frozen_hours=float(self.revise_frozen.value),
                                       time_limit_s=self.params.time_limit_s)
            folder = publish_revision(revision, run_dir)
        except InputError as exc:
            self.progress.bar_style = "danger"
            self._say(f"cannot revise: {exc}", error=True)
            self._show_problems(exc.problems)
            return None
        except Exception as exc:  # the editor stays usable; the message names the error
            self.progress.bar_style = "danger"
            self._say(f"revision failed: {type(exc).__name__}: {exc}", error=True)
            return None
        finally:
            self._stop_ticker()
            self._set_busy(False)
            waiting, self._waiting = self._waiting, []
            for action in waiting:
                action()
        self.revision, self.revision_folder = revision, folder
        self.progress.value, self.progress.bar_style = 1.0, "success"
        self._say(f"{revision.summary()}; published in {folder}")
        self._show_moves()
        return revision

    def _show_moves(self) -> None:
        from IPython.display import HTML, display

        rv = self.revision
        cols = ["order_id", "op_seq", "work_center_id", "old_machine_id", "new_machine_id", "old_start",
                "new_start", "shift_h", "reason"]
        moves = rv.moves[cols].sort_values("shift_h", ascending=False)
        self.moves_html = (f"<h4>{html.escape(rv.summary())}</h4>" + moves.to_html(index=False, classes="planlib-moves")
                           + rv.kpis.to_html(index=False))
        self.output.clear_output()
        with self.output:
            display(HTML(self.moves_html))

    def load(self, path: str | Path) -> Scenario | None:
        """Replace the name, description and changes by those of a scenario file.

        Parameters
        ----------
        path : str or path
            A scenario file (checked against the editor's data).

        Returns
        -------
        Scenario or None
            None if the file cannot be read or does not fit the data (its problems are shown).
        """
        try:
            scenario = load_scenario(path, self.ds)
        except InputError as exc:
            self._say(f"cannot load {path}: {exc}", error=True)
            self._show_problems(exc.problems)
            return None
        self.name.value, self.description.value = scenario.name, scenario.description
        self.changes = list(scenario.changes)
        self._refresh()
        self._say(f"loaded {path}: {len(scenario.changes)} change(s)")
        return scenario
