"""The weekly plan: forecast, MRP and schedule, step by step or in one call.

Two ways to plan a week, with the same steps underneath:

- :func:`run_week` runs the step notebooks (``notebooks/01_forecast.ipynb`` ...)
  with papermill, each writing its tables into the run folder
  ``reports/<week>/<scenario>/`` for the next one, then exports the HTML
  reports, archives the plan and writes a manifest. The run is built in a
  temporary folder and replaces the week's folder only when every step
  succeeded.
- :func:`plan_week` runs the same steps in process and returns the tables
  (the scenario editor re-plans with it).

The ``*_step`` functions are what the notebooks call: they compute one step
and, given a run folder, write its tables there.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import html
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from planlib import compare, steps
from planlib.buckets import iso_week, week_start
from planlib.data import TABLE_FORMATS, current_umask, load, read_table, table_path, write_tables
from planlib.dataset import Dataset
from planlib.params import PlanParams
from planlib.problems import InputError, Problems, mask_source
from planlib.scenario_names import RESERVED_NAMES, SAFE_NAME, safe_name
from planlib.validate import planning_dataset, require

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

#: The weekly run: (step name, notebook, HTML report title)
STEPS = (
    ("forecast", "01_forecast.ipynb", "Demand forecast"),
    ("mrp", "02_mrp.ipynb", "Material plan (MPS and MRP)"),
    ("schedule", "03_schedule.ipynb", "Production schedule"),
    ("weekly_report", "04_weekly_report.ipynb", "Weekly planning report"),
    ("follow_up", "05_follow_up.ipynb", "Follow-up of last week"),
)


# --------------------------------------------------------------------------- inputs

def inputs(source: str, week: str, scenario: str = "", **params) -> tuple[Dataset, PlanParams, object]:
    """Load a dataset and the week's parameters, with a scenario applied.

    Parameters
    ----------
    source : str
        Dataset (CSV folder, workbook or database URL).
    week : str
        ISO week ``2026-W48``; the plan starts on its Monday.
    scenario : str
        Path of a scenario YAML file, or empty for the base plan.
    **params
        Further :class:`PlanParams` fields (``seed``, ``time_limit_s`` ...).

    Returns
    -------
    (Dataset, PlanParams, Scenario or None)
        The dataset as at the plan start: the execution records since ``inventory.as_of``
        applied (:func:`planlib.validate.planning_dataset`, docs/weekly-loop.md).
    """
    params = PlanParams(plan_start=week_start(week), **params)
    ds = planning_dataset(load(source), params.plan_start)  # the snapshot + what happened since
    scen = None
    if scenario:
        from planlib.scenario import apply_scenario, check_scenario, load_scenario

        scen = load_scenario(scenario)
        problems = check_scenario(scen, ds, params)
        errors = problems[problems.severity == "error"]
        if len(errors):
            raise InputError(f"{len(errors)} problem(s) in scenario {scenario}", problems)
        ds = apply_scenario(ds, scen)
    return ds, params, scen


def _step_dir(run_dir, step: str) -> Path | None:
    return Path(run_dir) / step if run_dir else None


def read_step(run_dir, step: str, table: str) -> pd.DataFrame | None:
    """A table an earlier step wrote into the run folder, or None if it did not.

    Parameters
    ----------
    run_dir : path or None
        The run folder (``<reports>/<week>/<scenario>``); None gives None.
    step : str
        The step's subfolder: ``forecast``, ``mrp`` or ``schedule``.
    table : str
        The table's name (without ``.csv`` or ``.parquet``: either is read, :func:`planlib.data.table_path`).

    Returns
    -------
    DataFrame or None
        The table as :func:`planlib.data.read_table` reads it back (its columns as written).
    """
    if not run_dir:
        return None
    path = table_path(Path(run_dir) / step, table)
    if path is None:
        return None
    return read_table(path)


# --------------------------------------------------------------------------- steps

def note(text: str) -> None:
    """Tell the reader something about how a step was computed: a note in a notebook's output,
    a line on stderr elsewhere."""
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from IPython.display import Markdown, display

            display(Markdown(f"> **Note:** {html.escape(text)}"))
            return
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass
    print(f"note: {text}", file=sys.stderr)


def _write_step(run_dir, step: str, tables: dict, used: dict, extra_files: dict | None = None,
                table_format: str = "csv") -> None:
    files = {"parameters.json": json.dumps(used, indent=2, default=str), **(extra_files or {})}
    write_tables(tables, _step_dir(run_dir, step), extra_files=files, table_format=table_format)


def read_parameters(run_dir, step: str) -> dict:
    """The planning parameters a step of a run folder used (its ``parameters.json``), or {}."""
    path = Path(run_dir) / step / "parameters.json" if run_dir else None
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def forecast_step(ds: Dataset, params: PlanParams, scenario=None, run_dir=None, progress=None,
                  table_format: str = "csv", dask: str = ""):
    """:func:`planlib.steps.forecast`, its tables written into ``<run_dir>/forecast`` (as CSV, or
    Parquet with ``table_format="parquet"``; every ``*_step`` function takes it).

    ``dask`` is a Dask scheduler address to fit the models on (the same numbers;
    ``docs/dask.md``); empty: this machine.
    ``progress`` (items done, time left) defaults, inside a weekly run, to :func:`step_progress`: the
    lines reach the terminal of ``planlib run``.

    Returns the :class:`planlib.forecast.ForecastResult` (``safety_stock`` set).
    """
    require(ds, "forecast")
    settings = steps.forecast_settings(params, dask=dask) if dask else None
    res = steps.forecast(ds, params, scenario, settings=settings, progress=progress or step_progress())
    if run_dir:
        _write_step(run_dir, "forecast", steps.forecast_tables(res),
                    steps.used_parameters(params, forecast=res.settings), table_format=table_format)
    return res


def upstream_forecast(ds: Dataset, params: PlanParams, run_dir=None, scenario=None):
    """The forecast and safety stock suggestions MRP plans from: the run folder's forecast step,
    or, when there is none (a notebook opened on its own), the forecast computed in process.

    Returns
    -------
    (DataFrame or None, DataFrame or None)
        ``forecast`` and ``safety_stock`` tables; (None, None) when the dataset has no
        demand history (MRP then plans customer orders alone).
    """
    fc = read_step(run_dir, "forecast", "forecast")
    if fc is not None:
        return fc, read_step(run_dir, "forecast", "safety_stock")
    if not ds.has("demand_history") or not len(ds.demand_history):
        note("the dataset has no demand history: MRP plans customer orders alone, without a forecast.")
        return None, None
    note("no forecast from an earlier step in this run folder: the forecast step (01_forecast) is "
         "computed in process first, as the weekly run does.")
    res = steps.forecast(ds, params, scenario)
    return res.forecast, res.safety_stock


def mrp_step(ds: Dataset, params: PlanParams, run_dir=None, forecast: pd.DataFrame | None = None,
             safety_stock: pd.DataFrame | None = None, scenario=None, settings=None, table_format: str = "csv"):
    """:func:`planlib.steps.mrp` from the forecast given, else the run folder's (else computed in
    process, with a note); its tables written into ``<run_dir>/mrp``.

    Parameters
    ----------
    ds : Dataset
    params : PlanParams
    run_dir : path, optional
        The run folder; None writes nothing.
    forecast : DataFrame, optional
        The forecast step's ``forecast`` table (``item_id, period_start, forecast`` [uom per bucket] ...).
    safety_stock : DataFrame, optional
        ``item_id, safety_stock`` [uom] suggestions (:func:`planlib.inventory.safety_stock`).
    scenario : Scenario, optional
        Scales the forecast computed in process.
    settings : MrpSettings, optional

    Returns
    -------
    MrpResult
        Its tables' columns and units in ``docs/mrp.md``.
    """
    require(ds, "mrp")
    if forecast is None:
        forecast, upstream_ss = upstream_forecast(ds, params, run_dir, scenario)
        safety_stock = upstream_ss if safety_stock is None else safety_stock
    res = steps.mrp(ds, params, forecast, safety_stock, settings)
    if run_dir:
        from planlib.mrp import MrpSettings

        _write_step(run_dir, "mrp", res.tables(),
                    steps.used_parameters(steps.mrp_params(params, forecast), mrp=settings or MrpSettings()),
                    table_format=table_format)
    return res


def upstream_mrp(ds: Dataset, params: PlanParams, run_dir=None, scenario=None):
    """MRP's ``planned_orders`` and ``pegging`` for the schedule: the run folder's MRP step, or,
    when there is none, MRP (and its forecast) computed in process, with a note."""
    planned = read_step(run_dir, "mrp", "planned_orders")
    if planned is not None:
        return planned, read_step(run_dir, "mrp", "pegging")
    note("no material plan from an earlier step in this run folder: the MRP step (02_mrp) is computed "
         "in process first, as the weekly run does.")
    res = mrp_step(ds, params, scenario=scenario)
    return res.planned_orders, res.pegging


#: Environment variable naming the file a step's notebook appends its progress lines to; set by
#: :func:`run_week` while a notebook runs, so that the solver's progress reaches the terminal.
PROGRESS_ENV = "PLANLIB_PROGRESS_FILE"


def step_progress() -> Callable[[str], None] | None:
    """The progress callback of a step run by :func:`run_week`: it appends each line to the file
    named by :data:`PROGRESS_ENV` (which :func:`run_week` relays to its own ``progress``); None
    outside a weekly run."""
    path = os.environ.get(PROGRESS_ENV)
    if not path:
        return None

    def say(message: str) -> None:
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(" ".join(str(message).split()) + "\n")
        except OSError:  # progress is a courtesy: never fail a step for it
            pass

    return say


class _ProgressRelay:
    """While a step's notebook runs: a private progress file named in :data:`PROGRESS_ENV` for the
    kernel, and a thread passing its new lines to ``say`` (prefixed), twice a second."""

    def __init__(self, say: Callable[[str], None], prefix: str):
        self.say, self.prefix = say, prefix

    def __enter__(self):
        import threading

        self.folder = tempfile.mkdtemp(prefix="planlib-progress-")
        self.path = os.path.join(self.folder, "progress.txt")
        Path(self.path).touch()
        self.old = os.environ.get(PROGRESS_ENV)
        os.environ[PROGRESS_ENV] = self.path
        self.offset, self.stop = 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _relay(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                f.seek(self.offset)
                text = f.read()
        except OSError:
            return
        done = text.rfind("\n") + 1  # whole lines only
        self.offset += len(text[:done].encode("utf-8"))
        for line in text[:done].splitlines():
            if line.strip():
                self.say(f"{self.prefix}{line}")

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            self._relay()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self._relay()
        if self.old is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = self.old
        shutil.rmtree(self.folder, ignore_errors=True)
        return False


def schedule_step(ds: Dataset, params: PlanParams, run_dir=None, planned_orders: pd.DataFrame | None = None,
                  settings=None, pegging: pd.DataFrame | None = None, scenario=None, mrp=None,
                  table_format: str = "csv", progress: Callable[[str], None] | None = None):
    """:func:`planlib.steps.schedule` of MRP's orders (``mrp``, or ``planned_orders`` and
    ``pegging``, else the run folder's MRP step, else MRP computed in process with a note).

    Writes the tables of :func:`planlib.steps.schedule_tables` and one printable
    ``dispatch_<work_center>.html`` per work center into ``<run_dir>/schedule``.

    Parameters
    ----------
    ds : Dataset
    params : PlanParams
    run_dir : path, optional
        The run folder; None writes nothing.
    planned_orders : DataFrame, optional
        MRP's ``planned_orders`` table (``order_id, item_id, qty`` [units], ``release_date,
        due_date`` ...; ``docs/mrp.md``).
    settings : ScheduleSettings, optional
    pegging : DataFrame, optional
        MRP's ``pegging`` table, for the promise dates of the customer order lines.
    scenario : Scenario, optional
        Applied to MRP when it is computed in process.
    mrp : MrpResult, optional
        Gives ``planned_orders`` and ``pegging`` at once.
    progress : callable, optional
        Called with the solver's progress lines (time left); default, inside a weekly run,
        :func:`step_progress` (the lines reach the terminal of ``planlib run``).

    Returns
    -------
    ScheduleResult
        Its tables' columns and units in :class:`planlib.schedule.ScheduleResult`.
    """
    require(ds, "schedule")
    if mrp is not None:
        planned_orders, pegging = mrp.planned_orders, mrp.pegging
    elif planned_orders is None:
        planned_orders, pegging = upstream_mrp(ds, params, run_dir, scenario)
    settings = settings or steps.schedule_settings(params)
    res = steps.schedule(ds, params, planned_orders, pegging, settings, progress=progress or step_progress())
    if run_dir:
        _write_step(run_dir, "schedule", steps.schedule_tables(res),
                    steps.used_parameters(params, schedule=settings),
                    extra_files=schedule_pages(res, f"Plan start {params.plan_start}", ds=ds),
                    table_format=table_format)
    return res


def schedule_pages(result, title: str, gantt: bool = True, ds: Dataset | None = None) -> dict[str, str]:
    """The schedule's HTML pages by file name.

    One printable ``dispatch_<work_center>.html`` per work center (a name made safe for a
    file): its work tickets, one list per day (:func:`planlib.schedule.tickets.work_tickets`),
    and ``gantt.html`` (:func:`planlib.schedule.gantt.gantt_chart`, offline) if ``gantt``.
    ``ds`` adds item descriptions and units, the components to pick and the calendar's named
    bands of the Gantt chart (breakdown, overtime ...); without it the pages show codes, and the
    Gantt chart the problem's working time only.
    """
    from planlib.schedule import dispatch_html
    from planlib.schedule.gantt import gantt_chart
    from planlib.schedule.report import dispatch_page_name
    from planlib.schedule.tickets import work_tickets

    p = result.problem
    week = ""
    if getattr(p, "plan_start", None) is not None:
        week = iso_week(pd.Timestamp(p.plan_start))
    pages = {}
    tickets = work_tickets(result.schedule, ds, p.orders, result.material)
    for wc in sorted(result.schedule.work_center_id.unique()) if len(result.schedule) else []:
        pages[dispatch_page_name(wc)] = dispatch_html(result.schedule, wc, title, ds=ds, plan_week=week,
                                                       tickets=tickets)
    if gantt and len(result.schedule):
        pages["gantt.html"] = gantt_page(gantt_chart(result.schedule, ds, f"Schedule, {title}",
                                                     calendar_intervals=p.calendar_intervals))
    return pages


def gantt_page(chart) -> str:
    """A chart as a standalone HTML page that works offline: the Vega libraries are inlined
    (vl-convert's bundle), nothing is fetched from another host; however many bars it has (a
    large plant has more than altair's default limit of 5,000 rows)."""
    import altair as alt

    with alt.data_transformers.disable_max_rows():
        # SVG: every bar is an element of the page (a tooltip, a test, a screen reader find it)
        return chart.to_html(inline=True, embed_options={"renderer": "svg"})


# --------------------------------------------------------------------------- KPIs

KPI_COLUMNS = ["kpi", "label", "value", "unit", "good"]


def week_kpis(ds: Dataset, params: PlanParams, mrp=None, schedule_kpis: pd.DataFrame | None = None,
              forecast_accuracy: pd.DataFrame | None = None,
              promise_dates: pd.DataFrame | None = None, worklist=None) -> pd.DataFrame:
    """The key figures of a weekly plan, as the report shows them first.

    ``exceptions`` ("messages to act on") is the number of rows of the exceptions worklist
    the reports show (:func:`planlib.actions.worklist_of` of ``mrp``, or ``worklist`` when given).

    Parameters
    ----------
    ds : Dataset
    params : PlanParams
    mrp : MrpResult, optional
    schedule_kpis : DataFrame, optional
        The schedule step's ``schedule_kpis`` (``kpi, value`` ...; :func:`planlib.schedule.report.schedule_kpis`).
    forecast_accuracy : DataFrame, optional
        The forecast step's ``forecast_accuracy`` (its ``TOTAL`` row's ``wape`` [%]).
    promise_dates : DataFrame, optional
        The schedule step's ``promise_dates`` (``order_id, due_date, days_late`` [days] ...).
    worklist : Worklist, optional

    Returns
    -------
    DataFrame
        Columns ``kpi, label, value, unit, good`` (``good`` is True, False or None
        where no target applies): on-time orders and late orders from the
        schedule, shortages and exceptions from MRP, inventory value, capacity
        utilisation (mean and peak of the next four weeks), planned orders,
        purchase value of the next four weeks, plan cost, forecast WAPE.
    """
    rows = []

    def add(kpi, label, value, unit="", good=None):
        rows.append(dict(kpi=kpi, label=label, value=value, unit=unit, good=good))

    if schedule_kpis is not None and len(schedule_kpis):
        k = schedule_kpis[schedule_kpis.machine_id.fillna("").astype(str).isin(["", "nan"])].set_index("kpi").value
        on_time = float(k.get("on_time_pct", float("nan")))
        add("on_time_pct", "orders on time (schedule)", on_time, "%", on_time >= 95)
        late = int(float(k.get("late_orders", 0)))
        add("late_orders", "late production orders", late, "orders", late == 0)
        unscheduled = int(float(k.get("unscheduled_orders", k.get("orders_left_out", 0)) or 0))
        add("unscheduled_orders", "make orders not scheduled (data errors)", unscheduled, "orders",
            unscheduled == 0)
        add("weighted_tardiness", "weighted tardiness (schedule)", round(float(k.get("weighted_tardiness", 0)), 1),
            "weighted h")
        util = schedule_kpis[schedule_kpis.kpi == "utilisation_pct"].value.astype(float)
        if len(util):
            add("machine_utilisation_pct", "machine utilisation (schedule, mean)", round(util.mean(), 1), "%")
    if promise_dates is not None and len(promise_dates):
        n_late = len(late_lines(promise_dates))
        add("late_order_lines", "customer order lines the schedule completes late", n_late, "lines", n_late == 0)
    if mrp is not None:
        if worklist is None:
            from planlib.actions import worklist_of

            worklist = worklist_of(ds, mrp, params.plan_start)
        actions = worklist.rows
        short = actions[actions.exception.isin(["release_in_past", "below_safety_stock", "past_due_demand", "shortage"])]
        add("exceptions", "messages to act on", len(worklist), "count")
        add("shortages", "of them shortages (release in the past, below safety stock, past due)",
            len(short), "count", len(short) == 0)
        n_lines = int(worklist.lines.order_id.nunique()) if len(worklist.lines) else 0
        add("customer_lines_at_risk", "customer order lines put at risk by MRP's exceptions", n_lines, "lines",
            n_lines == 0)
        cap = mrp.capacity_load
        first = cap[cap.period <= 4]
        if len(first):
            util = 100 * first.load_hours.sum() / max(first.available_hours.sum(), 1e-9)
            peak = 100 * float(first.utilisation.max())  # utilisation is a fraction of available hours
            add("capacity_utilisation_pct", "capacity load, next 4 weeks", round(util, 1), "%", util <= 100)
            add("peak_utilisation_pct", "peak work center load, next 4 weeks", round(peak, 1), "%", peak <= 100)
            add("overloaded_work_centers", "work centers overloaded in the next 4 weeks",
                int(first[first.overload_hours > 0].work_center_id.nunique()), "work centers",
                bool((first.overload_hours <= 0).all()))
        po = mrp.planned_orders
        add("planned_orders", "planned orders", len(po), "orders")
        pr = mrp.purchase_requisitions
        add("purchase_value_4w", "purchase requisitions, next 4 weeks (currency)", round(float(pr[pr.period <= 4].cost.sum()), 0),
            "")
        add("plan_cost", "plan cost over the horizon (currency)", round(float(mrp.cost_projection.total_cost.sum()), 0), "")
    inv = ds.inventory.merge(ds.items[["item_id", "unit_cost"]], on="item_id", how="left")
    add("inventory_value", "inventory value on hand (currency)", round(float((inv.on_hand * inv.unit_cost.fillna(0)).sum()), 0),
        "")
    if forecast_accuracy is not None and len(forecast_accuracy) and "wape" in forecast_accuracy:
        total = forecast_accuracy[forecast_accuracy.item_id.astype(str).str.lower().isin(["total", "(total)", "all"])]
        wape = float(total.wape.iloc[0]) if len(total) else float(forecast_accuracy.wape.median())
        add("forecast_wape_pct", "forecast error (WAPE, backtest)", round(wape, 1), "%")  # already in percent
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


# --------------------------------------------------------------------------- follow-up

#: The follow-up step's tables, written into ``<run>/follow_up/<name>.csv`` (columns in
#: ``docs/status-report.md`` and the engines' docs; :mod:`planlib.status` reads them).
FOLLOW_UP_TABLES = ("attainment_by_work_center", "attainment_by_order", "production_rates", "downtime",
                    "scrap_by_item", "scrap_by_reason", "scrap_orders", "materials", "cost_by_order",
                    "cost_by_week", "supplier_followup", "labour_requirements", "kpis")

#: Days before its due date an unconfirmed purchase order is chased (``supplier_followup``).
UNCONFIRMED_DAYS = 7


@dataclass
class FollowUp:
    """What the follow-up step computed (see :func:`follow_up_step`)."""

    #: The tables of :data:`FOLLOW_UP_TABLES` that were computed, by name.
    tables: dict
    #: This week's key figures: the plan's (``weekly_report/kpis``) and the follow-up's.
    kpis: pd.DataFrame
    #: The week looked back on (the week before the plan week).
    reported_week: str
    #: What attainment compares with, in words ("" when nothing was reported).
    basis: str
    #: ``status_report.html``.
    status_page: str
    #: Supplier id -> file name of its printable page under ``follow_up/supplier/`` (the mail draft
    #: has the same name ending ``.eml``).
    supplier_pages: dict = field(default_factory=dict)
    #: File name -> content of the supplier pages (text) and mail drafts (bytes).
    supplier_files: dict = field(default_factory=dict)
    #: Engines not in this installation (their sections say so): module names.
    missing_engines: tuple = ()


def supplier_file_name(supplier_id) -> str:
    """File name (without extension) of a supplier's page and mail draft: the id made safe for a
    file, with a short hash of the id when it had to be changed (two ids never share a file)."""
    text = str(supplier_id)
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"
    if safe != text:
        safe += "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return safe


def _in_week(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    dates = pd.to_datetime(frame[column], errors="coerce")
    return frame[(dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))]


def _mrp_from_run(ds: Dataset, params: PlanParams, run_dir):
    """MRP's result as the run folder holds it (its tables read back), else computed in process."""
    from dataclasses import fields as dc_fields

    from planlib.mrp import MrpResult

    names = [f.name for f in dc_fields(MrpResult)]
    if run_dir and table_path(Path(run_dir) / "mrp", "planned_orders") is not None:
        return _Tables({n: read_step(run_dir, "mrp", n) for n in names})
    return mrp_step(ds, params)


def follow_up(ds: Dataset, params: PlanParams, run_dir=None, archive_path: str = "",
              scenario: str = "", recorded: Dataset | None = None) -> FollowUp:
    """Follow up last week's plan: attainment, scrap, materials, costs, suppliers, labour, and the
    plant manager's status report (:func:`planlib.status.status_page`), without writing anything.

    The reported week is the week before the plan week. Attainment compares its production
    reports with the schedule the base plan published for that week (the plan archive), else with
    released orders' due dates. Supplier follow-up reads MRP's tables of the run folder (else MRP
    computed in process), labour requirements the run's schedule. A plant without execution data
    gets empty tables, and the status page says so in sentences.

    Parameters
    ----------
    ds : Dataset
    params : PlanParams
    run_dir : path, optional
        The run folder of the earlier steps (``mrp``, ``schedule``, ``weekly_report``).
    archive_path : str
        The plan archive (DuckDB file); empty: no previous schedule, no trend.
    scenario : str
        The scenario file of a scenario run ("" for the base plan): the page's heading names it
        as the other reports do, and the trends draw its run's KPI history.
    recorded : Dataset, optional
        The dataset as loaded, before the execution records were applied (attainment and
        variance need the orders closed since the snapshot); default ``ds``.

    Returns
    -------
    FollowUp
    """
    from planlib import archive, report, status
    from planlib import attainment as attainment_engine
    from planlib import labour as labour_engine
    from planlib import supplier_followup as supplier_engine
    from planlib import variance as variance_engine

    missing: list[str] = []

    scenario_name = run_name(scenario) if scenario else "base"

    week = iso_week(pd.Timestamp(params.plan_start).date())
    reported = status.reported_week(week)
    start, end = week_start(reported), week_start(week)
    tables: dict[str, pd.DataFrame] = {}
    basis = ""
    reports = ds.production_reports
    week_reports = _in_week(reports, "report_date", start, end) if len(reports) else reports
    rec = recorded if recorded is not None else ds
    if len(week_reports):
        previous = archive.read_run(archive_path, reported, "base").get("schedule") if archive_path else None
        att = attainment_engine.attainment(rec, reported, previous)
        tables.update(attainment_by_work_center=att.by_work_center, attainment_by_order=att.by_order,
                      production_rates=att.rates, downtime=att.downtime)
        basis = att.basis
    if len(week_reports):
        sc = variance_engine.scrap(rec, reported)
        cv = variance_engine.costs(rec, reported)
        tables.update(scrap_by_item=sc.by_item, scrap_by_reason=sc.by_reason, scrap_orders=sc.orders,
                      cost_by_order=cv.by_order, cost_by_week=cv.by_week)
        if len(rec.material_issues):
            tables["materials"] = variance_engine.materials(rec, reported)
    pages: dict[str, str | bytes] = {}
    files: dict[str, str] = {}
    purchases = ds.scheduled_receipts
    if "order_type" in purchases:
        purchases = purchases[purchases.order_type.astype(str) == "purchase"]
    if len(purchases):
        mrp = _mrp_from_run(ds, params, run_dir)
        # the safety stock MRP planned to (the forecast step's suggestions), so need dates are MRP's
        planned_ss = steps.planning_safety_stock(read_step(run_dir, "forecast", "safety_stock") if run_dir
                                                 else None, ds.items)
        fu = supplier_engine.supplier_followup(ds, mrp, pd.Timestamp(params.plan_start),
                                               unconfirmed_days=UNCONFIRMED_DAYS, safety_stock=planned_ss)
        tables["supplier_followup"] = fu
        for sid in dict.fromkeys(fu.supplier_id.dropna().astype(str)) if "supplier_id" in fu else ():
            name = supplier_file_name(sid)
            files[sid] = name
            pages[f"{name}.html"] = supplier_engine.supplier_page(fu, ds, sid)
            pages[f"{name}.eml"] = supplier_engine.mail_draft(fu, ds, sid)
    schedule = read_step(run_dir, "schedule", "schedule") if run_dir else None
    if schedule is not None and len(schedule):
        tables["labour_requirements"] = labour_engine.labour_requirements(schedule, ds, params.plan_start)
    late = late_lines(read_step(run_dir, "schedule", "promise_dates")) if run_dir else late_lines(None)
    plan_kpis = read_step(run_dir, "weekly_report", "kpis") if run_dir else None
    if plan_kpis is None:
        plan_kpis = week_kpis(ds, params)
    shown = dict(tables)
    labour = shown.get("labour_requirements")
    day = _first_column(labour, ("day", "date", "shift_start")) if labour is not None else None
    if day:  # the cards and the page: this week's shifts (the table written keeps the whole schedule)
        shown["labour_requirements"] = _in_week(labour, day, end, pd.Timestamp(end) + pd.Timedelta(days=7))
    tables["kpis"] = status.follow_up_kpis(shown)
    parts = [t for t in (plan_kpis.reindex(columns=KPI_COLUMNS), tables["kpis"]) if len(t)]
    kpis = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=KPI_COLUMNS)
    history = archive.kpi_history(archive_path, scenario_name) if archive_path else pd.DataFrame()
    this_week = kpis.assign(week=week)[["week", "kpi", "value", "unit"]]
    if len(history):
        history = pd.concat([history[history.week != week], this_week], ignore_index=True)
    else:
        history = this_week
    links = {sid: f"follow_up/supplier/{quote(name)}.html" for sid, name in files.items()}
    facts = {"reported_week": reported, "basis": basis, "production_reports": len(week_reports)}
    page = status.status_page({**shown, "late_order_lines": late, "production_reports": week_reports},
                              kpis, history, week, currency=getattr(params, "currency", "EUR") or "EUR",
                              facts=facts, supplier_links=links, missing_engines=tuple(missing),
                              title=f"Status report, week {week}"
                              + (f" ({_scenario_title(scenario, scenario_name)})" if scenario else ""),
                              heading=report.heading_html(f"Status report, week {week}", scenario))
    return FollowUp(tables, kpis, reported, basis, page, files, pages, tuple(missing))


def _first_column(frame, names) -> str | None:
    return next((n for n in names if frame is not None and n in frame.columns), None)


def follow_up_step(ds: Dataset, params: PlanParams, run_dir=None, archive: str = "",
                   scenario: str = "", recorded: Dataset | None = None, table_format: str = "csv") -> FollowUp:
    """:func:`follow_up`, written into the run folder: the tables into ``<run_dir>/follow_up``,
    one printable page and one mail draft per supplier with open purchase orders into
    ``<run_dir>/follow_up/supplier/<supplier>.html`` and ``.eml``, and the plant manager's
    ``<run_dir>/status_report.html``.

    Parameters
    ----------
    ds : Dataset
    params : PlanParams
    run_dir : path, optional
        The run folder; None writes nothing.
    archive : str
        The plan archive (DuckDB file) of earlier runs.
    scenario : str
        The scenario file of a scenario run ("" for the base plan).
    recorded : Dataset, optional
        The dataset as loaded, before the execution records were applied (see :func:`follow_up`).

    Returns
    -------
    FollowUp
    """
    res = follow_up(ds, params, run_dir, archive, scenario, recorded)
    if run_dir:
        used = steps.used_parameters(params)
        used["follow_up"] = {"reported_week": res.reported_week, "basis": res.basis,
                             "unconfirmed_days": UNCONFIRMED_DAYS, "missing_engines": list(res.missing_engines)}
        _write_step(run_dir, "follow_up", res.tables, used, table_format=table_format)
        if res.supplier_files:
            write_tables({}, Path(run_dir) / "follow_up" / "supplier", extra_files=res.supplier_files)
        out = Path(run_dir) / "status_report.html"
        tmp = out.with_name(f".{out.name}.tmp")
        try:
            tmp.write_text(res.status_page, encoding="utf-8")
            os.replace(tmp, out)
        except BaseException:
            _unlink(tmp)
            raise
    return res


# --------------------------------------------------------------------------- in process

@dataclass
class WeekPlan:
    """A week planned in process (see :func:`plan_week`)."""

    forecast: pd.DataFrame
    mrp: object
    schedule: object
    kpis: pd.DataFrame
    timings: dict = field(default_factory=dict)
    forecast_result: object = None

    @property
    def planned_orders(self) -> pd.DataFrame:
        """MRP's ``planned_orders`` table (columns in ``docs/mrp.md``)."""
        return self.mrp.planned_orders

    @property
    def exceptions(self) -> pd.DataFrame:
        """MRP's ``exceptions`` table (columns in ``docs/mrp.md``)."""
        return self.mrp.exceptions

    @property
    def capacity_load(self) -> pd.DataFrame:
        """MRP's ``capacity_load`` table: load and available hours [h] per work center and week (``docs/mrp.md``)."""
        return self.mrp.capacity_load


def plan_week(ds: Dataset, params: PlanParams, forecast=None,
              progress: Callable[[str], None] | None = None, scenario=None) -> WeekPlan:
    """Forecast (unless given), MRP and schedule in process, with the steps of the weekly run.

    The same functions as the weekly run's notebooks (:mod:`planlib.steps`), so the same
    data and parameters give the same planned orders and schedule.

    Parameters
    ----------
    ds : Dataset
        The data, with any scenario already applied; the execution records since
        ``inventory.as_of`` are applied first (:func:`planlib.validate.planning_dataset`).
    params : PlanParams
    forecast : ForecastResult or DataFrame, optional
        A forecast to reuse. A :class:`planlib.forecast.ForecastResult` (what
        :func:`planlib.steps.forecast` returns) carries its safety stock
        suggestions too, as in the weekly run; a bare ``item_id, period_start,
        forecast`` table has none (MRP then plans to the item master's safety
        stock). Computed if None.
    progress : callable, optional
        Called with a line of text before each step.
    scenario : Scenario, optional
        Scales the forecast by the scenario's demand multipliers.
    """
    say = progress or (lambda message: None)
    ds = planning_dataset(ds, params.plan_start)  # the snapshot + what happened since (idempotent)
    timings = {}
    t = time.perf_counter()
    result = None
    if forecast is None:
        say("forecast")
        result = steps.forecast(ds, params, scenario)
        timings["forecast"] = time.perf_counter() - t
    elif isinstance(forecast, pd.DataFrame):
        if scenario is not None:
            from planlib.scenario import scale_forecast

            forecast = scale_forecast(forecast, scenario, ds.items)
    else:
        result = steps.scenario_forecast(forecast, scenario, ds.items, params) if scenario is not None else forecast
    table = result.forecast if result is not None else forecast
    say("mrp")
    t = time.perf_counter()
    mrp = steps.mrp(ds, params, table, result.safety_stock if result is not None else None)
    timings["mrp"] = time.perf_counter() - t
    say("schedule")
    t = time.perf_counter()
    sched = steps.schedule(ds, params, mrp.planned_orders, mrp.pegging)
    timings["schedule"] = time.perf_counter() - t
    kpis = week_kpis(ds, params, mrp, sched.kpis, result.accuracy if result is not None else None,
                     getattr(sched, "promise_dates", None))
    return WeekPlan(table, mrp, sched, kpis, timings, result)


# --------------------------------------------------------------------------- weekly run

class StepFailed(Exception):
    """A step of the weekly run (a notebook, or ``publish``) failed; ``notebook`` is kept for inspection."""

    def __init__(self, step: str, error: str, notebook: Path | None) -> None:
        super().__init__(f"step '{step}' failed: {error}")
        self.step, self.error, self.notebook = step, error, notebook
        self.disk_full = False  # set by run_week when the disk holding the reports folder is full
        self.kept = None  # the .failed-<scenario> folder kept, or None


def _checksums(source: str) -> dict:
    path = Path(source)
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path] if path.is_file() else []
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("planlib", "pandas", "numpy", "ortools", "statsforecast", "altair", "papermill", "duckdb"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def run_week(source: str, week: str | None = None, scenario: str | None = None, out: str | os.PathLike = "reports",
             seed: int = 0, time_limit_s: float = 10.0, progress: Callable[[str], None] | None = None,
             notebooks: Path = NOTEBOOKS, lock_wait_s: float = 0.0, respect_staffing: bool = False,
             table_format: str = "csv", dask: str = "") -> Path:
    """Run the weekly plan with papermill and publish it in ``<out>/<week>/<scenario>/``.

    What a run guarantees (``docs/weekly-run.md``): one run at a time per reports
    folder (a lock), an atomic publish, an archive that holds only published runs,
    and a failed run kept aside in ``<out>/<week>/.failed-<scenario>/``.

    Parameters
    ----------
    source : str
        The dataset.
    week : str, optional
        ISO week to plan; default the current week.
    scenario : str, optional
        Scenario YAML file; the run folder is named after the file name, which must be
        a safe name (:func:`run_name`).
    out : path
        The reports folder.
    seed, time_limit_s : passed to the notebooks (solver seed and time limit).
    progress : callable, optional
        Called with a line of text as the run goes.
    notebooks : path
        Folder of the step notebooks (:data:`STEPS`).
    lock_wait_s : float
        How long to wait for another run of the same reports folder to finish
        before giving up with :class:`RunLocked` (default: do not wait).
    respect_staffing : bool
        Passed to the notebooks: the schedule plans operators to ``staffing``
        (:attr:`PlanParams.respect_staffing`, docs/labour.md).
    table_format : {"csv", "parquet"}
        The file format of every step's tables in the run folder (a notebook parameter of
        each step; the manifest records it).
    dask : str
        Address of a running Dask scheduler the forecast step fits its models on
        (the same numbers; ``docs/dask.md``); empty (default): this machine.

    Returns
    -------
    Path
        The published run folder.

    Raises
    ------
    StepFailed
        A step (or the publish) failed: the previous run of the week is left untouched
        and the failed run, with its notebooks, is kept in ``<out>/<week>/.failed-<scenario>``
        (on a full disk only its manifest and failed notebook, or nothing if even that
        cannot be written). ``disk_full`` tells a full disk.
    RunLocked
        Another run of the same reports folder is in progress (an :class:`InputError`).
    InputError
        The inputs or the scenario's file name cannot be planned (checked before anything is written).
    """
    import papermill as pm

    from planlib import archive
    from planlib.report import export_html, write_index

    say = progress or (lambda message: None)
    week = week or iso_week(dt.date.today())
    week_start(week)  # raises on a bad week
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {table_format!r}: one of {', '.join(TABLE_FORMATS)}")
    name = run_name(scenario) if scenario else "base"
    out = Path(out).resolve()
    source_arg = source if "://" in str(source) else str(Path(source).resolve())
    scenario_arg = str(Path(scenario).absolute()) if scenario else ""  # not resolved: a link keeps its name
    secrets = _secrets(source_arg)
    # Check the inputs first: a bad dataset or scenario never starts a run.
    say(f"checking {mask_source(source)}")
    inputs(source_arg, week, scenario_arg)
    archive_path = out / "archive.duckdb"
    out.mkdir(parents=True, exist_ok=True)
    with _RunLock(out, week, name, lock_wait_s, say):
        _recover(out, say)
        final = out / week / name
        final.parent.mkdir(parents=True, exist_ok=True)
        failed = final.parent / f".failed-{name}"
        old = final.parent / f".old-{name}"
        manifest = {"week": week, "scenario": name, "run_id": uuid.uuid4().hex, "source": mask_source(source),
                    "scenario_file": scenario or "", "scenario_name": _scenario_title(scenario_arg, name),
                    "plan_start": week_start(week).isoformat(), "seed": seed, "time_limit_s": time_limit_s,
                    "respect_staffing": respect_staffing,
                    "table_format": table_format,
                    "inputs_sha256": _checksums(source_arg), "versions": _versions(),
                    "scenario_sha256": hashlib.sha256(Path(scenario).read_bytes()).hexdigest() if scenario else "",
                    "started_at": dt.datetime.now().isoformat(timespec="seconds"), "pid": os.getpid(), "steps": {}}
        stage, staged, published, tmp = "start", None, False, None
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=final.parent))  # 0700 until published
            parameters = dict(source=source_arg, week=week, run_dir=str(tmp), seed=seed, time_limit_s=time_limit_s,
                              respect_staffing=respect_staffing, scenario=scenario_arg, archive=str(archive_path),
                              table_format=table_format)
            (tmp / "notebooks").mkdir()
            for i, (step, notebook, title) in enumerate(STEPS, 1):
                stage = step
                say(f"step {i}/{len(STEPS)}: {step}")
                t = time.perf_counter()
                executed = tmp / "notebooks" / notebook
                step_parameters = dict(parameters, dask=dask) if dask and step == "forecast" else parameters
                try:
                    with _ProgressRelay(say, f"step {i}/{len(STEPS)}: {step}: "):
                        pm.execute_notebook(str(notebooks / notebook), str(executed), parameters=step_parameters,
                                            progress_bar=False, cwd=str(notebooks), kernel_name="python3",
                                            kernel_manager_class=_local_kernel_manager())
                except pm.PapermillExecutionError as exc:
                    raise StepFailed(step, f"{exc.ename}: {exc.evalue}", executed) from None
                except Exception as exc:  # kernel died, notebook missing ...
                    raise StepFailed(step, f"{type(exc).__name__}: {exc}", executed) from None
                finally:
                    _scrub_notebook(executed, secrets)
                export_html(executed, tmp / f"{Path(notebook).stem.split('_', 1)[1]}.html",
                            f"{title} {week} ({manifest['scenario_name']})")
                manifest["steps"][step] = {"seconds": round(time.perf_counter() - t, 2),
                                           "notebook": f"notebooks/{notebook}"}
                say(f"step {i}/{len(STEPS)}: {step} done in {time.perf_counter() - t:.1f} s")
            stage = "publish"
            sched_kpis = read_step(tmp, "schedule", "schedule_kpis")
            if sched_kpis is not None:
                status = sched_kpis[sched_kpis.kpi == "solver_status"].value
                manifest["solver_status"] = str(status.iloc[0]) if len(status) else ""
                manifest["schedule_solver"] = _solver_facts(sched_kpis)
            # every planning parameter the steps actually used (each step wrote its parameters.json)
            used = {step: read_parameters(tmp, step) for step in ("forecast", "mrp", "schedule")}
            manifest["parameters"] = {"plan": used["schedule"].get("plan") or used["mrp"].get("plan", {}),
                                      "mrp_horizon_weeks": used["mrp"].get("plan", {}).get("horizon_weeks"),
                                      **{step: used[step].get(step) for step in used if used[step].get(step)}}
            manifest["schedule_horizon_days"] = manifest["parameters"]["plan"].get("schedule_horizon_days")
            manifest["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
            manifest["status"] = "ok"
            _write_manifest(tmp, manifest)
            # Archive and publish agree: the archive rows are written in a transaction that is
            # committed only once the run folder is in place (docs/weekly-run.md).
            staged = archive.stage_run(archive_path, week, name, _archive_tables(tmp), manifest)
            _follow_umask(tmp)
            _rmtree(old)
            had_previous = final.exists()
            if had_previous:
                os.replace(final, old)
            try:
                os.replace(tmp, final)
            except BaseException:
                if had_previous:
                    os.replace(old, final)
                raise
            published = True
            try:
                staged.commit()
            except BaseException:  # the archive refused the run: take the publish back
                os.replace(final, tmp)
                published = False
                if had_previous:
                    os.replace(old, final)
                raise
        except BaseException as exc:
            if staged is not None:
                staged.rollback()
            if published:  # failed after the commit: the run is published and archived
                raise
            raise _fail(exc, stage, tmp, failed, manifest, secrets, say) from None
        _rmtree(old)
        _rmtree(failed)  # this scenario's earlier failure is superseded; other scenarios' are left alone
        try:
            write_index(out)
        except Exception as exc:  # the run is published and archived; only the index page is stale
            say(f"could not rewrite {out / 'index.html'}: {exc}")
            _unlink(out / ".index.html.tmp")
    say(f"published {final}")
    return final


# --------------------------------------------------------------------------- weekly run: safety

#: A scenario's run folder name is its file name without ``.yaml``, and must match this:
#: lowercase letters, digits, ``_`` and ``-``, starting with a letter or digit, at most 64 characters.
#: Lowercase only, so two names never differ by case alone (one folder on macOS or Windows).
#: The lock file in the reports folder (``fcntl.flock``; the OS releases it when its process dies).
LOCK_FILE = ".planlib-run.lock"
_WEEK_DIR = re.compile(r"\d{4}-W\d{2}")
_STALE = re.compile(r"\.(?:[a-z0-9][a-z0-9_-]*\.tmp-.+|old-[a-z0-9][a-z0-9_-]*)")


class RunLocked(InputError):
    """Another run of the same reports folder holds the lock; ``holder`` is what it wrote there."""

    def __init__(self, message: str, problems: pd.DataFrame, holder: dict) -> None:
        super().__init__(message, problems)
        self.holder = holder


def _local_kernel_manager():
    """A kernel manager whose kernels talk over Unix sockets in a private temporary folder, not
    TCP: nothing listens on a port, and the kernels do not warn (on every step, in cron logs) that
    TCP is unencrypted. The folder is removed when the process ends."""
    global _KERNEL_MANAGER
    if _KERNEL_MANAGER is None:
        import atexit

        from jupyter_client.manager import AsyncKernelManager
        from traitlets import CaselessStrEnum

        sockets = tempfile.mkdtemp(prefix="planlib-kernels-")  # short: a socket path has ~100 bytes
        atexit.register(shutil.rmtree, sockets, True)

        class LocalKernelManager(AsyncKernelManager):
            transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

            def _ip_default(self):
                return os.path.join(sockets, "kernel")

        _KERNEL_MANAGER = LocalKernelManager
    return _KERNEL_MANAGER


_KERNEL_MANAGER = None


def _solver_facts(kpis: pd.DataFrame) -> dict:
    """The schedule solver's figures for the manifest, from the ``schedule_kpis`` table: objective
    of the heuristic and of the published schedule, the bound and its source, the gap [%], how it
    was solved (``windows`` for a large plant), seconds."""
    k = kpis[kpis.machine_id.fillna("").astype(str).isin(["", "nan"])] if "machine_id" in kpis else kpis
    values = dict(zip(k.kpi, k.value))
    out = {}
    for key in ("heuristic_objective", "heuristic_seconds", "objective", "bound", "bound_source", "gap_pct",
                "cpsat_status", "method", "windows", "windows_improved", "seconds"):
        v = values.get(key)
        if v is None or (isinstance(v, float) and pd.isna(v)):
            continue
        try:
            out[key] = float(v) if key not in ("bound_source", "cpsat_status", "method") else str(v)
        except (TypeError, ValueError):
            out[key] = str(v)
    return out


def run_name(scenario: str | os.PathLike) -> str:
    """The run folder name of a scenario file: its file name without the extension.

    Parameters
    ----------
    scenario : str or path
        The scenario file.

    Returns
    -------
    str
        A name matching :data:`SAFE_NAME` and not in :data:`RESERVED_NAMES`: it can never be
        ``base``, another scenario's folder under another case, or a path outside the week's folder.

    Raises
    ------
    InputError
        The name is not safe; the fix names the file to rename it to.
    """
    path = Path(scenario)
    stem = path.stem if path.suffix.lower() in (".yaml", ".yml") else path.name
    if SAFE_NAME.fullmatch(stem) and stem not in RESERVED_NAMES:
        return stem
    suggestion = safe_name(stem)  # the name the scenario editor would save it under
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in path.name)
    if stem.lower() in RESERVED_NAMES:
        problem = (f"'{stem}' is reserved ('base' is the base plan's folder)" if stem.lower() == "base"
                   else f"'{stem}' is a name Windows reserves")
    else:
        problem = ("the file name is not a safe run folder name: use lowercase letters, digits, _ and -, "
                   "starting with a letter or digit, at most 64 characters")
    p = Problems()
    p.add("scenario", shown, "file name", shown, problem,
          f"rename the file to {suggestion}{path.suffix.lower() if path.suffix.lower() in ('.yaml', '.yml') else '.yaml'}"
          " (its name becomes the run folder reports/<week>/<name>/; the scenario's name: field is what reports show)")
    raise InputError(f"the scenario file name {shown} cannot name a run folder", p.frame())


def _scenario_title(scenario_path: str, name: str) -> str:
    """The scenario's ``name:`` field (what reports show), or the run name."""
    if not scenario_path:
        return name
    from planlib.scenario import load_scenario

    try:
        return load_scenario(scenario_path).name or name
    except InputError:
        return name


class _RunLock:
    """One run at a time per reports folder: ``fcntl.flock`` on :data:`LOCK_FILE`.

    The holder writes its pid, host, week, scenario and start time into the file, so
    the next run can say who holds it. The OS drops the lock when the process dies,
    however it dies: a lock file left by a killed run is simply taken over.
    """

    def __init__(self, out: Path, week: str, name: str, wait_s: float, say) -> None:
        self.path, self.wait_s, self.say = out / LOCK_FILE, max(0.0, float(wait_s)), say
        self.info = {"pid": os.getpid(), "host": platform.node(), "week": week, "scenario": name,
                     "started_at": dt.datetime.now().isoformat(timespec="seconds")}
        self.fd = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux or macOS: no lock
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        deadline = time.monotonic() + self.wait_s
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._holder(fd)
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self._locked(holder) from None
                if not said:
                    self.say(f"waiting up to {self.wait_s:g} s for {_describe_holder(holder)}")
                    said = True
                time.sleep(min(0.5, max(0.01, deadline - time.monotonic())))
        left = self._holder(fd)
        if left:  # written by a run that never let go of the file normally: it died
            self.say(f"taking over the lock of {_describe_holder(left)}, which is no longer running")
        self.fd = fd
        try:  # who holds it, for the next run to say; the flock alone is the lock (a full disk may refuse this)
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(self.info).encode(), 0)
        except OSError:
            pass
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                os.close(self.fd)  # releases the flock
                self.fd = None

    @staticmethod
    def _holder(fd) -> dict:
        try:
            text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            return json.loads(text) if text.strip() else {}
        except (OSError, ValueError):
            return {}

    def _locked(self, holder: dict) -> RunLocked:
        p = Problems()
        p.add("reports folder", str(self.path.parent), "", _describe_holder(holder),
              "another run of this reports folder is in progress",
              "wait for it to finish and run again (or pass --wait SECONDS); a run whose process died "
              "releases the lock by itself")
        waited = f" (waited {self.wait_s:g} s)" if self.wait_s else ""
        return RunLocked(f"{_describe_holder(holder)} holds {self.path}{waited}", p.frame(), holder)


def _describe_holder(holder: dict) -> str:
    if not holder:
        return "another run (starting)"
    return (f"the run of week {holder.get('week', '?')}, scenario {holder.get('scenario', '?')}, "
            f"process {holder.get('pid', '?')} on {holder.get('host', '?')}, started {holder.get('started_at', '?')}")


def _recover(out: Path, say) -> None:
    """Clean what killed runs left in the reports folder (called under the lock, so no live run owns it).

    ``.<name>.tmp-*`` folders (runs being built) are removed; an ``.old-<name>`` folder is
    a publish cut short: it is put back if ``<name>`` is missing, else removed. Published
    runs missing from the archive, or archived under another run, are archived again from
    their folder (the folder is the truth).
    """
    from planlib import archive

    for week_dir in sorted(p for p in out.iterdir() if p.is_dir() and _WEEK_DIR.fullmatch(p.name)):
        for entry in sorted(week_dir.iterdir()):
            if not _STALE.fullmatch(entry.name):
                continue
            if entry.name.startswith(".old-"):
                final = week_dir / entry.name[len(".old-"):]
                if not final.exists():
                    os.replace(entry, final)
                    say(f"restored {final} (a publish was cut short)")
                    continue
            say(f"removing {entry} (left by a run that was killed)")
            _rmtree(entry)
    _unlink(out / ".index.html.tmp")
    archive_path = out / "archive.duckdb"
    archived = archive.run_ids(archive_path)
    for manifest_path in sorted(out.glob("*/*/manifest.json")):
        run = manifest_path.parent
        if not _WEEK_DIR.fullmatch(run.parent.name) or run.name.startswith("."):
            continue
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        run_id = manifest.get("run_id")
        if manifest.get("status") != "ok" or not run_id or archived.get((run.parent.name, run.name)) == run_id:
            continue
        say(f"archiving {run} (published, but its archive write was cut short)")
        archive.archive_run(archive_path, run.parent.name, run.name, _archive_tables(run), manifest)


def _archive_tables(run_dir: Path) -> dict:
    """The tables of a run folder the archive keeps."""
    return {"planned_orders": read_step(run_dir, "mrp", "planned_orders"),
            "schedule": read_step(run_dir, "schedule", "schedule"),
            "exceptions": read_step(run_dir, "mrp", "exceptions"),
            "kpis": _run_kpis(run_dir)}


def _run_kpis(run_dir: Path) -> pd.DataFrame | None:
    """The KPIs the archive keeps of a run: the plan's (``weekly_report/kpis``) and the follow-up's
    (``follow_up/kpis``: attainment, scrap, cost variance, late purchase orders, labour shortfall)."""
    frames = [t for t in (read_step(run_dir, "weekly_report", "kpis"), read_step(run_dir, "follow_up", "kpis"))
              if t is not None and len(t)]
    if not frames:
        return read_step(run_dir, "weekly_report", "kpis")
    return pd.concat(frames, ignore_index=True).drop_duplicates("kpi", keep="first")


def _write_manifest(folder: Path, manifest: dict) -> None:
    """``manifest.json``, written whole or not at all."""
    tmp = folder / ".manifest.json.tmp"
    try:
        tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, folder / "manifest.json")
    except BaseException:
        _unlink(tmp)
        raise


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text or "[Errno 28]" in text


def _fail(exc: BaseException, stage: str, tmp: Path | None, failed: Path, manifest: dict, secrets, say) -> BaseException:
    """Keep a failed run in ``failed`` (or remove it) and say which step failed and why.

    On a full disk, what the run wrote is removed first, keeping only the manifest and
    the failed notebook; if even the manifest cannot be written the run folder goes.
    Never raises itself: the error the user sees is the step's.
    """
    disk_full = _is_disk_full(exc) or (isinstance(exc, StepFailed) and _is_disk_full(Exception(exc.error)))
    if isinstance(exc, StepFailed):
        step, error, notebook = exc.step, exc.error, exc.notebook
    elif isinstance(exc, KeyboardInterrupt):
        step, error, notebook = stage, "interrupted", None
    else:
        step, error, notebook = stage, f"{type(exc).__name__}: {exc}", None
    error = _mask(error, secrets)
    if disk_full:
        free = _free_bytes(failed.parent)
        error = (f"the disk is full ({free / 1e6:,.1f} MB free in {failed.parent}); free some space and run "
                 f"again. {error}")
    kept = None
    try:
        if tmp is not None and tmp.exists():
            if disk_full:  # give the space back: keep only what says what went wrong
                for entry in tmp.iterdir():
                    if entry.name != "notebooks":
                        _rmtree(entry)
                for nb in (tmp / "notebooks").glob("*"):
                    if notebook is None or nb.name != notebook.name:
                        _rmtree(nb)
            manifest.update(status="failed", failed_step=step, error=error, disk_full=disk_full,
                            finished_at=dt.datetime.now().isoformat(timespec="seconds"))
            _write_manifest(tmp, manifest)
            _follow_umask(tmp)
            _rmtree(failed)
            os.replace(tmp, failed)
            kept = failed
    except OSError as cleanup_error:  # cannot even keep the failed run: leave nothing behind
        say(f"could not keep the failed run ({cleanup_error}); removing it")
        if tmp is not None:
            _rmtree(tmp)
        _rmtree(failed)
    if isinstance(exc, KeyboardInterrupt):
        return exc
    kept_notebook = kept / "notebooks" / notebook.name if kept is not None and notebook is not None else None
    if kept_notebook is not None and not kept_notebook.exists():
        kept_notebook = None
    result = StepFailed(step, error, kept_notebook)
    result.disk_full, result.kept = disk_full, kept
    return result


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _follow_umask(folder: Path) -> None:
    """``mkdtemp`` creates 0700: give the run folder the mode any other folder would get."""
    os.chmod(folder, 0o777 & ~current_umask())


def _secrets(source: str) -> list[tuple[str, str]]:
    """(text, replacement) pairs that hide a database password wherever the run records the source."""

    masked = mask_source(source)
    if masked == source:
        return []
    pairs = [(source, masked)]
    password = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/:@]*:([^@/]*)@", source)
    if password and len(password.group(1)) >= 4:
        pairs.append((password.group(1), "***"))
    return pairs


def _mask(text: str, secrets) -> str:
    for secret, replacement in secrets:
        text = text.replace(secret, replacement)
    return text


def _scrub_notebook(path: Path, secrets) -> None:
    """Replace the database password in an executed notebook (its parameters cell, any traceback)."""
    if not secrets or not path.exists():
        return

    def clean(value):
        if isinstance(value, str):
            return _mask(value, secrets)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    nb = json.loads(path.read_text(encoding="utf-8"))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(clean(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _rmtree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink(path)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        pass


# --------------------------------------------------------------------------- report helpers

def forecast_kpis(fc) -> pd.DataFrame:
    """Headline figures of a forecast run: items, classes, backtest accuracy and coverage.

    Parameters
    ----------
    fc : ForecastResult

    Returns
    -------
    DataFrame
        Columns ``kpi, label, value, unit, good``: ``items_forecast`` and ``class_<class>``
        [items], ``forecast_wape_pct, forecast_bias_pct, coverage_80_pct, fva_pct`` [%] and
        ``forecast_mase`` [-] of the backtest, ``overrides`` [buckets].
    """
    acc = fc.accuracy
    total = acc[acc.item_id.astype(str) == "TOTAL"]
    rows = [dict(kpi="items_forecast", label="items forecast", value=int(fc.forecast.item_id.nunique()), unit="items")]
    for cls, n in fc.classes.demand_class.value_counts().sort_index().items():
        rows.append(dict(kpi=f"class_{cls}", label=f"{cls} items", value=int(n), unit="items"))
    if len(total):
        t = total.iloc[0]
        rows += [dict(kpi="forecast_wape_pct", label="forecast error (WAPE, backtest)", value=round(t.wape, 1), unit="%"),
                 dict(kpi="forecast_mase", label="MASE (backtest)", value=round(t.mase, 3), unit=""),
                 dict(kpi="forecast_bias_pct", label="bias (backtest)", value=round(t.bias, 1), unit="%"),
                 dict(kpi="coverage_80_pct", label="80 % interval coverage", value=round(t.coverage_80, 1), unit="%",
                      good=bool(70 <= t.coverage_80 <= 90)),
                 dict(kpi="fva_pct", label="value added over seasonal naive", value=round(t.fva, 1), unit="%",
                      good=bool(t.fva > 0))]
    overridden = int((fc.forecast.override.fillna("") != "").sum())
    rows.append(dict(kpi="overrides", label="buckets with a planner override", value=overridden, unit="buckets"))
    return pd.DataFrame(rows).reindex(columns=KPI_COLUMNS)


def forecast_flags(fc) -> pd.DataFrame:
    """Items a planner should look at: new, short history, dormant, cleaned outliers, overrides.

    Parameters
    ----------
    fc : ForecastResult

    Returns
    -------
    DataFrame
        Columns ``item_id, demand_class, model, flags`` (``;``-separated) and, for overridden
        buckets, ``period_start, statistical, forecast`` [uom] and ``override``; sorted by item.
    """
    classes = fc.classes
    flagged = classes[classes["flags"].fillna("") != ""][["item_id", "demand_class", "model", "flags"]]
    over = fc.forecast[fc.forecast.override.fillna("") != ""]
    over = over[["item_id", "period_start", "statistical", "forecast", "override"]]
    return flagged.merge(over, on="item_id", how="outer").sort_values("item_id").reset_index(drop=True)


def chart_items(forecast: pd.DataFrame, n: int = 10) -> list[str]:
    """Items to chart by default: the largest by forecast volume.

    Parameters
    ----------
    forecast : DataFrame
        The forecast step's ``forecast`` table: ``item_id, forecast`` [uom per bucket] ...
    n : int
        How many.

    Returns
    -------
    list of str
    """
    volume = forecast.groupby("item_id").forecast.sum().sort_values(ascending=False)
    return sorted(volume.index[:n])


@dataclass
class WeeklySummary:
    """What the weekly report shows (see :func:`weekly_summary`)."""

    kpis: pd.DataFrame
    previous_week: str | None
    previous_kpis: pd.DataFrame
    exceptions: pd.DataFrame
    late_orders: pd.DataFrame
    order_changes: pd.DataFrame
    schedule_changes: pd.DataFrame
    kpi_history: pd.DataFrame
    capacity_load: pd.DataFrame
    purchase_requisitions: pd.DataFrame
    unscheduled_orders: pd.DataFrame | None = None
    late_order_lines: pd.DataFrame | None = None
    base_comparison: pd.DataFrame | None = None
    base_order_differences: pd.DataFrame | None = None
    worklist: object = None  # planlib.actions.Worklist: the exceptions to act on, ranked, by owner
    #: One sentence on ``order_changes`` (counts, then the largest change).
    changes_summary: str = ""
    #: The previous week when this run's input files are byte for byte those of that week's run.
    same_inputs_as: str | None = None
    #: A scenario run against the base plan of the week (:func:`planlib.compare.compare_plans`).
    comparison: object = None


def late_lines(promise_dates: pd.DataFrame | None) -> pd.DataFrame:
    """Customer order lines the schedule completes after their due date (or cannot supply), latest first.

    Parameters
    ----------
    promise_dates : DataFrame or None
        The schedule step's ``promise_dates`` (:func:`planlib.promise.promise_dates`).

    Returns
    -------
    DataFrame
        Columns ``order_id, customer_id, item_id, qty`` [units], ``due_date, scheduled_date``,
        ``days_late`` [days] and ``reason``.
    """
    cols = ["order_id", "customer_id", "item_id", "qty", "due_date", "scheduled_date", "days_late", "reason"]
    if promise_dates is None or not len(promise_dates):
        return pd.DataFrame(columns=cols)
    p = promise_dates
    late = p[(pd.to_numeric(p.days_late, errors="coerce").fillna(0) > 0) | (p.basis == "shortage")]
    late = late.sort_values(["days_late", "due_date"], ascending=[False, True], na_position="first")
    return late.reindex(columns=cols).reset_index(drop=True)


def _base_plan(run_dir: Path, archived: dict) -> dict:
    """The base plan's tables for a comparison: the archived ``kpis`` and ``planned_orders``, and
    from its run folder (when there) ``late_orders``, ``promise_dates`` and ``capacity_load``."""
    if not archived:
        return {}
    plan = {k: archived[k] for k in ("kpis", "planned_orders") if k in archived}
    if "kpis" in plan:  # the plans are compared, not last week's follow-up (the scenario's KPIs have none yet)
        from planlib.status import FOLLOW_UP_KPIS

        plan["kpis"] = plan["kpis"][~plan["kpis"].kpi.isin(FOLLOW_UP_KPIS)].reset_index(drop=True)
    if run_dir.is_dir():
        for step, name in (("schedule", "late_orders"), ("schedule", "promise_dates"), ("mrp", "capacity_load")):
            table = read_step(run_dir, step, name)
            if table is not None:
                plan[name] = table
    return plan


class _Tables:
    """Attribute access to a dict of tables (the MRP tables read back from a run folder)."""

    def __init__(self, tables: dict) -> None:
        self.__dict__.update(tables)


def weekly_summary(ds: Dataset, params: PlanParams, run_dir, archive_path: str = "", week: str = "",
                   scenario_name: str = "base", scenario=None, table_format: str = "csv") -> WeeklySummary:
    """The weekly report's content from the run folder and the plan archive.

    KPIs of this week's plan and last week's, the exceptions to act on (MRP
    messages by severity, late production orders with their reason), what
    changed in the planned orders and the schedule since the previous archived
    week, and KPI trends. For a scenario run, also the comparison with the base
    plan of the same week (:func:`planlib.compare.compare_plans`: the orders the
    scenario makes late or on time, KPIs, work center load), read from the base run
    folder next to the archive (``<reports>/<week>/base``).

    What changed since last week (``order_changes``: :func:`planlib.compare.compare_orders`
    as :func:`planlib.compare.changes_view` words it) keeps an order's identity across
    weeks (planned orders by item and due date, released orders by id) and is sorted by
    impact (value, then customer orders served);
    ``changes_summary`` says it in a sentence. ``schedule_changes`` (:func:`planlib.compare.compare_schedule`
    as :func:`planlib.compare.schedule_changes_view` words it) follows a renumbered planned
    order to its new number. ``same_inputs_as`` names the previous
    week when this run's input files are byte for byte the same as that run's (its
    manifest's ``inputs_sha256``).

    ``scenario`` is the :class:`planlib.scenario.Scenario` of a scenario run (its name,
    description and changes head the comparison); ``scenario_name`` its run name.
    """
    from planlib import archive

    names = ["planned_orders", "exceptions", "pegging", "capacity_load", "purchase_requisitions", "cost_projection"]
    if run_dir:
        mrp = _Tables({n: read_step(run_dir, "mrp", n) for n in names})
        sched_kpis = read_step(run_dir, "schedule", "schedule_kpis")
        accuracy = read_step(run_dir, "forecast", "forecast_accuracy")
        schedule = read_step(run_dir, "schedule", "schedule")
        late = read_step(run_dir, "schedule", "late_orders")
        unscheduled = read_step(run_dir, "schedule", "schedule_exceptions")
        promises = read_step(run_dir, "schedule", "promise_dates")
    else:  # on its own (interactive use, notebook tests): plan the week in process
        plan = plan_week(ds, params)
        mrp, sched_kpis, accuracy = plan.mrp, plan.schedule.kpis, None
        schedule, late = plan.schedule.schedule, plan.schedule.late_orders
        unscheduled = plan.schedule.exceptions
        promises = getattr(plan.schedule, "promise_dates", None)
    from planlib.actions import worklist_of

    worklist = worklist_of(ds, mrp, params.plan_start)
    kpis = week_kpis(ds, params, mrp, sched_kpis, accuracy, promises, worklist=worklist)
    if run_dir:
        write_tables({"kpis": kpis}, _step_dir(run_dir, "weekly_report"), table_format=table_format)
    prev_week = archive.previous_week(archive_path, week, scenario_name) if archive_path else None
    prev = archive.read_run(archive_path, prev_week, scenario_name) if prev_week else {}
    empty = pd.DataFrame()
    pegging = read_step(run_dir, "mrp", "pegging") if run_dir else getattr(mrp, "pegging", None)
    identity = None
    if "planned_orders" in prev:
        identity = compare.order_identity(prev["planned_orders"], mrp.planned_orders)
        changes = compare.compare_orders(prev["planned_orders"], mrp.planned_orders,
                                         unit_cost=ds.items.set_index("item_id").unit_cost,
                                         plan_start=params.plan_start, pegging=pegging)
        unchanged = len(mrp.planned_orders) - int(changes.order_id.notna().sum())
        changes_summary = compare.summarize_changes(changes, unchanged)
        changes = compare.changes_view(changes)
    else:
        changes, changes_summary = empty, ""
    sched_changes = (compare.schedule_changes_view(compare.compare_schedule(prev.get("schedule"), schedule, identity))
                     if "schedule" in prev else empty)
    same_inputs = None
    if prev_week:
        checksums = _checksums(ds.source) if ds.source and "://" not in str(ds.source) else {}
        if archive.same_inputs(archive.run_manifest(archive_path, prev_week, scenario_name), checksums):
            same_inputs = prev_week
    history = archive.kpi_history(archive_path, scenario_name) if archive_path else empty
    history = history[history.week != week] if len(history) else history
    this_week = kpis.assign(week=week)[["week", "kpi", "value", "unit"]]
    history = pd.concat([history, this_week], ignore_index=True) if len(history) else this_week  # no empty concat
    severity = {"critical": 0, "error": 0, "warning": 1, "info": 2}
    ex = mrp.exceptions.sort_values(["severity", "date"], key=lambda s: s.map(severity) if s.name == "severity" else s)
    summary = WeeklySummary(kpis, prev_week, prev.get("kpis", pd.DataFrame(columns=["kpi", "value"])), ex,
                            late if late is not None else empty, changes, sched_changes, history,
                            mrp.capacity_load, mrp.purchase_requisitions,
                            unscheduled_orders=unscheduled if unscheduled is not None else empty,
                            late_order_lines=late_lines(promises), worklist=worklist,
                            changes_summary=changes_summary, same_inputs_as=same_inputs)
    if scenario_name != "base" and archive_path:
        base = _base_plan(Path(archive_path).parent / week / "base", archive.read_run(archive_path, week, "base"))
        if base:

            mine = {"kpis": kpis, "late_orders": late, "promise_dates": promises,
                    "capacity_load": mrp.capacity_load, "planned_orders": mrp.planned_orders}
            summary.comparison = compare.compare_plans(base, mine, scenario)
            summary.base_comparison = compare.compare_kpis(base["kpis"], kpis).rename(columns={"scenario": scenario_name})
            summary.base_order_differences = summary.comparison.item_orders
    return summary
