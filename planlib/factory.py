"""Seeded generator of factories: the sample plant and large benchmark plants.

:func:`make_factory` builds every table of the data contract for a discrete
manufacturer of pumps: finished goods assembled from subassemblies, made
parts machined from purchased material, spare parts sold directly, work
centers with shifts, holidays, a maintenance window and setup families, two
years of demand history with trend, seasonality and promotions, and the open
orders of the week the plan starts. The same arguments give the same tables,
byte for byte once written.

``make_factory()`` with its defaults is the sample factory in ``data/sample``
(regenerate it with ``planlib make-factory --sample --out data/sample``).
It is vectorised over items, so 100,000 items take seconds, not minutes.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from planlib.calendar import shift_hours
from planlib.contract import TABLES
from planlib.dataset import Dataset, conform
from planlib.params import SAMPLE_PLAN_START

# Names for the sample plant; larger plants number them.
_FG_NAMES = ["Centrifugal pump CP-32", "Centrifugal pump CP-40", "Centrifugal pump CP-50",
             "Booster set BS-2", "Booster set BS-3", "Submersible pump SP-4", "Submersible pump SP-6",
             "Dosing pump DP-1"]
_FG_FAMILIES = ["CP", "CP", "CP", "BS", "BS", "SP", "SP", "DP"]
_SA_NAMES = ["Motor assembly", "Impeller assembly", "Pump housing", "Welded frame", "Control box",
             "Seal kit", "Shaft assembly", "Base plate", "Manifold", "Diffuser assembly"]
_SA_FAMILIES = ["grey", "blue", "blue", "grey", "red", "plain", "plain", "grey", "blue", "red"]
_MP_NAMES = ["Shaft", "Impeller", "Casing", "Flange", "Bushing", "Coupling", "Bracket", "Cover",
             "Wear ring", "Spacer", "Adapter", "Nozzle"]
_MP_FAMILIES = ["steel", "brass", "cast", "steel", "brass", "steel", "steel", "cast", "brass",
                "stainless", "stainless", "stainless"]
_RM_NAMES = ["Steel bar 40 mm", "Stainless bar 30 mm", "Cast iron casting", "Ball bearing 6205",
             "Mechanical seal 25 mm", "O-ring set", "Bolt set M10", "Electric motor 1.5 kW",
             "Sheet steel 3 mm", "Paint RAL 5015 blue", "Cable gland M20", "Terminal box",
             "Brass bar 50 mm", "Pressure switch", "Capacitor 20 uF", "Packing carton"]
_RM_UOM = ["m", "m", "ea", "ea", "ea", "set", "set", "ea", "m2", "l", "ea", "ea", "m", "ea", "ea", "ea"]

# Work centers: (id, description, calendar, machines, cost_per_hour, labour_cost_per_hour, stage)
# stage: "final" for assembly-side operations, "fab" for fabrication; the plant uses the first
# n_work_centers, numbered copies beyond the eight.
_WORK_CENTERS = [
    ("SAW", "Saw cutting", "2SHIFT", 2, 35.0, 32.0, "fab"),
    ("LATHE", "CNC turning", "2SHIFT", 3, 85.0, 36.0, "fab"),
    ("MILL", "CNC milling", "2SHIFT", 2, 95.0, 36.0, "fab"),
    ("WELD", "Welding", "2SHIFT", 2, 40.0, 38.0, "sub"),
    ("PAINT", "Paint line", "1SHIFT", 1, 60.0, 30.0, "sub"),
    ("ASSY", "Final assembly", "2SHIFT", 4, 20.0, 34.0, "final"),
    ("TEST", "Test bench", "2SHIFT", 2, 45.0, 34.0, "final"),
    ("PACK", "Packing", "1SHIFT", 1, 10.0, 28.0, "final"),
]
_CUSTOMERS = 30
# Suppliers' sales contacts (invented; e-mail domains under .example, phone numbers in a range kept
# for fiction).
_CONTACTS = ["Anna Lindqvist", "Jens Becker", "Marta Kowalska", "Tom Hughes", "Sofie Jansen", "Luca Bianchi",
             "Eva Novak", "Paolo Ferri", "Nina de Vries", "Mikko Virtanen"]


def make_factory(n_items: int = 60, levels: int = 4, n_work_centers: int = 8,
                 history_weeks: int = 104, seed: int = 42,
                 plan_start: dt.date = SAMPLE_PLAN_START, history_grain: str | None = None,
                 stressed: bool = False, safety_stock: pd.Series | None = None) -> Dataset:
    """Generate a factory: every table of the data contract, from a seed.

    Parameters
    ----------
    n_items : int
        Number of items over all levels (at least ``2 * levels``).
    levels : int
        BOM levels, 2 or more: finished goods at level 0, purchased items at the last.
    n_work_centers : int
        Work centers (at least 3); machines are 1 to 4 per work center.
    history_weeks : int
        Weeks of demand history before ``plan_start``.
    seed : int
        Seed of the random generator: same arguments, same tables.
    plan_start : date
        The Monday the plan starts; open orders are dated from it.
    history_grain : {"D", "W"}, optional
        ``"D"`` daily transactions, ``"W"`` weekly totals (Monday dates).
        Default: daily up to 2,000 items, weekly beyond.
    stressed : bool
        False (default): a plant in a normal week, calibrated so that its base plan is
        feasible with slack (see "Calibration" below). True: a plant in crisis for tests,
        as the generator made it before the calibration: stock unrelated to lead times
        (some items out of stock), open orders off their lot rules, capacity sized to
        steady demand only, so that many planned orders are released in the past and
        several work centers are overloaded in the first weeks.
    safety_stock : Series, optional
        ``item_id -> safety stock`` [units]: what the plan will keep (the forecast step's
        suggestions, see :func:`make_sample_factory`); the stock of these items is sized on it
        instead of the generator's estimate. Ignored when ``stressed``.

    Returns
    -------
    Dataset
        Tables ``items, bom, inventory, scheduled_receipts, demand, demand_history,
        forecast_overrides, suppliers, work_centers, machines, routings, calendars,
        calendar_exceptions, setup_matrix, operations_progress``.

    Notes
    -----
    Calibration (``stressed=False``), with ``u`` the expected weekly usage of an item
    (the sold items' rate of the next 8 weeks exploded through the BOM), ``L`` its lead
    time in weeks and ``c`` the longest lot cover of its parents in weeks (1 for
    lot-for-lot; a fixed or economic lot covers ``lot / u``):

    - lot sizes: made items in small lots (a fixed lot covers 1 to 1.5 weeks, a period lot
      2 weeks, an economic lot at most 1.5 weeks; each operation of a lot at most 40 h on one
      machine), purchased items up to 3 weeks;
    - stock: free stock covers the safety stock MRP will plan to (estimated) and the
      requirements until the item's next supply, ``u * (L + c - 1)`` plus 0.1 to 0.8 weeks,
      counted from the week its parents first release an order; finished goods at least the
      customer orders booked within their lead time; so few planned orders are released in
      the past;
    - open orders: about half of the made items have a released production order (one lot)
      and about 40 % of the purchased items an open purchase order; these carry the pipeline
      and follow the item's lot rules (minimum, multiple, fixed lot, maximum);
    - capacity: run times are scaled against an MRP run of the plan itself (up to
      ``PLAN_CALIBRATION_MAX_ITEMS`` items; an estimate from usage beyond) so that the mean
      load of the first ``CALIBRATION_WEEKS`` weeks is 97 % on the second work center (turning
      in the sample) and 50 to 75 % on the others; the first weeks run lighter, stock covers them.

    Deliberate problems, in every plant: a supplier's purchase order 4 days past due on
    an item that needs it in the first week, a maintenance window on the last lathe, a
    rush customer order due in the first week beyond the finished good's free stock, one
    purchased item below its safety stock, and two customer order lines past due.
    """
    if levels < 2 or n_items < 2 * levels or n_work_centers < 3:
        raise ValueError("make_factory needs levels >= 2, n_items >= 2 * levels and n_work_centers >= 3")
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(plan_start)
    grain = history_grain or ("D" if n_items <= 2000 else "W")

    wc = _work_centers(n_work_centers)
    items, level = _items(n_items, levels)
    bom = _bom(rng, items, level, levels, start)
    suppliers = _suppliers(rng, n_items)
    items = _item_parameters(rng, items, level, levels, suppliers)
    routings = _routings(rng, items, level, wc)
    machines = _machines(rng, wc)
    sold = _sold_items(rng, level)
    weekly_rate, history, history_rate = _demand_history(rng, items, sold, history_weeks, start, grain)
    if not stressed:  # open orders, usage, stock and capacity at the rate the history shows
        weekly_rate = history_rate
    demand = _open_orders(rng, weekly_rate, start)
    usage = _weekly_usage(items, level, bom, weekly_rate)
    calendars, exceptions = _calendars(wc, machines, start)
    if stressed:
        inventory = _inventory_stressed(rng, items, usage)
        receipts, progress = _open_supply_stressed(rng, items, usage, routings, machines, start)
        routings = _calibrate_run_times_stressed(rng, routings, usage, wc, calendars)
        items = _fit_uninterruptible_lots(items, routings, machines, wc, calendars)
    else:
        items = _size_lots(rng, items, usage)
        base_run = routings
        routings = _calibrate_run_times(np.random.default_rng(seed), base_run, usage, wc, calendars, items, usage)
        items = _fit_uninterruptible_lots(items, routings, machines, wc, calendars)
        items, _ = _fit_lots_to_a_day(items, routings, None)
        cover = _parent_lot_cover(items, bom, usage)
        ss = _expected_safety_stock(items, weekly_rate, sold)
        if safety_stock is not None:  # the plan's own safety stock where it is known
            known = items.item_id.map(safety_stock).to_numpy(dtype=float)
            ss = np.where(np.isfinite(known), np.ceil(known), ss)
        inventory, receipts, progress = _stock_and_open_supply(rng, items, level, bom, sold, demand, usage,
                                                                      cover, ss, routings, machines, start)
        demand = _rush_order(demand, items, usage, start)
    setup_matrix = _setup_matrix(rng, items, routings, wc)
    overrides = _overrides(items, sold, start)

    tables = dict(
        items=items, bom=bom, inventory=inventory, scheduled_receipts=receipts, demand=demand,
        demand_history=history, forecast_overrides=overrides, suppliers=suppliers,
        work_centers=wc.drop(columns=["stage", "n_machines"]), machines=machines, routings=routings,
        calendars=calendars, calendar_exceptions=exceptions, setup_matrix=setup_matrix,
        operations_progress=progress, staffing=_staffing(wc, machines, routings, calendars),
    )
    tables = {name: conform(name, frame) for name, frame in tables.items()}
    rows = {n: [f"{n} row {i + 1}" for i in range(len(f))] for n, f in tables.items()}
    name = f"make_factory(n_items={n_items}, seed={seed})"
    if not stressed and n_items <= PLAN_CALIBRATION_MAX_ITEMS:
        # run times against the load MRP actually plans in the first four weeks (stock, the
        # pipeline and lot sizes included), twice: setups do not scale with run times
        targets = _load_targets(seed, wc)
        for _ in range(2):
            ds = Dataset(tables, name, frozenset(tables), rows)
            routings = _scale_to_plan(ds, weekly_rate, ss, targets, start)
            items = _fit_uninterruptible_lots(tables["items"], routings, machines, wc, calendars)
            items, receipts = _fit_lots_to_a_day(items, routings, tables["scheduled_receipts"])
            tables.update(routings=conform("routings", routings), items=conform("items", items),
                          scheduled_receipts=conform("scheduled_receipts", receipts))
    return Dataset(tables, name, frozenset(tables), rows)


def make_sample_factory() -> Dataset:
    """The sample factory of ``data/sample``: :func:`make_factory` at its defaults, with stock
    sized on the safety stock the plan of its first week will keep.

    Generated twice: the forecast step (:func:`planlib.steps.forecast`, as the weekly run calls
    it) reads the first one's demand history and suggests safety stocks; the second is
    generated from the same seed (the same history) with its stock sized on them, so that the
    week's plan neither releases orders in the past to build safety stock nor sits on stock
    sized for a larger one.

    The data is then given as an ERP gives it on the Monday of the plan: the snapshot of the
    Monday before and the week's execution records (:func:`_week_before`; production reports,
    goods receipts, material issues, supplier confirmations), which the weekly run applies
    (:func:`planlib.actuals.apply_actuals`) to reach the calibrated state.
    """
    from planlib import steps
    from planlib.params import PlanParams

    first = make_factory()
    suggested = steps.forecast(first, PlanParams(plan_start=SAMPLE_PLAN_START)).safety_stock
    return _week_before(make_factory(safety_stock=suggested.set_index("item_id").safety_stock))


# --------------------------------------------------------------------------- pieces

def _work_centers(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        base = _WORK_CENTERS[i % len(_WORK_CENTERS)]
        copy = i // len(_WORK_CENTERS)
        wid = base[0] if copy == 0 else f"{base[0]}{copy + 1}"
        desc = base[1] if copy == 0 else f"{base[1]} {copy + 1}"
        rows.append(dict(work_center_id=wid, description=desc, calendar_id=base[2], n_machines=base[3],
                         efficiency=0.85 if base[6] != "final" else 0.9, cost_per_hour=base[4],
                         labour_cost_per_hour=base[5], stage=base[6]))
    return pd.DataFrame(rows)


def _level_sizes(n_items: int, levels: int) -> np.ndarray:
    # Finished goods ~ 13 %, purchased items ~ 40 %, the rest spread over the middle levels.
    n_fg = max(1, int(round(n_items * 0.134)))
    n_rm = max(1, int(round(n_items * 0.4)))
    middle = n_items - n_fg - n_rm
    mids = np.full(levels - 2, middle // max(1, levels - 2))
    if levels > 2:
        mids[: middle - mids.sum()] += 1
    sizes = np.concatenate([[n_fg], mids, [n_rm]]).astype(int)
    if levels == 2:
        sizes[1] += middle
    return sizes


def _items(n_items: int, levels: int):
    sizes = _level_sizes(n_items, levels)
    level = np.repeat(np.arange(levels), sizes)
    ids, desc, family, uom = [], [], [], []
    for lv, size in enumerate(sizes):
        width = max(2, len(str(size - 1)))
        if lv == 0:
            prefix, names, fams = "FG", _FG_NAMES, _FG_FAMILIES
        elif lv == levels - 1:
            prefix, names, fams = "RM", _RM_NAMES, [""] * len(_RM_NAMES)
        elif lv == 1:
            prefix, names, fams = "SA", _SA_NAMES, _SA_FAMILIES
        else:
            prefix, names, fams = "MP", _MP_NAMES, _MP_FAMILIES
        tag = f"{lv}" if levels > 4 and 1 < lv < levels - 1 else ""
        for i in range(size):
            ids.append(f"{prefix}{tag}-{i + 1:0{width}d}")
            k = i % len(names)
            rnd = i // len(names)
            desc.append(names[k] if rnd == 0 else f"{names[k]} v{rnd + 1}")
            family.append(fams[k])
            uom.append(_RM_UOM[k] if prefix == "RM" else "ea")
    items = pd.DataFrame(dict(item_id=ids, description=desc, family=family, uom=uom))
    items["item_type"] = np.where(level == levels - 1, "buy", "make")
    return items, level


def _bom(rng, items: pd.DataFrame, level: np.ndarray, levels: int, start: pd.Timestamp) -> pd.DataFrame:
    """Each item below level 0 gets a parent one level up; parents get extra components below."""
    first = np.searchsorted(level, np.arange(levels))
    count = np.bincount(level, minlength=levels)
    parents, comps = [], []
    for lv in range(1, levels):
        child = np.arange(first[lv], first[lv] + count[lv])
        par = first[lv - 1] + rng.integers(0, count[lv - 1], size=child.size)
        # every parent at lv-1 needs at least one component: give the first ones a child each
        k = min(count[lv - 1], child.size)
        par[:k] = first[lv - 1] + rng.permutation(count[lv - 1])[:k]
        parents.append(par)
        comps.append(child)
    # shared components: each make item takes 1-2 more components from the next two levels
    for lv in range(levels - 1):
        par = np.arange(first[lv], first[lv] + count[lv])
        n_extra = rng.integers(1, 3, size=par.size)
        par = np.repeat(par, n_extra)
        lo = lv + 1
        hi = min(lv + 2, levels - 1)
        target = rng.integers(lo, hi + 1, size=par.size)
        comp = first[target] + (rng.random(par.size) * count[target]).astype(int)
        parents.append(par)
        comps.append(comp)
    p = np.concatenate(parents)
    c = np.concatenate(comps)
    frame = pd.DataFrame(dict(p=p, c=c)).drop_duplicates().sort_values(["p", "c"]).reset_index(drop=True)
    is_rm = level[frame.c.to_numpy()] == levels - 1
    q = rng.choice([1.0, 1.0, 1.0, 2.0, 2.0, 4.0], size=len(frame))
    q = np.where(is_rm & (rng.random(len(frame)) < 0.3), np.round(rng.uniform(0.2, 2.5, len(frame)), 2), q)
    bom = pd.DataFrame(dict(parent_id=items.item_id.to_numpy()[frame.p], component_id=items.item_id.to_numpy()[frame.c],
                            qty_per=q, scrap_pct=np.where(is_rm & (rng.random(len(frame)) < 0.25), 2.0, 0.0)))
    bom["valid_from"] = pd.NaT
    bom["valid_to"] = pd.NaT
    # Engineering changes: about 1 % of lines (at least one) switch to another component of the
    # same level from a date in the plan horizon.
    n_eco = max(1, len(bom) // 100)
    eco = rng.choice(np.flatnonzero(~is_rm | (level[frame.c.to_numpy()] > 0)), size=n_eco, replace=False)
    eco_date = start + pd.Timedelta(weeks=5)
    new_rows = []
    for i in eco:
        ci = frame.c[i]
        lv = level[ci]
        alt = first[lv] + (ci - first[lv] + 1) % count[lv]
        if alt == ci or ((frame.p == frame.p[i]) & (frame.c == alt)).any():
            continue
        bom.loc[i, "valid_to"] = eco_date
        row = bom.loc[i].copy()
        row["component_id"] = items.item_id.iloc[alt]
        row["valid_from"] = eco_date
        row["valid_to"] = pd.NaT
        new_rows.append(row)
    if new_rows:
        bom = pd.concat([bom, pd.DataFrame(new_rows)], ignore_index=True)
    return bom.sort_values(["parent_id", "component_id", "valid_from"], na_position="first").reset_index(drop=True)


def _suppliers(rng, n_items: int) -> pd.DataFrame:
    names = ["Nordic Steel AB", "Ruhr Guss GmbH", "SKF Distribution", "Sealtec Ltd", "Fastenal Europe",
             "ABB Motors", "Colorline Paints", "Brassworks SpA", "ElektroParts BV", "PackPro Oy"]
    n = max(len(names), n_items // 200)
    ids = [f"S{i + 1:03d}" for i in range(n)]
    nm = [names[i] if i < len(names) else f"Supplier {i + 1}" for i in range(n)]
    lead = rng.choice([10, 14, 21, 28, 35, 42], size=n)
    contact = [_CONTACTS[i % len(_CONTACTS)] for i in range(n)]
    domain = [re.sub(r"[^a-z]+", "-", x.lower()).strip("-") + ".example" for x in nm]
    return pd.DataFrame(dict(supplier_id=ids, name=nm, lead_time_days=lead.astype(float), contact_name=contact,
                             email=[f"{c.split()[0].lower()}.{c.split()[-1].lower()}@{d}" for c, d in zip(contact, domain)],
                             phone=[f"+49 30 5550 {1000 + 37 * i:04d}" for i in range(n)]))


def _item_parameters(rng, items, level, levels, suppliers) -> pd.DataFrame:
    n = len(items)
    items = items.copy()
    buy = items.item_type.to_numpy() == "buy"
    sup_idx = rng.integers(0, len(suppliers), size=n)
    items["supplier_id"] = np.where(buy, suppliers.supplier_id.to_numpy()[sup_idx], None)
    sup_lead = suppliers.lead_time_days.to_numpy()[sup_idx]
    make_lead = rng.choice([7.0, 7.0, 14.0], size=n)
    items["lead_time_days"] = np.where(buy, sup_lead, make_lead)
    # cost grows towards the finished good
    base = np.exp(rng.normal(np.log(8.0), 0.8, size=n)) * (1 + (levels - 1 - level) * 1.6)
    items["unit_cost"] = np.round(base, 2)
    items["order_cost"] = np.where(buy, rng.choice([25.0, 40.0, 60.0], size=n), rng.choice([80.0, 120.0, 200.0], size=n))
    items["holding_cost_rate"] = 0.25
    items["scrap_pct"] = np.where(~buy & (rng.random(n) < 0.2), 1.0, 0.0)
    # lot rules: finished goods mostly lot-for-lot, parts a mix of the dynamic and static rules
    rule_fg = rng.choice(["L4L", "L4L", "POQ", "WW"], size=n)
    rule_mid = rng.choice(["L4L", "FOQ", "POQ", "EOQ", "WW", "SM", "LUC", "PPB"], size=n)
    rule_buy = rng.choice(["L4L", "FOQ", "FOQ", "EOQ", "WW", "SM"], size=n)
    rule = np.where(level == 0, rule_fg, np.where(buy, rule_buy, rule_mid))
    items["lot_rule"] = rule
    foq = np.round(rng.choice([50, 100, 200, 250, 500], size=n) / (1 + level * 0.0), 0)
    items["lot_size"] = np.where(rule == "FOQ", foq, np.where(rule == "POQ", rng.choice([2.0, 3.0, 4.0], size=n), np.nan))
    items["min_order_qty"] = np.where(buy & (rng.random(n) < 0.4), rng.choice([10.0, 20.0, 50.0], size=n), 0.0)
    items["order_multiple"] = np.where(buy & (rng.random(n) < 0.4), rng.choice([5.0, 10.0, 25.0], size=n), 0.0)
    items["max_order_qty"] = np.where(~buy & (level > 0) & (rng.random(n) < 0.1), 2000.0, np.nan)
    items["safety_stock"] = np.where(buy & (rng.random(n) < 0.5), rng.choice([10.0, 20.0, 50.0], size=n), 0.0)
    items["service_level"] = np.where(level == 0, 0.95, np.where(rng.random(n) < 0.3, 0.9, np.nan))
    return items


def _routings(rng, items, level, wc: pd.DataFrame) -> pd.DataFrame:
    make = np.flatnonzero(items.item_type.to_numpy() == "make")
    fab = wc.work_center_id[wc.stage == "fab"].to_numpy()
    sub = wc.work_center_id[wc.stage == "sub"].to_numpy()
    final = wc.work_center_id[wc.stage == "final"].to_numpy()
    fab = fab if fab.size else wc.work_center_id.to_numpy()
    sub = sub if sub.size else fab
    final = final if final.size else sub
    rows_item, rows_wc, rows_seq = [], [], []
    for stage_level, pool, n_ops in ((0, final, 3), (1, sub, 2), (2, fab, 2)):
        sel = make[np.minimum(level[make], 2) == stage_level]
        if sel.size == 0:
            continue
        k = rng.integers(1, n_ops + 1, size=sel.size)
        if stage_level == 0:
            k[:] = min(n_ops, pool.size)  # assembly, test, packing in that order
        for j in range(max(k)):
            has = sel[k > j]
            if stage_level == 0:
                choice = np.full(has.size, pool[min(j, pool.size - 1)], dtype=object)
            else:
                choice = pool[rng.integers(0, pool.size, size=has.size)]
            rows_item.append(has)
            rows_wc.append(choice)
            rows_seq.append(np.full(has.size, 10 * (j + 1)))
    it = np.concatenate(rows_item)
    r = pd.DataFrame(dict(item_id=items.item_id.to_numpy()[it], op_seq=np.concatenate(rows_seq),
                          work_center_id=np.concatenate(rows_wc)))
    r = r.drop_duplicates(["item_id", "work_center_id"]).sort_values(["item_id", "op_seq"]).reset_index(drop=True)
    r["op_seq"] = (r.groupby("item_id").cumcount() + 1) * 10
    n = len(r)
    r["setup_min"] = rng.choice([15.0, 20.0, 30.0, 45.0, 60.0], size=n)
    r["run_min_per_unit"] = np.round(rng.uniform(1.0, 12.0, size=n), 1)
    r["crew_size"] = np.where(r.work_center_id.str.startswith(("ASSY", "TEST", "PACK", "WELD")), 1.0,
                              np.where(rng.random(n) < 0.5, 0.5, 0.0))
    r["uninterruptible"] = r.work_center_id.str.startswith("PAINT")
    return r


def _weekly_usage(items, level, bom, weekly_rate) -> pd.Series:
    """Expected units per week of every item: the sold items' rate exploded through the BOM."""
    ids = items.item_id.to_numpy()
    pos = pd.Series(np.arange(len(ids)), index=ids)
    units = np.zeros(len(ids))
    units[pos[weekly_rate.index].to_numpy()] += weekly_rate.to_numpy()
    current = bom[bom.valid_to.isna()]
    par = pos[current.parent_id].to_numpy()
    comp = pos[current.component_id].to_numpy()
    qty = current.qty_per.to_numpy()
    for lv in range(int(level.max())):
        sel = level[par] == lv
        np.add.at(units, comp[sel], units[par[sel]] * qty[sel])
    return pd.Series(units, index=ids)


def _calibrate_run_times_stressed(rng, routings, usage: pd.Series, wc, calendars) -> pd.DataFrame:
    """Scale run times so that each work center is loaded 55-85 % by the expected demand.

    ``usage`` is the expected weekly units of every item (:func:`_weekly_usage`);
    one work center (the second, turning in the sample) is the bottleneck at about 95 %.
    """
    r = routings.copy()
    load_h = r.item_id.map(usage).to_numpy() * r.run_min_per_unit.to_numpy() / 60
    load_wc = pd.Series(load_h).groupby(r.work_center_id.to_numpy()).sum()
    shift_h = pd.Series(shift_hours(calendars.start_time, calendars.end_time)).groupby(calendars.calendar_id).sum()
    cap = wc.set_index("work_center_id")
    cap = cap.n_machines * cap.calendar_id.map(shift_h) * cap.efficiency
    target = pd.Series(rng.uniform(0.55, 0.85, len(cap)), index=cap.index)
    target.iloc[min(1, len(target) - 1)] = 0.95
    scale = (target * cap / load_wc.reindex(cap.index)).replace([np.inf], np.nan).fillna(1.0)
    run = r.run_min_per_unit.to_numpy() * r.work_center_id.map(scale).to_numpy()
    r["run_min_per_unit"] = np.maximum(0.1, np.round(run, 2))
    return r


def _fit_uninterruptible_lots(items, routings, machines, wc, calendars) -> pd.DataFrame:
    """Cap ``max_order_qty`` so that every uninterruptible operation of a lot fits in one shift.

    A planner who flags an operation uninterruptible (painting: a batch may not wait over a
    shift end) limits the lot to what one shift can run: 90 % of the shortest shift of the work
    center's calendar, on its slowest machine, setup done before. Draws no random numbers: the
    other tables are those of the same seed without the cap.
    """
    un = routings[routings.uninterruptible.astype(bool)]
    if un.empty:
        return items
    shift_min = 60 * (calendars.end_time - calendars.start_time)
    shortest = shift_min.groupby(calendars.calendar_id).min()
    wc_shift = wc.set_index("work_center_id").calendar_id.map(shortest)
    slowest = machines.groupby("work_center_id").speed_factor.min()
    fits = np.floor(0.9 * un.work_center_id.map(wc_shift).to_numpy() * un.work_center_id.map(slowest).to_numpy()
                    / un.run_min_per_unit.to_numpy())
    cap = pd.Series(fits, index=un.item_id.to_numpy()).groupby(level=0).min()
    items = items.copy()
    current = items.item_id.map(items.set_index("item_id").max_order_qty)
    capped = items.item_id.map(cap)
    items["max_order_qty"] = np.where(capped.notna(), np.fmin(current, capped), current)
    return items


def _machines(rng, wc: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for w in wc.itertuples():
        for m in range(w.n_machines):
            rows.append(dict(machine_id=f"{w.work_center_id}-{m + 1}", work_center_id=w.work_center_id,
                             calendar_id=None, speed_factor=1.0 if m == 0 else float(rng.choice([0.9, 1.0, 1.1]))))
    return pd.DataFrame(rows)


def _sold_items(rng, level) -> np.ndarray:
    """Finished goods, plus spare parts (about a quarter of the subassemblies and made/bought parts)."""
    fg = np.flatnonzero(level == 0)
    below = np.flatnonzero(level > 0)
    n_spare = max(2, int(round(below.size * 0.2)))
    spare = np.sort(rng.choice(below, size=min(n_spare, below.size), replace=False))
    return np.concatenate([fg, spare])


def _demand_history(rng, items, sold, weeks, start, grain):
    """Weekly demand with level, trend, yearly season and promotions; spares intermittent."""
    n_fg = int((items.item_id.iloc[sold].str.startswith("FG")).sum())
    t = np.arange(weeks + 52)  # history and the year after (the rate open orders are drawn from)
    m = sold.size
    is_fg = np.arange(m) < n_fg
    base = np.where(is_fg, np.exp(rng.normal(np.log(60), 0.7, m)), np.exp(rng.normal(np.log(4), 0.6, m)))
    trend = rng.uniform(-0.10, 0.25, m) / 52  # growth per week, relative
    amp = np.where(is_fg, rng.uniform(0.1, 0.35, m), 0.0)
    phase = rng.uniform(0, 2 * np.pi, m)
    season = 1 + amp[:, None] * np.sin(2 * np.pi * t[None, :] / 52.18 + phase[:, None])
    level_t = base[:, None] * (1 + trend[:, None] * (t[None, :] - weeks)) * season
    level_t = np.maximum(level_t, 0.05 * base[:, None])
    # promotions: 3 per year on finished goods, +60 % to +120 % for two weeks
    promo = np.zeros_like(level_t)
    for year in range(int(np.ceil(len(t) / 52))):
        wk = rng.integers(year * 52, year * 52 + 50, size=m)
        lift = rng.uniform(0.6, 1.2, m) * is_fg
        for d in (0, 1):
            idx = np.minimum(wk + d, len(t) - 1)
            promo[np.arange(m), idx] = lift
    rate = level_t * (1 + promo)
    # demand: FG gamma-Poisson (overdispersed); spares Bernoulli occurrence x lumpy size
    hist_rate = rate[:, :weeks]
    lam = rng.gamma(4.0, hist_rate / 4.0)
    qty_fg = rng.poisson(lam)
    p_occ = np.clip(rng.uniform(0.08, 0.45, m), 0, 1)
    occ = rng.random((m, weeks)) < p_occ[:, None]
    size = np.ceil(rng.lognormal(np.log(base / np.maximum(p_occ, 0.05))[:, None] * 0.5, 0.8, (m, weeks)))
    qty = np.where(is_fg[:, None], qty_fg, occ * size)
    week_start = start - pd.Timedelta(weeks=weeks)
    ids = items.item_id.to_numpy()[sold]
    nz = np.nonzero(qty)
    if grain == "W" or nz[0].size == 0:  # weekly totals (also when there is no history at all)
        hist = pd.DataFrame(dict(item_id=ids[nz[0]],
                                 date=week_start + pd.to_timedelta(nz[1] * 7, unit="D"),
                                 qty=qty[nz].astype(float)))
    else:
        # split each week's total into 1-4 shipments on weekdays (Mon-Fri)
        totals = qty[nz].astype(int)
        parts = np.minimum(rng.integers(1, 5, size=totals.size), np.maximum(totals, 1))
        rep = np.repeat(np.arange(totals.size), parts)
        share = rng.random(rep.size)
        share = share / np.bincount(rep, weights=share)[rep]
        q = np.floor(share * totals[rep])
        # put the rounding remainder on the first shipment of each week
        rem = totals - np.bincount(rep, weights=q).astype(int)
        first = np.r_[0, np.cumsum(parts)[:-1]]
        q[first] += rem
        day = rng.integers(0, 5, size=rep.size)
        hist = pd.DataFrame(dict(item_id=ids[nz[0]][rep],
                                 date=week_start + pd.to_timedelta(nz[1][rep] * 7 + day, unit="D"),
                                 qty=q))
        hist = hist[hist.qty > 0]
        # a few returns (about 0.5 % of shipments), dated a week after a shipment
        ret = rng.random(len(hist)) < 0.005
        returns = hist[ret].assign(qty=lambda f: -np.maximum(1, np.floor(f.qty * 0.2)),
                                   date=lambda f: (f.date + pd.Timedelta(days=7)).clip(upper=start - pd.Timedelta(days=1)))
        hist = pd.concat([hist, returns])
    hist = hist.sort_values(["item_id", "date"], kind="stable").reset_index(drop=True)
    weekly_rate = pd.Series(rate[:, weeks:weeks + 8].mean(axis=1), index=ids)
    # what the history of each item actually averages: a spare's weeks are Bernoulli(p) x
    # ceil(lognormal(mu, 0.8)), mean p * (exp(mu + 0.8**2 / 2) + 0.5), whatever its ``rate``
    mu = np.log(base / np.maximum(p_occ, 0.05)) * 0.5
    history_rate = weekly_rate.where(is_fg, p_occ * (np.exp(mu + 0.32) + 0.5))
    return weekly_rate, hist, history_rate


def _open_orders(rng, weekly_rate, start) -> pd.DataFrame:
    booked = np.array([1.0, 0.95, 0.8, 0.65, 0.5, 0.35, 0.2, 0.1])
    ids = weekly_rate.index.to_numpy()
    rate = weekly_rate.to_numpy()
    fg = np.char.startswith(ids.astype(str), "FG")
    rows_item, rows_due, rows_qty = [], [], []
    for w, share in enumerate(booked):
        expected = rate * share
        n_orders = np.where(fg, rng.integers(1, 4, size=ids.size), (rng.random(ids.size) < 0.25 * share).astype(int))
        for k in range(n_orders.max()):
            has = n_orders > k
            q = np.where(fg, np.ceil(rng.gamma(4.0, np.maximum(expected, 0.5) / 4.0 / np.maximum(n_orders, 1))),
                         np.ceil(rng.lognormal(np.log(np.maximum(rate * 2, 1)), 0.5)))
            day = rng.integers(0, 5, size=ids.size)
            rows_item.append(ids[has & (q > 0)])
            rows_due.append(start + pd.to_timedelta(w * 7 + day[has & (q > 0)], unit="D"))
            rows_qty.append(q[has & (q > 0)])
    dem = pd.DataFrame(dict(item_id=np.concatenate(rows_item), due_date=np.concatenate(rows_due),
                            qty=np.concatenate(rows_qty)))
    # two past-due lines that were not shipped on time
    late = dem[dem.item_id.str.startswith("FG")].head(2).copy()
    late["due_date"] = start - pd.Timedelta(days=3)
    dem = pd.concat([late, dem]).sort_values(["due_date", "item_id"], kind="stable").reset_index(drop=True)
    dem["order_id"] = [f"SO-{70001 + i}" for i in range(len(dem))]
    dem["customer_id"] = [f"C{c:03d}" for c in rng.integers(1, _CUSTOMERS + 1, size=len(dem))]
    dem["priority"] = rng.choice([1, 2, 3, 3, 3, 4, 5], size=len(dem))
    return dem


def _fit_lots_to_a_day(items, routings, receipts, hours: float = 40.0):
    """Cap made items' lots so that each operation of a lot runs at most ``hours`` on one machine.

    A lot of a high-volume part that takes a week on one lathe blocks it and makes the load
    lumpy; planners split such lots. ``max_order_qty`` is capped (MRP splits larger lots),
    fixed lots shrink to fit, open production orders above the cap are cut to it.
    Returns ``(items, receipts)``.
    """
    run = routings.groupby("item_id").run_min_per_unit.max()
    fits = np.floor(hours * 60 / run.clip(lower=1e-6) / 10) * 10
    items = items.copy()
    cap = items.item_id.map(fits).to_numpy(dtype=float)
    cap = np.where(items.item_type.to_numpy() == "make", np.maximum(cap, 10.0), np.nan)
    current = items.max_order_qty.to_numpy(dtype=float)
    items["max_order_qty"] = np.where(np.isfinite(cap), np.fmin(current, cap), current)
    maxq = items.max_order_qty.to_numpy(dtype=float)
    fixed = (items.lot_rule.to_numpy() == "FOQ") & np.isfinite(maxq)
    items["lot_size"] = np.where(fixed, np.fmin(items.lot_size.to_numpy(dtype=float),
                                                np.maximum(10.0, np.floor(maxq / 10) * 10)), items.lot_size)
    if receipts is not None and len(receipts):
        receipts = receipts.copy()
        limit = receipts.item_id.map(items.set_index("item_id").max_order_qty).to_numpy(dtype=float)
        lot = receipts.item_id.map(items.set_index("item_id").lot_size).to_numpy(dtype=float)
        step = np.where(receipts.item_id.map(items.set_index("item_id").lot_rule).to_numpy() == "FOQ", lot, 1.0)
        over = (receipts.order_type.to_numpy() == "production") & np.isfinite(limit) & (receipts.qty.to_numpy() > limit)
        receipts.loc[over, "qty"] = np.maximum(step, np.floor(limit / step) * step)[over]
    return items, receipts


def _rush_order(demand, items, usage: pd.Series, start) -> pd.DataFrame:
    """A rush customer order: the first finished good, due on the plan's Wednesday, a week of its
    usage beyond what its stock and the booked orders leave."""
    fg = items.item_id[items.item_id.str.startswith("FG")]
    if fg.empty or demand.empty:
        return demand
    item = fg.iloc[0]
    row = demand[demand.item_id == item].head(1).copy()
    if row.empty:
        return demand
    row["qty"] = float(np.ceil(max(1.0, usage.get(item, 1.0))))
    row["due_date"] = start + pd.Timedelta(days=2)
    row["priority"] = 1
    row["order_id"] = f"SO-{70001 + len(demand)}"
    return pd.concat([demand, row], ignore_index=True).sort_values(["due_date", "item_id"], kind="stable",
                                                                    ignore_index=True)


def _inventory_stressed(rng, items, usage: pd.Series) -> pd.DataFrame:
    """Stock covering the lead time plus 0.5 to 2 weeks of expected usage; some items out of stock."""
    weekly = items.item_id.map(usage).fillna(0).to_numpy()
    cover_weeks = items.lead_time_days.to_numpy() / 7 + rng.uniform(0.5, 2.0, size=len(items))
    on_hand = np.ceil(weekly * cover_weeks)
    on_hand[rng.random(len(items)) < 0.08] = 0  # some items are out of stock
    allocated = np.floor(on_hand * np.where(rng.random(len(items)) < 0.2, 0.2, 0.0))
    return pd.DataFrame(dict(item_id=items.item_id, on_hand=on_hand, allocated=allocated))


def _open_supply_stressed(rng, items, usage, routings, machines, start):
    n = len(items)
    buy = items.item_type.to_numpy() == "buy"
    ids = items.item_id.to_numpy()
    # open purchase orders for about 40 % of buy items, due in the next 1-6 weeks
    po = np.flatnonzero(buy & (rng.random(n) < 0.4))
    po_due = start + pd.to_timedelta(rng.integers(0, 6, size=po.size) * 7 + rng.integers(0, 5, size=po.size), unit="D")
    po_qty = np.maximum(10.0, np.ceil(items.item_id.map(usage).to_numpy()[po] * rng.uniform(2, 4, po.size) / 10) * 10)
    pos = pd.DataFrame(dict(item_id=ids[po], order_type="purchase", qty=po_qty, due_date=po_due,
                            release_date=po_due - pd.to_timedelta(items.lead_time_days.to_numpy()[po], unit="D"),
                            status="firm", supplier_id=items.supplier_id.to_numpy()[po]))
    if len(pos):  # one supplier is late: a purchase order past due
        pos.loc[pos.index[0], "due_date"] = start - pd.Timedelta(days=4)
        pos.loc[pos.index[0], "release_date"] = start - pd.Timedelta(days=4 + 28)
    # released production orders for about 15 % of make items, a third of them in progress
    routed = set(routings.item_id)
    mk = np.flatnonzero(~buy & items.item_id.isin(routed).to_numpy() & (rng.random(n) < 0.3))
    mo_due = start + pd.to_timedelta(rng.integers(1, 12, size=mk.size), unit="D")
    mo_qty = np.maximum(10.0, np.ceil(items.item_id.map(usage).to_numpy()[mk] * rng.uniform(1, 2, mk.size) / 10) * 10)
    status = np.where(rng.random(mk.size) < 0.6, "in_progress", "released")
    mos = pd.DataFrame(dict(item_id=ids[mk], order_type="production", qty=mo_qty, due_date=mo_due,
                            release_date=start - pd.to_timedelta(rng.integers(5, 10, size=mk.size), unit="D"),
                            status=status, supplier_id=None))
    sr = pd.concat([pos, mos], ignore_index=True)
    sr["order_id"] = [f"PO-{40001 + i}" if t == "purchase" else f"MO-{50001 + i}"
                      for i, t in enumerate(sr.order_type)]
    return _progress(sr, routings, machines, start)


def _progress(sr, routings, machines, start):
    """Operations progress of the in-progress orders: the first operation done, the second running.

    Two running operations on one machine cannot be: orders that would need it are set back to
    ``released``. Returns ``(scheduled_receipts, operations_progress)``.
    """
    sr = sr.copy()
    first_ops = routings.groupby("item_id").op_seq.apply(list)
    by_wc = machines.groupby("work_center_id").machine_id.apply(list)
    turn: dict[str, int] = {}

    def machine_of(item, op):  # the work center's machines in turn
        wid = op_wc[(item, op)]
        k = turn.get(wid, 0)
        turn[wid] = k + 1
        return by_wc[wid][k % len(by_wc[wid])]
    op_wc = routings.set_index(["item_id", "op_seq"]).work_center_id
    prog = []
    for o in sr[sr.status == "in_progress"].itertuples():
        ops = first_ops.get(o.item_id, [])
        if len(ops) >= 2:
            prog.append(dict(order_id=o.order_id, op_seq=ops[0], status="done",
                             machine_id=machine_of(o.item_id, ops[0]),
                             actual_start=start - pd.Timedelta(days=4, hours=-8), qty_done=o.qty))
            prog.append(dict(order_id=o.order_id, op_seq=ops[1], status="running",
                             machine_id=machine_of(o.item_id, ops[1]),
                             actual_start=start - pd.Timedelta(days=3, hours=-8), qty_done=np.floor(o.qty / 3)))
        elif ops:
            prog.append(dict(order_id=o.order_id, op_seq=ops[0], status="running",
                             machine_id=machine_of(o.item_id, ops[0]),
                             actual_start=start - pd.Timedelta(days=3, hours=-8), qty_done=np.floor(o.qty / 2)))
    progress = pd.DataFrame(prog, columns=["order_id", "op_seq", "status", "machine_id", "actual_start", "qty_done"])
    # two running operations on one machine cannot be: keep the first per machine
    running = progress.status == "running"
    dup = running & progress.machine_id.duplicated() & running
    drop_orders = set(progress.order_id[dup])
    progress = progress[~progress.order_id.isin(drop_orders)]
    sr.loc[sr.order_id.isin(drop_orders), "status"] = "released"
    return sr, progress


# --------------------------------------------------------------------------- calibration (normal week)

def _lot_cover_weeks(items, usage: pd.Series) -> np.ndarray:
    """Weeks of usage one lot of each item covers under its lot rule (at least one bucket)."""
    u = np.maximum(items.item_id.map(usage).fillna(0).to_numpy(), 1e-9)
    rule = items.lot_rule.to_numpy()
    lot = items.lot_size.fillna(0).to_numpy()
    h_week = items.holding_cost_rate.to_numpy() / 52 * items.unit_cost.to_numpy()
    eoq_weeks = np.sqrt(2 * items.order_cost.to_numpy() / np.maximum(u * h_week, 1e-9))
    cover = np.select([rule == "L4L", rule == "FOQ", rule == "POQ"], [1.0, lot / u, lot],
                      1.3 * eoq_weeks)  # the dynamic rules (WW, SM, LUC, PPB) near the EOQ, a little lumpier
    cover = np.maximum(cover, np.maximum(items.min_order_qty.to_numpy(), items.order_multiple.to_numpy()) / u)
    return np.maximum(cover, 1.0)


def _size_lots(rng, items, usage: pd.Series) -> pd.DataFrame:
    """Lot sizes in proportion to usage. Purchased items: a fixed lot covers 1 to 2.5 weeks, a
    period lot 2 or 3 weeks, an economic lot at most 3 weeks (the order cost is capped). Made
    items, smaller: a fixed lot 1 to 1.5 weeks, a period lot 2 weeks, an economic lot at most
    1.2 weeks (so that Wagner-Whitin, Silver-Meal, least unit cost and part-period balancing
    order every week)."""
    items = items.copy()
    n = len(items)
    u = items.item_id.map(usage).fillna(0).to_numpy()
    rule = items.lot_rule.to_numpy()
    buy = items.item_type.to_numpy() == "buy"
    foq = np.maximum(10.0, np.ceil(u * np.where(buy, rng.uniform(1.0, 2.5, n), rng.uniform(1.0, 1.5, n)) / 10) * 10)
    poq = np.where(buy, rng.choice([2.0, 3.0], size=n), 2.0)
    items["lot_size"] = np.where(rule == "FOQ", foq, np.where(rule == "POQ", poq, np.nan))
    h_week = items.holding_cost_rate.to_numpy() / 52 * items.unit_cost.to_numpy()
    # made items in weekly lots (an order cost this low never pays for holding a week's usage,
    # so the dynamic rules order every week): the work centers see a smooth load
    weeks = np.where(buy, 3.0, 1.2)
    cap = weeks ** 2 / 2 * u * h_week  # EOQ cover sqrt(2 S / (u h)) <= weeks
    items["order_cost"] = np.round(np.maximum(1.0, np.minimum(items.order_cost.to_numpy(), cap)), 2)
    return items


def _parent_lot_cover(items, bom, usage: pd.Series) -> np.ndarray:
    """Longest lot cover [weeks] of each item's parents (1 for finished goods): how lumpy its gross
    requirements are."""
    cover = pd.Series(_lot_cover_weeks(items, usage), index=items.item_id.to_numpy())
    current = bom[bom.valid_to.isna()]
    parent = current.parent_id.map(cover).groupby(current.component_id.to_numpy()).max()
    return np.clip(items.item_id.map(parent).fillna(1.0).to_numpy(), 1.0, 4.0)  # a rare item under a big lot: 4 weeks


def _expected_safety_stock(items, sales_rate: pd.Series, sold: np.ndarray) -> np.ndarray:
    """The safety stock MRP will plan to, estimated: for sold items with a service level the
    forecast step's suggestion (safety factor x spread of the item's own sales x sqrt(lead time
    + review week)), generously; for the others the item master's ``safety_stock``.
    ``sales_rate``: customer demand per week [units] (not the usage by parents, which carries
    no safety stock)."""
    from scipy.stats import norm

    n = len(items)
    u = items.item_id.map(sales_rate).fillna(0).to_numpy()
    is_sold = np.zeros(n, dtype=bool)
    is_sold[sold] = True
    fg = items.item_id.str.startswith("FG").to_numpy()
    z = norm.ppf(items.service_level.fillna(0.95).clip(0.5, 0.999).to_numpy())
    spread = np.where(fg, 0.7 * u + 2 * np.sqrt(u), 1.8 * u + 3)  # spares are intermittent and lumpy

    suggested = z * spread * np.sqrt(items.lead_time_days.to_numpy() / 7 + 1)
    master = items.safety_stock.fillna(0).to_numpy()
    return np.ceil(np.where(is_sold & items.service_level.notna().to_numpy(), np.maximum(suggested, master), master))


def _round_to_rules(q: np.ndarray, items) -> np.ndarray:
    """Order quantities that honour each item's minimum, multiple, fixed lot and maximum."""
    q = np.maximum(np.asarray(q, dtype=float), np.maximum(1.0, items.min_order_qty.fillna(0).to_numpy()))
    mult = items.order_multiple.fillna(0).to_numpy()
    q = np.where(mult > 0, np.ceil(q / np.where(mult > 0, mult, 1)) * mult, np.ceil(q))
    lot = items.lot_size.fillna(0).to_numpy()
    fixed = (items.lot_rule.to_numpy() == "FOQ") & (lot > 0)
    q = np.where(fixed, np.ceil(q / np.where(fixed, lot, 1)) * lot, q)
    maxq = items.max_order_qty.to_numpy(dtype=float)
    capped = np.isfinite(maxq) & (maxq > 0) & (q > maxq)
    # above the maximum: the largest quantity under it that still honours the multiple or lot
    step = np.where(fixed, lot, np.where(mult > 0, mult, 1.0))
    return np.where(capped, np.maximum(step, np.floor(maxq / step) * step), q)


def _stock_and_open_supply(rng, items, level, bom, sold, demand, usage: pd.Series, cover: np.ndarray,
                           ss: np.ndarray, routings, machines, start):
    """On hand, open orders and their progress, consistent with lead times and lot rules.

    Free stock covers the safety stock plus the gross requirements up to the item's next supply:
    its open order's due date, or (without one) its lead time, ``u * (L + c - 1)`` with ``c`` the
    parents' lot cover, plus a margin of 0.3 to 1 week. Open orders bring the lead time's usage and
    1 to 2 weeks more. One purchased item is below its safety stock; one purchase order is 4 days
    past due on an item that needs it in the first week (the late supplier).

    Returns ``(inventory, scheduled_receipts, operations_progress)``.
    """
    n = len(items)
    ids = items.item_id.to_numpy()
    u = items.item_id.map(usage).fillna(0).to_numpy()
    lt_days = items.lead_time_days.to_numpy()
    L = lt_days / 7
    buy = items.item_type.to_numpy() == "buy"
    routed = items.item_id.isin(set(routings.item_id)).to_numpy()
    has_mo = ~buy & routed & (rng.random(n) < 0.5) & (u > 0)
    has_po = buy & (rng.random(n) < 0.4) & (u > 0)
    po_days = np.minimum(np.floor(rng.random(n) * np.minimum(lt_days, 35)), 34)
    mo_days = rng.integers(1, 12, size=n).astype(float)
    due_days = np.where(has_po, po_days, np.where(has_mo, mo_days, np.nan))
    # a purchase order brings the lead time's usage and 1 to 2 weeks more; a production order one lot
    open_qty = _round_to_rules(u * np.where(buy, L + rng.uniform(1.0, 2.0, n), rng.uniform(0.8, 1.3, n)), items)
    margin = np.where(buy, rng.uniform(0.3, 0.8, n), rng.uniform(0.1, 0.3, n))
    cover = np.where(buy, cover, np.minimum(cover, 1.25))
    # first week with requirements: now for sold items, else when the first parent releases an order
    # (parents' stock covers their own lead time, so their first order is released after the
    # parents' lot cover and margin), half a week earlier to be safe
    first_release = np.zeros(n)
    first_need = np.zeros(n)
    ids_pos = pd.Series(np.arange(n), index=ids)
    current = bom[bom.valid_to.isna()]
    par = ids_pos[current.parent_id].to_numpy()
    comp = ids_pos[current.component_id].to_numpy()
    is_sold = np.zeros(n, dtype=bool)
    is_sold[sold] = True
    for lv in range(int(level.max()) + 1):
        here = level == lv
        if lv > 0:
            rel = pd.Series(first_release[par[level[comp] == lv]]).groupby(comp[level[comp] == lv]).min()
            first_need[rel.index.to_numpy()] = np.maximum(0.0, rel.to_numpy() - 0.5)
            first_need[here & is_sold] = 0.0
        first_release[here] = np.maximum(cover[here] - 1 + margin[here], first_need[here] - L[here])
    until = np.where(has_po | has_mo, np.floor(np.nan_to_num(due_days) / 7), L)  # weeks to the next supply
    # free stock and the open order together cover the requirements of the lead time
    need = ss + u * np.maximum(0.0, L + cover - 1 + margin - first_need)
    # sold items: at least the customer orders booked within the lead time and margin (past due included)
    days = (demand.due_date - start).dt.days.to_numpy()
    pos_d = ids_pos.reindex(demand.item_id).to_numpy()
    booked = np.zeros(n)
    inside = days < 7 * (L[pos_d] + margin[pos_d])
    np.add.at(booked, pos_d[inside], demand.qty.to_numpy(dtype=float)[inside])
    need = np.maximum(need, ss + booked + u * margin)
    free = np.maximum(ss + u * np.maximum(0.0, until + cover - 1 + margin - first_need),
                      need - np.where(has_po | has_mo, open_qty, 0.0))
    # the late supplier: the first open purchase order is 4 days past due and needed now
    # (a spare part sold directly when there is one: customer orders wait for it)
    late_po = np.concatenate([np.flatnonzero(has_po & is_sold & (u > 0)), np.flatnonzero(has_po & (u > 0))])[:1]
    due_days[late_po] = -4
    free[late_po] = ss[late_po]
    # one purchased item below its safety stock, without open supply
    below = np.flatnonzero(buy & ~has_po & (ss > 0) & (u > 0))[:1]
    free[below] = np.floor(0.5 * ss[below])
    share = np.where(rng.random(n) < 0.2, 0.2, 0.0)  # allocated to orders already picked
    on_hand = np.ceil(free / (1 - share))
    allocated = np.floor(on_hand * share)
    inventory = pd.DataFrame(dict(item_id=ids, on_hand=on_hand, allocated=allocated))

    po = np.flatnonzero(has_po)
    pos = pd.DataFrame(dict(item_id=ids[po], order_type="purchase", qty=open_qty[po],
                            due_date=start + pd.to_timedelta(due_days[po], unit="D"),
                            release_date=start + pd.to_timedelta(due_days[po] - lt_days[po], unit="D"),
                            status="firm", supplier_id=items.supplier_id.to_numpy()[po]))
    mk = np.flatnonzero(has_mo)
    status = np.where(rng.random(mk.size) < 0.6, "in_progress", "released")
    mos = pd.DataFrame(dict(item_id=ids[mk], order_type="production", qty=open_qty[mk],
                            due_date=start + pd.to_timedelta(due_days[mk], unit="D"),
                            release_date=start - pd.to_timedelta(rng.integers(3, 10, size=mk.size), unit="D"),
                            status=status, supplier_id=None))  # released last week
    sr = pd.concat([pos, mos], ignore_index=True)
    sr["order_id"] = [f"PO-{40001 + i}" if t == "purchase" else f"MO-{50001 + i}"
                      for i, t in enumerate(sr.order_type)]
    sr, progress = _progress(sr, routings, machines, start)
    return inventory, sr, progress


#: Plants up to this many items have their run times scaled against an MRP run of their own
#: plan (a second or two); larger ones keep the estimate from usage (the generator stays fast).
PLAN_CALIBRATION_MAX_ITEMS = 5000
#: Weeks of the plan whose mean load meets the targets.
CALIBRATION_WEEKS = 6


def _load_targets(seed: int, wc: pd.DataFrame) -> pd.Series:
    """Load of each work center over the plan's first four weeks [fraction of available hours]:
    the second work center (turning in the sample) 0.97, the others 0.50 to 0.75."""
    target = pd.Series(np.random.default_rng(seed).uniform(0.50, 0.75, len(wc)), index=wc.work_center_id.to_numpy())
    target.iloc[min(1, len(target) - 1)] = 0.97
    return target


def _scale_to_plan(ds: Dataset, weekly_rate: pd.Series, ss: np.ndarray, targets: pd.Series, start) -> pd.DataFrame:
    """Routings with run times scaled so that MRP's capacity load of the first four weeks meets
    ``targets`` per work center; the forecast is the sold items' expected rate, the safety stock
    the estimate the stock was sized with."""
    from planlib.mrp import run_mrp
    from planlib.params import PlanParams

    periods = pd.date_range(start, periods=26, freq="7D")
    fc = pd.DataFrame(dict(item_id=np.repeat(weekly_rate.index.to_numpy(), len(periods)),
                           period_start=np.tile(periods, len(weekly_rate)),
                           forecast=np.repeat(weekly_rate.to_numpy(), len(periods))))
    items = ds.items
    targeted = items.service_level.notna().to_numpy() & items.item_id.isin(weekly_rate.index).to_numpy()
    sst = pd.DataFrame(dict(item_id=items.item_id[targeted], safety_stock=ss[targeted]))
    res = run_mrp(ds, PlanParams(plan_start=start.date()), forecast=fc, safety_stock=sst)
    cap = res.capacity_load
    first = cap[cap.period <= CALIBRATION_WEEKS].groupby("work_center_id")[["load_hours", "available_hours"]].sum()
    r = ds.routings.copy()
    # setup hours of the first four weeks do not scale: estimate them from the orders' count
    share = (targets.reindex(first.index) * first.available_hours / first.load_hours.where(first.load_hours > 0))
    scale = r.work_center_id.map(share.replace([np.inf, -np.inf], np.nan).fillna(1.0).clip(0.2, 5.0)).to_numpy()
    r["run_min_per_unit"] = np.maximum(0.1, np.round(r.run_min_per_unit.to_numpy() * scale, 2))
    return r


def _calibrate_run_times(rng, routings, units: pd.Series, wc, calendars, items=None, usage=None) -> pd.DataFrame:
    """Scale run times so that ``units`` per week (with setups) load the second work center (turning
    in the sample) at 97 % and the others at 50 to 75 % of their calendar capacity."""
    r = routings.copy()
    load_h = r.item_id.map(units).fillna(0).to_numpy() * r.run_min_per_unit.to_numpy() / 60
    if items is not None:  # setups: one per lot
        lots_per_week = pd.Series(1 / _lot_cover_weeks(items, usage), index=items.item_id.to_numpy())
        setup_h = r.item_id.map(lots_per_week).fillna(0).to_numpy() * r.setup_min.to_numpy() / 60
    else:
        setup_h = np.zeros(len(r))
    load_wc = pd.Series(load_h).groupby(r.work_center_id.to_numpy()).sum()
    setup_wc = pd.Series(setup_h).groupby(r.work_center_id.to_numpy()).sum()
    shift_h = pd.Series(shift_hours(calendars.start_time, calendars.end_time)).groupby(calendars.calendar_id).sum()
    cap = wc.set_index("work_center_id")
    cap = cap.n_machines * cap.calendar_id.map(shift_h) * cap.efficiency
    target = pd.Series(rng.uniform(0.50, 0.75, len(cap)), index=cap.index)
    target.iloc[min(1, len(target) - 1)] = 0.97
    room = (target * cap - setup_wc.reindex(cap.index).fillna(0)).clip(lower=0.1 * target * cap)
    scale = (room / load_wc.reindex(cap.index)).replace([np.inf], np.nan).fillna(1.0)
    run = r.run_min_per_unit.to_numpy() * r.work_center_id.map(scale).to_numpy()
    r["run_min_per_unit"] = np.maximum(0.1, np.round(run, 2))
    return r


def _calendars(wc, machines, start):
    rows = []
    for d in range(5):
        rows.append(dict(calendar_id="2SHIFT", weekday=d, start_time=6.0, end_time=14.0))
        rows.append(dict(calendar_id="2SHIFT", weekday=d, start_time=14.0, end_time=22.0))
        rows.append(dict(calendar_id="1SHIFT", weekday=d, start_time=7.0, end_time=15.5))
    cal = pd.DataFrame(rows)
    ex = []
    for cid in ("2SHIFT", "1SHIFT"):
        for day, name in (("2026-12-24", "Christmas Eve"), ("2026-12-25", "Christmas Day"),
                          ("2026-12-31", "New Year's Eve"), ("2027-01-01", "New Year's Day")):
            d = pd.Timestamp(day)
            ex.append(dict(calendar_id=cid, machine_id=None, start=d, end=d + pd.Timedelta(days=1),
                           kind="holiday", description=name))
    lathe = machines.machine_id[machines.work_center_id == wc.work_center_id.iloc[min(1, len(wc) - 1)]]
    m = lathe.iloc[-1]
    ex.append(dict(calendar_id=None, machine_id=m, start=start + pd.Timedelta(days=8, hours=6),
                   end=start + pd.Timedelta(days=9, hours=14), kind="maintenance",
                   description="Planned spindle overhaul"))
    # overtime: a Saturday morning shift on final assembly in the second week
    if "ASSY" in set(wc.work_center_id):
        for mid in machines.machine_id[machines.work_center_id == "ASSY"]:
            ex.append(dict(calendar_id=None, machine_id=mid, start=start + pd.Timedelta(days=12, hours=6),
                           end=start + pd.Timedelta(days=12, hours=12), kind="overtime",
                           description="Saturday overtime for the year-end peak"))
    return cal, pd.DataFrame(ex)


def _setup_matrix(rng, items, routings, wc) -> pd.DataFrame:
    fam = items.set_index("item_id").family
    rows = []
    for w in ("LATHE", "MILL", "PAINT", "ASSY"):
        if w not in set(wc.work_center_id):
            continue
        fams = sorted(set(fam.reindex(routings.item_id[routings.work_center_id == w]).dropna()) - {""})
        for a in fams:
            for b in fams:
                if a == b:
                    setup = 10.0
                elif w == "PAINT":
                    # light to dark is quick, dark to light needs a full clean
                    order = {"grey": 0, "blue": 1, "red": 2, "plain": 0}
                    setup = 30.0 if order.get(a, 0) < order.get(b, 0) else 90.0
                else:
                    setup = float(rng.choice([30, 45, 60, 90]))
                rows.append(dict(work_center_id=w, from_family=a, to_family=b, setup_min=setup))
    return pd.DataFrame(rows, columns=["work_center_id", "from_family", "to_family", "setup_min"])


def _overrides(items, sold, start) -> pd.DataFrame:
    fg = items.item_id.iloc[sold][items.item_id.iloc[sold].str.startswith("FG")].to_numpy()
    rows = []
    if fg.size:
        rows.append(dict(item_id=fg[0], period_start=start + pd.Timedelta(weeks=4), qty=None, pct=30.0,
                         reason="Trade fair promotion"))
        rows.append(dict(item_id=fg[0], period_start=start + pd.Timedelta(weeks=5), qty=None, pct=20.0,
                         reason="Trade fair promotion"))
    if fg.size > 1:
        rows.append(dict(item_id=fg[-1], period_start=start + pd.Timedelta(weeks=3), qty=0.0, pct=None,
                         reason="Customer project postponed"))
    return pd.DataFrame(rows, columns=["item_id", "period_start", "qty", "pct", "reason"])


# --------------------------------------------------------------------------- the week before the sample



def _week_before(ds: Dataset, seed: int = 42) -> Dataset:
    """The sample as an ERP gives it on the Monday of its plan: the snapshot of the Monday before and
    the week's execution records, generated so that they lead exactly to ``ds``'s state.

    ``ds`` is the calibrated state at the plan start (:func:`make_factory`). The week before it
    (2026-W47 for the sample) is carried out with the noise of :mod:`planlib.simulate`: the
    in-progress orders' operations (started Thursday and Friday), a few orders started and finished
    in the week (closed since), their material issues, purchase orders received (one closed late,
    one delivered short), the week's customer shipments (already in ``demand_history``) and the
    suppliers' confirmations of the open purchase orders. The snapshot is rolled back by the same
    rules :func:`planlib.actuals.apply_actuals` rolls forward, so the plan of the week starts from
    ``ds``'s stock, open orders and progress (a test holds it).

    Parameters
    ----------
    ds : Dataset
        The state at the plan start: ``inventory`` without ``as_of``, ``scheduled_receipts``,
        ``operations_progress``, the master data and ``demand_history``.
    seed : int
        Seed of the week's draws.

    Returns
    -------
    Dataset
        ``ds`` with ``inventory`` (``as_of`` the Monday before), ``scheduled_receipts`` and
        ``operations_progress`` as of that Monday, and ``production_reports``, ``goods_receipts``,
        ``material_issues``, ``supplier_confirmations`` of the week.
    """
    from planlib import simulate
    from planlib.calendar import machine_intervals

    rng = np.random.default_rng([seed, 47])
    sr48 = ds.scheduled_receipts.copy()
    start = pd.Timestamp(ds.demand_history.date.max()).normalize() + pd.Timedelta(days=1)
    start = start + pd.Timedelta(days=(7 - start.weekday()) % 7)  # the plan's Monday
    w0 = start - pd.Timedelta(days=7)
    items = ds.items.set_index("item_id")
    routing = ds.routings.sort_values(["item_id", "op_seq"])
    ops_of = {i: g for i, g in routing.groupby("item_id")}
    speed = ds.machines.set_index("machine_id").speed_factor.fillna(1.0)
    by_wc = ds.machines.groupby("work_center_id").machine_id.apply(list)
    bom = ds.bom[(ds.bom.valid_from.isna() | (ds.bom.valid_from <= w0)) & (ds.bom.valid_to.isna() | (ds.bom.valid_to > w0))]
    work = {m: list(zip(g.start, g.end)) for m, g in machine_intervals(ds, w0, start).groupby("machine_id")}
    limit = {m: start for m in speed.index}  # a machine is free for closed orders until its in-progress op
    prog48 = ds.operations_progress
    for m, t in zip(prog48.machine_id, pd.to_datetime(prog48.actual_start)):
        limit[m] = min(limit[m], t)
    early = {m: w0 for m in speed.index}  # where the closed orders' next operation can start
    reports, issues = [], []

    def book(machine, earliest, minutes, until):
        """Working segments on ``machine`` from ``earliest`` for ``minutes``; None if not done by ``until``."""
        segs, left = [], minutes
        for s, e in work.get(machine, []):
            s = max(s, earliest)
            if e <= s:
                continue
            take = min(left, (e - s).total_seconds() / 60)
            segs.append((s, s + pd.Timedelta(minutes=take)))
            left -= take
            if left <= 1e-9:
                break
        if left > 1e-9 or segs[-1][1] > until:
            return None
        return segs

    def minutes(item, op, qty, machine):
        return simulate.run_minutes(rng, float(op.setup_min), float(op.run_min_per_unit), qty, float(speed[machine]))

    def scrap(item, entering):
        return simulate.scrap_qty(rng, float(items.scrap_pct.get(item, 0.0) or 0.0), entering)

    def report(order, op, machine, segs, good, bad, downtime):
        reports.extend(simulate.report_rows(rng, order, int(op.op_seq), machine, float(op.crew_size), segs,
                                            good, bad, downtime))

    def downtime():
        return simulate.downtime(rng)

    def issue(order, item, qty, when):
        lines = bom[bom.parent_id == item]
        lines = lines.assign(uom=lines.component_id.map(items.uom).fillna("ea"))
        issues.extend(simulate.issue_rows(rng, order, lines, qty, when))

    # 1. the in-progress orders: their first operation started Thursday, the next Friday
    sr47 = sr48.copy()
    progress = prog48.sort_values(["order_id", "op_seq"])
    for oid, rows in progress.groupby("order_id", sort=True):
        o = sr48[sr48.order_id == oid].iloc[0]
        routing_ops = ops_of[o.item_id].set_index("op_seq")
        last_seq = routing_ops.index.max()
        done = rows[rows.status == "done"]
        bad = {int(r.op_seq): scrap(o.item_id, o.qty) for r in done.itertuples()}
        run = rows[rows.status != "done"]
        g_last = float(run[run.op_seq == last_seq].qty_done.sum())
        open47 = float(o.qty) + sum(bad.values()) + g_last
        sr47.loc[sr47.order_id == oid, "qty"] = open47
        scrapped = 0.0
        for r in rows.itertuples():
            op = routing_ops.loc[r.op_seq].to_frame().T.assign(op_seq=r.op_seq).iloc[0]
            t0 = pd.Timestamp(r.actual_start)
            if r.status == "done":
                scrapped += bad[int(r.op_seq)]
                good, lost = open47 - scrapped, bad[int(r.op_seq)]
                nxt = rows[rows.op_seq > r.op_seq].actual_start
                until = pd.Timestamp(nxt.min()) if len(nxt) else start
            else:
                good, lost, until = float(r.qty_done), 0, start
            dt_ = downtime()
            segs = book(r.machine_id, t0, minutes(o.item_id, op, good + lost, r.machine_id) + dt_[0], until)
            if segs is None:  # ran faster than the standard: the booked time ends where the next op starts
                segs = [(t0, min(until, t0 + pd.Timedelta(hours=6)))]
            report(oid, op, r.machine_id, segs, good, lost, dt_)
            if r.op_seq == routing_ops.index.min():  # components go out as units enter the first operation
                issue(oid, o.item_id, good + lost, t0)

    # 2. orders started and finished in the week (closed since): made items, top level first; the
    #    parents of an item whose stock the week's production would leave short come first (their
    #    issues are where that stock went)
    llc = _low_level_codes(ds.items.item_id, bom)
    made = sorted(ops_of, key=lambda i: (llc.get(i, 0), i))
    chosen = set(rng.choice(made, size=min(6, len(made)), replace=False))
    shipped = ds.demand_history[(ds.demand_history.date >= w0) & (ds.demand_history.date < start)]
    out_by_item = shipped.groupby("item_id").qty.sum()
    on_hand = ds.inventory.set_index("item_id").on_hand.astype(float)
    made_by = {}  # item -> good units of last operations in the week
    last_seq = routing.groupby("item_id").op_seq.max()
    for r in reports:
        item = sr48.set_index("order_id").item_id.get(r["order_id"])
        if item is not None and r["op_seq"] == last_seq.get(item):
            made_by[item] = made_by.get(item, 0.0) + r["qty_good"]

    def room(item):  # stock the week may add to the item and still start from zero or more
        issued = sum(x["qty"] for x in issues if x["item_id"] == item)
        return on_hand.get(item, 0.0) + max(out_by_item.get(item, 0.0), 0.0) + issued - made_by.get(item, 0.0)

    def fits(item):  # the largest lot whose every operation runs in 16 h
        ops = ops_of[item]
        return float(np.floor(((16 * 60 - ops.setup_min) / ops.run_min_per_unit.clip(lower=1e-6)).min()))

    short = {}  # deficit -> parent that covers it
    for c in [i for i in made if room(i) < 0]:
        for p in bom[bom.component_id == c].parent_id:
            if p in ops_of:
                short[p] = max(short.get(p, 0.0), -room(c) / float(bom[(bom.parent_id == p) & (bom.component_id == c)].qty_per.iloc[0]))
    n_mo, sr_closed = 1, []
    for item in made:
        if item not in chosen and item not in short:
            continue
        cap = float(items.max_order_qty.get(item, 0) or 0)
        qty = float(np.ceil(short[item])) if item in short else float(np.floor(0.5 * room(item)))
        qty = min(qty, fits(item), cap if cap > 0 else np.inf, np.floor(room(item)))
        if qty < 2 or (item in short and qty < short[item]):
            continue
        oid, t = f"MO-{50000 + n_mo:05d}", w0 + pd.Timedelta(hours=int(rng.integers(0, 30)))
        bad_total, plan = 0, []
        for op in ops_of[item].itertuples():
            machine = min(by_wc[op.work_center_id], key=lambda m: early[m])
            lost = scrap(item, qty - bad_total)
            dt_ = downtime()
            segs = book(machine, max(t, early[machine]), minutes(item, op, qty - bad_total, machine) + dt_[0], limit[machine])
            if segs is None:
                break
            plan.append((op, machine, segs, qty - bad_total - lost, lost, dt_))
            bad_total += lost
            t = segs[-1][1]
        if len(plan) < len(ops_of[item]):
            continue  # does not fit the week: not one of its orders
        n_mo += 1
        for op, machine, segs, good, lost, dt_ in plan:
            early[machine] = segs[-1][1]
            report(oid, op, machine, segs, good, lost, dt_)
        made_by[item] = made_by.get(item, 0.0) + plan[-1][3]
        issue(oid, item, qty, plan[0][2][0][0])
        due = t.normalize() + pd.Timedelta(days=int(rng.choice([-2, -1, 0, 1, 2])))
        due = min(max(due, w0), start - pd.Timedelta(days=3))
        sr_closed.append(dict(order_id=oid, item_id=item, order_type="production", qty=qty, due_date=due,
                              release_date=w0 - pd.Timedelta(days=int(rng.integers(2, 6))), status="released",
                              supplier_id=None, planned_order=None))
    # 3. purchase orders received in the week: a few closed, one past due delivered short
    receipts, n_po = [], 1
    issued_by = pd.DataFrame(issues, columns=["order_id", "item_id", "qty", "issue_date"]).groupby("item_id").qty.sum()
    bought = ds.items[ds.items.item_type == "buy"].item_id
    received = {}  # item -> received in the week so far: the snapshot before holds what is left

    def room_po(item):
        return (on_hand.get(item, 0.0) + max(out_by_item.get(item, 0.0), 0.0) + issued_by.get(item, 0.0)
                - received.get(item, 0.0))

    for item in sorted(rng.choice(bought.to_numpy(), size=min(6, len(bought)), replace=False)):
        room = room_po(item)
        mult = float(items.order_multiple.get(item, 0) or 0) or 1.0
        qty = float(np.floor(0.6 * room / mult) * mult)
        if qty <= 0:
            continue
        sup = items.supplier_id.get(item)
        due = w0 + pd.Timedelta(days=int(rng.integers(-3, 4)))
        got = max(due + pd.Timedelta(days=simulate.SUPPLIER_DELAY_DAYS.get(sup, int(rng.integers(-1, 2)))), w0)
        got = min(got, w0 + pd.Timedelta(days=4))
        oid = f"PO-{39990 + n_po:05d}"
        n_po += 1
        sr_closed.append(dict(order_id=oid, item_id=item, order_type="purchase", qty=qty, due_date=due,
                              release_date=due - pd.Timedelta(days=int(items.lead_time_days.get(item, 14))),
                              status="firm", supplier_id=sup, planned_order=None))
        receipts.append(dict(order_id=oid, item_id=item, qty=qty, received_date=got))
        received[item] = received.get(item, 0.0) + qty
    late = sr48[(sr48.order_type == "purchase") & (sr48.due_date < start)]
    for p in late.itertuples():  # the late supplier shipped part of it on the due date
        room = room_po(p.item_id)
        mult = float(items.order_multiple.get(p.item_id, 0) or 0) or 1.0
        part = float(min(np.floor(0.4 * p.qty / mult), np.floor(room / mult)) * mult)
        if part > 0:
            sr47.loc[sr47.order_id == p.order_id, "qty"] = p.qty + part
            receipts.append(dict(order_id=p.order_id, item_id=p.item_id, qty=part,
                                 received_date=max(pd.Timestamp(p.due_date), w0)))
    receipts = pd.DataFrame(receipts, columns=["order_id", "item_id", "qty", "received_date"])
    receipts = receipts.sort_values(["received_date", "order_id"], kind="stable").reset_index(drop=True)
    receipts.insert(0, "receipt_id", [f"GR-{60001 + k}" for k in range(len(receipts))])

    # 4. the snapshot of the Monday before: the rules of apply_actuals, backwards
    reports = pd.DataFrame(reports).sort_values(["report_date", "machine_id", "start"], kind="stable")
    issues = pd.DataFrame(issues, columns=["order_id", "item_id", "qty", "issue_date"])
    last = routing.groupby("item_id").op_seq.max()
    rep_item = reports.order_id.map(pd.concat([sr48, pd.DataFrame(sr_closed)]).drop_duplicates("order_id")
                                    .set_index("order_id").item_id)
    made_qty = reports[reports.op_seq.to_numpy() == rep_item.map(last).to_numpy()].assign(item_id=rep_item).groupby(
        "item_id").qty_good.sum()
    inv = ds.inventory.copy()
    i_out = issues.groupby("item_id").qty.sum()
    s_out = out_by_item
    gr_in = receipts.groupby("item_id").qty.sum()
    f = lambda s: inv.item_id.map(s).fillna(0.0).to_numpy(dtype=float)  # noqa: E731
    inv["on_hand"] = np.round(inv.on_hand.to_numpy(dtype=float) - f(gr_in) - f(made_qty) + f(i_out) + f(s_out), 4)
    outflow = np.maximum(f(i_out) + f(s_out), 0.0)
    a48 = inv.allocated.fillna(0.0).to_numpy(dtype=float)
    inv["allocated"] = np.where(a48 > 0, a48 + outflow, np.minimum(f(i_out), outflow))
    inv["as_of"] = w0
    sr47 = pd.concat([sr47, pd.DataFrame(sr_closed)], ignore_index=True)
    sr47.loc[sr47.order_id.isin(prog48.order_id), "status"] = "released"  # started after the snapshot

    confirmations = simulate.supplier_confirmations(rng, sr48, w0, start)
    tables = dict(ds.tables, inventory=inv, scheduled_receipts=sr47,
                  operations_progress=prog48.iloc[:0], production_reports=reports, goods_receipts=receipts,
                  material_issues=issues, supplier_confirmations=confirmations)
    tables = {n: conform(n, t) if n in TABLES else t for n, t in tables.items()}
    rows = {n: [f"{n} row {i + 1}" for i in range(len(t))] for n, t in tables.items()}
    return Dataset(tables, ds.source, frozenset(tables), rows)


def _low_level_codes(item_ids: pd.Series, bom: pd.DataFrame) -> dict:
    """The deepest BOM level each item appears on (0 for end items)."""
    code = {i: 0 for i in item_ids}
    for _ in range(len(code)):
        changed = False
        for p, c in zip(bom.parent_id, bom.component_id):
            if code.get(c, 0) < code.get(p, 0) + 1:
                code[c] = code.get(p, 0) + 1
                changed = True
        if not changed:
            break
    return code


def _staffing(wc: pd.DataFrame, machines: pd.DataFrame, routings: pd.DataFrame, calendars: pd.DataFrame,
              ) -> pd.DataFrame:
    """Operators per work center and shift: enough for every machine at the largest crew its
    operations need; the final-assembly work center's late shift one operator short."""
    crew = routings.groupby("work_center_id").crew_size.max()
    n = machines.groupby("work_center_id").machine_id.count()
    cal = wc.set_index("work_center_id").calendar_id
    rows = []
    short = next((w for w, s in zip(wc.work_center_id, wc.get("stage", [])) if s == "final"), None)
    for w in wc.work_center_id:
        need = float(np.ceil(n.get(w, 0) * crew.get(w, 0.0)))
        shifts = calendars[calendars.calendar_id == cal[w]].sort_values(["weekday", "start_time"])
        for k, s in enumerate(shifts.itertuples()):
            late = k % 2 == 1 and shifts.weekday.value_counts().max() > 1
            ops = max(need - 1, 0.0) if (w == short and late) else need
            rows.append(dict(work_center_id=w, weekday=s.weekday, start_time=s.start_time,
                             end_time=s.end_time, operators=ops))
    return pd.DataFrame(rows, columns=["work_center_id", "weekday", "start_time", "end_time", "operators"])
