"""The change model: one frozen dataclass per kind of change, and :class:`Scenario`.

Each kind reads itself from a scenario file's mapping (``read``), writes itself back
(``to_dict``), says itself in a line (``describe``), checks its references against
a dataset (``check``) and returns the tables it replaces (``apply``, inputs never
mutated). :data:`CHANGE_KINDS` maps the ``kind`` a file writes to its class.

Vocabulary: ``docs/glossary.md`` (item, demand, forecast, machine, work_center,
scheduled_receipt, calendar).
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from planlib.contract import WEEKDAYS
from planlib.problems import Problems
from planlib.scenario.reader import _TABLE, _Flow, _fmt_moment, _num, _Reader, _Where

__all__ = ["CHANGE_KINDS", "Change", "DemandMultiplier", "Downtime", "LateMaterial", "LeadTimeChange",
           "OperatorAbsence", "Overtime", "QuantityChange", "RushOrder", "Scenario", "SupplierDelay"]


@dataclass(frozen=True, kw_only=True)
class Change:
    """What every change has: a free ``note`` and where it stood in its file.

    ``line`` (1-based line of the change in the file, 0 if made in Python) and
    ``lines`` (key -> line) only serve error messages; they do not take part in
    comparisons.
    """

    kind: ClassVar[str] = ""
    keys: ClassVar[tuple[str, ...]] = ()
    note: str = ""
    line: int = field(default=0, compare=False, repr=False)
    lines: tuple = field(default=(), compare=False, repr=False)

    # -- overridden per kind
    @classmethod
    def read(cls, r: _Reader) -> Change | None:
        """The change from the keys of its mapping in a scenario file.

        Parameters
        ----------
        r : _Reader
            Reads the keys and records each bad value as a problem with its line.

        Returns
        -------
        Change or None
            None when a key it needs is missing or wrong (the problem is recorded).
        """
        raise NotImplementedError

    def to_dict(self) -> dict:
        """The keys a scenario file writes for this change (defaults left out); :meth:`read` reads
        them back equal."""
        raise NotImplementedError

    def describe(self) -> str:
        """The change in one line for a planner: ``breakdown: LATHE-2 2026-11-24 06:00 to ...``."""
        raise NotImplementedError

    def check(self, ds, p: Problems, where: _Where) -> None:
        """Add a problem for every reference the dataset does not hold.

        Parameters
        ----------
        ds : Dataset
        p : Problems
            Collects the problems (errors, and warnings for a change that does nothing).
        where : _Where
            Turns a key into its row label (``lathe.yaml line 7``).
        """

    def apply(self, tables: dict, ctx: dict) -> dict:
        """The tables this change replaces, computed from ``tables`` (never mutated).

        Parameters
        ----------
        tables : dict of DataFrame
            ``items, demand, calendar_exceptions, machines, scheduled_receipts, suppliers`` as
            the changes before this one left them (columns: ``docs/data-contract.md``).
        ctx : dict
            Shared by the changes of one scenario: ``name``, and counters (``rush_seq``).

        Returns
        -------
        dict of DataFrame
            Only the tables this change alters, with the columns and dtypes they came with.
        """
        return {}

    def _head(self) -> dict:
        return {"kind": self.kind}

    def _tail(self, d: dict) -> dict:
        if self.note:
            d["note"] = self.note
        return d


def _sel(single, plural, values) -> dict:
    if not values:
        return {}
    return {single: values[0]} if len(values) == 1 else {plural: _Flow(values)}


def _known(p, where, key, values, known, what, fix_list):
    known = set(known)
    for v in values:
        if v not in known:
            close = difflib.get_close_matches(v, sorted(known), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            choices = f"one of {', '.join(sorted(known))}" if 0 < len(known) <= 20 else f"one of the {fix_list}"
            p.add(_TABLE, where(key), key, v, f"unknown {what} '{v}'", f"{hint}use {choices}")


def _items_in(items: pd.DataFrame, codes: tuple, families: tuple) -> pd.Series:
    """Item ids selected by codes and families (their union; neither = every item)."""
    if not codes and not families:
        return items.item_id
    fam = items.family.fillna("") if "family" in items else pd.Series("", index=items.index)
    return items.item_id[items.item_id.isin(codes) | fam.isin(families)]


@dataclass(frozen=True, kw_only=True)
class DemandMultiplier(Change):
    """Multiply demand by ``factor`` for chosen items, families and periods.

    Keys: ``factor`` (>= 0; 1.3 = 30 % more, 0 = none), ``item``/``items``,
    ``family``/``families`` (union; neither = every item), ``from``/``to``
    (first and last day, inclusive, dates or ISO weeks; either may be left
    out), ``apply_to`` (``[orders, forecast]`` by default). Orders match by
    ``due_date``, forecast buckets by ``period_start``. Quantities are not
    rounded; a factor of 0 removes the matching order lines.
    """

    kind: ClassVar[str] = "demand_multiplier"
    keys: ClassVar[tuple] = ("factor", "item", "items", "family", "families", "from", "to", "apply_to")
    factor: float = 1.0
    items: tuple = ()
    families: tuple = ()
    start: dt.date | None = None
    end: dt.date | None = None
    apply_to: tuple = ("orders", "forecast")

    @classmethod
    def read(cls, r):
        factor = r.number("factor", required=True, minimum=0,
                          fix="write factor: 1.2 for 20 % more demand, 0.8 for 20 % less (never negative)")
        start, end = r.day("from"), r.day("to", end=True)
        if start and end and end < start:
            r.bad("to", "'to' is before 'from'", "write a 'to' date on or after 'from'", r.m.get("to"))
        apply_to = ("orders", "forecast")
        if r.has("apply_to"):
            v = r.m["apply_to"]
            vals = [str(x).strip() for x in (v if isinstance(v, list) else [v])]
            if "both" in vals:
                vals = ["orders", "forecast"]
            wrong = [x for x in vals if x not in ("orders", "forecast")]
            if wrong or not vals:
                r.bad("apply_to", f"'{', '.join(wrong)}' is not orders or forecast",
                      "write apply_to: [orders, forecast], apply_to: orders or apply_to: forecast", v)
            else:
                apply_to = tuple(x for x in ("orders", "forecast") if x in vals)
        if factor is None:
            return None
        return cls(factor=factor, items=r.ids("item", "items", "an item code"),
                   families=r.ids("family", "families", "a family"), start=start, end=end, apply_to=apply_to)

    def to_dict(self):
        d = self._head()
        d["factor"] = _num(self.factor)
        d.update(_sel("item", "items", self.items))
        d.update(_sel("family", "families", self.families))
        if self.start:
            d["from"] = self.start.isoformat()
        if self.end:
            d["to"] = self.end.isoformat()
        if self.apply_to != ("orders", "forecast"):
            d["apply_to"] = _Flow(self.apply_to) if len(self.apply_to) > 1 else self.apply_to[0]
        return self._tail(d)

    def describe(self):
        what = ", ".join(self.items + tuple(f"family {f}" for f in self.families)) or "all items"
        when = ""
        if self.start or self.end:
            a = self.start.isoformat() if self.start else "..."
            b = self.end.isoformat() if self.end else "..."
            when = f" {a} to {b}"
        return f"demand x{_num(self.factor)} for {what}{when} ({' and '.join(self.apply_to)})"

    def check(self, ds, p, where):
        _known(p, where, "items" if "items" in dict(self.lines) else "item", self.items, ds.items.item_id,
               "item", "item_id values of items")
        fams = set(ds.items.family.dropna()) - {""}
        _known(p, where, "families" if "families" in dict(self.lines) else "family", self.families, fams,
               "family", f"families of items ({', '.join(sorted(fams)[:12])})")

    def selects(self, item_ids: pd.Series, dates: pd.Series, items: pd.DataFrame) -> np.ndarray:
        """True where this multiplier applies to the item and date."""
        chosen = _items_in(items, self.items, self.families)
        mask = item_ids.isin(chosen).to_numpy()
        d = pd.to_datetime(dates)
        if self.start:
            mask &= (d >= pd.Timestamp(self.start)).to_numpy()
        if self.end:
            mask &= (d <= pd.Timestamp(self.end)).to_numpy()
        return mask

    def apply(self, tables, ctx):
        if "orders" not in self.apply_to:
            return {}
        demand = tables["demand"]
        mask = self.selects(demand.item_id, demand.due_date, tables["items"])
        qty = demand.qty.where(~mask, demand.qty * self.factor)
        out = demand.assign(qty=qty)
        return {"demand": out[out.qty > 0]}  # apply_scenario renumbers and keeps the row labels


@dataclass(frozen=True, kw_only=True)
class RushOrder(Change):
    """A new customer order line.

    Keys: ``item``, ``qty`` (> 0), ``due`` (date or ISO week = its Monday),
    ``priority`` (1 most urgent .. 9, default 1), ``customer`` (default
    ``RUSH``), ``order_id`` (default ``RUSH-001``, ``RUSH-002`` ... in file order).
    """

    kind: ClassVar[str] = "rush_order"
    keys: ClassVar[tuple] = ("item", "qty", "due", "priority", "customer", "order_id")
    item: str = ""
    qty: float = 0.0
    due: dt.date | None = None
    priority: int = 1
    customer: str = "RUSH"
    order_id: str = ""

    @classmethod
    def read(cls, r):
        items = r.ids("item", "_", "an item code")
        if not items:
            r.bad("item", "'item' is missing", "add item: CODE (the item ordered)")
        elif len(items) > 1:
            r.bad("item", "a rush order is for one item", "write one rush_order change per item")
        qty = r.number("qty", required=True, minimum=0, exclusive=True, fix="write qty: 50 (more than 0)")
        due = r.day("due", required=True)
        prio = r.number("priority", default=1, minimum=1, maximum=9, whole=True,
                        fix="write priority: 1 (most urgent) to 9")
        if len(items) != 1 or qty is None or due is None:
            return None
        return cls(item=items[0], qty=qty, due=due, priority=int(prio or 1),
                   customer=r.text("customer", "RUSH") or "RUSH", order_id=r.text("order_id"))

    def to_dict(self):
        d = self._head()
        d.update(item=self.item, qty=_num(self.qty), due=self.due.isoformat())
        if self.priority != 1:
            d["priority"] = self.priority
        if self.customer != "RUSH":
            d["customer"] = self.customer
        if self.order_id:
            d["order_id"] = self.order_id
        return self._tail(d)

    def describe(self):
        oid = f" {self.order_id}" if self.order_id else ""
        return f"rush order{oid}: {_num(self.qty)} x {self.item} due {self.due.isoformat()} (priority {self.priority})"

    def check(self, ds, p, where):
        _known(p, where, "item", (self.item,), ds.items.item_id, "item", "item_id values of items")
        if self.order_id and self.order_id in set(ds.demand.order_id):
            p.add(_TABLE, where("order_id"), "order_id", self.order_id, "order_id is already an open order",
                  "choose another order_id or leave it out for RUSH-001 ...")

    def apply(self, tables, ctx):
        demand = tables["demand"]
        oid = self.order_id
        if not oid:
            taken = set(demand.order_id)
            n = ctx.setdefault("rush_seq", 0)
            while True:
                n += 1
                oid = f"RUSH-{n:03d}"
                if oid not in taken:
                    break
            ctx["rush_seq"] = n
        row = pd.DataFrame({"order_id": [oid], "customer_id": [self.customer], "item_id": [self.item],
                            "qty": [float(self.qty)], "due_date": [pd.Timestamp(self.due)],
                            "priority": pd.array([self.priority], dtype="Int64")})
        row = row.reindex(columns=demand.columns)
        out = pd.concat([demand, row.astype(demand.dtypes.to_dict())], ignore_index=True) if len(demand) else row
        return {"demand": out}


class _Window(Change):
    """Machines or work centers and a time window (downtime and overtime)."""

    machines: tuple
    work_centers: tuple
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    repeat_weeks: int

    @classmethod
    def _read_window(cls, r):
        machines = r.ids("machine", "machines", "a machine code")
        wcs = r.ids("work_center", "work_centers", "a work center code")
        if not machines and not wcs:
            r.bad("machine", "no machine or work center given",
                  "add machine: CODE, machines: [CODE, CODE] or work_center: CODE")
        start, end = r.window()
        repeat = r.number("repeat_weeks", default=1, minimum=1, whole=True,
                          fix="write repeat_weeks: 4 for the same window four weeks running (1 = once)")
        weekdays = r.weekdays("weekdays")
        if weekdays and start is not None and end is not None and end - start > pd.Timedelta(days=1):
            r.bad("end", "with weekdays the window is a daily one and may last 24 hours at most",
                  "give the start and end of the first day's window, e.g. 22:00 to 06:00 the next day")
            end = None
        ok = (machines or wcs) and start is not None and end is not None
        return ok, dict(machines=machines, work_centers=wcs, start=start, end=end, repeat_weeks=int(repeat or 1),
                        weekdays=weekdays)

    def _window_dict(self):
        d = self._head()
        d.update(_sel("machine", "machines", self.machines))
        d.update(_sel("work_center", "work_centers", self.work_centers))
        d.update(start=_fmt_moment(self.start), end=_fmt_moment(self.end))
        if self.weekdays:
            d["weekdays"] = _Flow(WEEKDAYS[i] for i in self.weekdays)
        if self.repeat_weeks != 1:
            d["repeat_weeks"] = self.repeat_weeks
        return d

    def _where_text(self):
        what = ", ".join(self.machines + tuple(f"work center {w}" for w in self.work_centers))
        days = f" on {', '.join(WEEKDAYS[i] for i in self.weekdays)}" if self.weekdays else ""
        rep = f", {self.repeat_weeks} weeks running" if self.repeat_weeks > 1 else ""
        return f"{what} {_fmt_moment(self.start)} to {_fmt_moment(self.end)}{days}{rep}"

    def windows(self) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """Every (start, end) the change covers: the window, repeated on ``weekdays`` (from the
        start's day on) and over ``repeat_weeks`` weeks."""
        length = self.end - self.start
        if not self.weekdays:
            starts = [self.start + pd.Timedelta(weeks=k) for k in range(self.repeat_weeks)]
        else:
            monday = self.start.normalize() - pd.Timedelta(days=self.start.weekday())
            clock = self.start - self.start.normalize()
            starts = [monday + pd.Timedelta(weeks=k, days=d) + clock
                      for k in range(self.repeat_weeks) for d in self.weekdays]
            starts = [t for t in starts if t >= self.start]
        return [(t, t + length) for t in starts]

    def check(self, ds, p, where):
        _known(p, where, "machines" if "machines" in dict(self.lines) else "machine", self.machines,
               ds.machines.machine_id, "machine", "machine_id values of machines")
        _known(p, where, "work_centers" if "work_centers" in dict(self.lines) else "work_center",
               self.work_centers, ds.work_centers.work_center_id, "work center",
               "work_center_id values of work_centers")

    def machine_ids(self, machines: pd.DataFrame) -> list[str]:
        """The machines named, then those of the work centers named."""
        by_wc = machines.machine_id[machines.work_center_id.isin(self.work_centers)]
        return list(dict.fromkeys(list(self.machines) + list(by_wc)))

    def _rows(self, tables, kind, description):
        ex = tables["calendar_exceptions"]
        mids = self.machine_ids(tables["machines"])
        windows = self.windows()
        rows = pd.DataFrame({
            "calendar_id": [None] * (len(mids) * len(windows)),
            "machine_id": [m for m in mids for _ in windows],
            "start": [a for _ in mids for a, _ in windows],
            "end": [b for _ in mids for _, b in windows],
            "kind": kind, "description": description,
        }).reindex(columns=ex.columns)
        rows["calendar_id"] = rows["calendar_id"].astype(object)
        if not len(ex):
            return {"calendar_exceptions": rows.astype({"start": "datetime64[ns]", "end": "datetime64[ns]"})}
        rows = rows.astype(ex.dtypes.to_dict())
        return {"calendar_exceptions": pd.concat([ex, rows], ignore_index=True)}


@dataclass(frozen=True, kw_only=True)
class Downtime(_Window):
    """Machines out of service: a ``breakdown`` or ``maintenance`` window.

    Keys: ``machine``/``machines`` and/or ``work_center``/``work_centers``
    (every machine of it), ``start``, ``end`` (exclusive; a date alone means
    through that day) or ``hours``, ``reason`` (``breakdown`` default or
    ``maintenance``), ``weekdays`` (repeat the window's clock times on these
    days, e.g. ``[Mon, Tue, Wed, Thu, Fri]``, from the start's day on),
    ``repeat_weeks`` (the same window, or week of windows, N weeks running).
    Adds ``calendar_exceptions`` rows, one per machine and window.
    """

    kind: ClassVar[str] = "downtime"
    keys: ClassVar[tuple] = ("machine", "machines", "work_center", "work_centers", "start", "end", "hours",
                             "reason", "weekdays", "repeat_weeks")
    machines: tuple = ()
    work_centers: tuple = ()
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    reason: str = "breakdown"
    repeat_weeks: int = 1
    weekdays: tuple = ()

    @classmethod
    def read(cls, r):
        ok, kw = cls._read_window(r)
        reason = r.choice("reason", ("breakdown", "maintenance"), "breakdown")
        return cls(reason=reason, **kw) if ok else None

    def to_dict(self):
        d = self._window_dict()
        if self.reason != "breakdown":
            d["reason"] = self.reason
        return self._tail(d)

    def describe(self):
        return f"{self.reason}: {self._where_text()}"

    def apply(self, tables, ctx):
        return self._rows(tables, self.reason, self.note or f"scenario {ctx.get('name', '')}: {self.reason}".strip())


@dataclass(frozen=True, kw_only=True)
class Overtime(_Window):
    """Extra working time (an overtime shift) on machines or whole work centers.

    Keys as :class:`Downtime` without ``reason``; ``weekdays`` makes a daily
    extra shift (a night shift Monday to Friday). Adds ``calendar_exceptions``
    rows of kind ``overtime``, one per machine and window.
    """

    kind: ClassVar[str] = "overtime"
    keys: ClassVar[tuple] = ("machine", "machines", "work_center", "work_centers", "start", "end", "hours",
                             "weekdays", "repeat_weeks")
    machines: tuple = ()
    work_centers: tuple = ()
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    repeat_weeks: int = 1
    weekdays: tuple = ()

    @classmethod
    def read(cls, r):
        ok, kw = cls._read_window(r)
        return cls(**kw) if ok else None

    def to_dict(self):
        return self._tail(self._window_dict())

    def describe(self):
        return f"overtime: {self._where_text()}"

    def apply(self, tables, ctx):
        return self._rows(tables, "overtime", self.note or f"scenario {ctx.get('name', '')}: overtime".strip())


def _receipts_of(receipts: pd.DataFrame, items: pd.DataFrame, supplier: str) -> np.ndarray:
    """Open purchase receipts of a supplier (the item's default supplier if the receipt has none)."""
    default = receipts.item_id.map(items.set_index("item_id").supplier_id) if len(items) else np.nan
    sup = receipts.supplier_id.where(receipts.supplier_id.notna() & (receipts.supplier_id != ""), default)
    return ((receipts.order_type == "purchase") & (sup == supplier)).to_numpy()


@dataclass(frozen=True, kw_only=True)
class SupplierDelay(Change):
    """Push the due dates of a supplier's open purchase receipts by ``days``.

    Keys: ``supplier``, ``days`` (whole calendar days, >= 1), ``order``/``orders``
    (only these purchase orders; default all the supplier's open ones).
    """

    kind: ClassVar[str] = "supplier_delay"
    keys: ClassVar[tuple] = ("supplier", "days", "order", "orders")
    supplier: str = ""
    days: int = 0
    orders: tuple = ()

    @classmethod
    def read(cls, r):
        sup = r.ids("supplier", "_", "a supplier code")
        if not sup:
            r.bad("supplier", "'supplier' is missing", "add supplier: CODE (a supplier_id of suppliers)")
        elif len(sup) > 1:
            r.bad("supplier", "one supplier per change", "write one supplier_delay change per supplier")
        days = r.number("days", required=True, minimum=1, whole=True,
                        fix="write days: 7 (whole calendar days the receipts come later, at least 1)")
        orders = r.ids("order", "orders", "an order number")
        if len(sup) != 1 or days is None:
            return None
        return cls(supplier=sup[0], days=int(days), orders=orders)

    def to_dict(self):
        d = self._head()
        d.update(supplier=self.supplier, days=self.days)
        d.update(_sel("order", "orders", self.orders))
        return self._tail(d)

    def describe(self):
        which = f" ({', '.join(self.orders)})" if self.orders else ""
        return f"supplier {self.supplier} delivers {self.days} days late{which}"

    def check(self, ds, p, where):
        sups = set(ds.suppliers.supplier_id) | set(ds.items.supplier_id.dropna())
        _known(p, where, "supplier", (self.supplier,), sups, "supplier", "supplier_id values of suppliers")
        r = ds.scheduled_receipts
        mine = r[_receipts_of(r, ds.items, self.supplier)] if len(r) else r
        key = "orders" if "orders" in dict(self.lines) else "order"
        for o in self.orders:
            if o not in set(r.order_id):
                _known(p, where, key, (o,), r.order_id[r.order_type == "purchase"], "purchase order",
                       "order_id values of scheduled_receipts")
            elif o not in set(mine.order_id):
                p.add(_TABLE, where(key), key, o, f"{o} is not an open purchase order of {self.supplier}",
                      f"list only purchase orders of {self.supplier} or leave orders out")
        if self.supplier in sups and not len(mine):
            p.warn(_TABLE, where("supplier"), "supplier", self.supplier,
                   f"{self.supplier} has no open purchase receipts: the change does nothing",
                   "check the supplier, or delete the change")

    def apply(self, tables, ctx):
        r = tables["scheduled_receipts"]
        mask = _receipts_of(r, tables["items"], self.supplier)
        if self.orders:
            mask &= r.order_id.isin(self.orders).to_numpy()
        due = r.due_date.where(~mask, r.due_date + pd.Timedelta(days=self.days))
        return {"scheduled_receipts": r.assign(due_date=due)}


@dataclass(frozen=True, kw_only=True)
class LeadTimeChange(Change):
    """Set or change the lead time of items, or of every item of a supplier.

    Keys: ``item``/``items`` and/or ``supplier`` (its items: ``items.supplier_id``;
    also sets ``suppliers.lead_time_days``), and exactly one of ``days`` (the
    new ``lead_time_days``, >= 0) or ``add_days`` (added; may be negative if
    no lead time falls below 0).
    """

    kind: ClassVar[str] = "lead_time"
    keys: ClassVar[tuple] = ("item", "items", "supplier", "days", "add_days")
    items: tuple = ()
    supplier: str = ""
    days: float | None = None
    add_days: float | None = None

    @classmethod
    def read(cls, r):
        items = r.ids("item", "items", "an item code")
        sup = r.ids("supplier", "_", "a supplier code")
        if len(sup) > 1:
            r.bad("supplier", "one supplier per change", "write one lead_time change per supplier")
        if not items and not sup:
            r.bad("item", "no item or supplier given", "add item: CODE, items: [CODE, CODE] or supplier: CODE")
        days = r.number("days", minimum=0, fix="write days: 21 (the new lead time in calendar days, >= 0)")
        add = r.number("add_days", fix="write add_days: 7 (calendar days added; negative shortens)")
        if r.has("days") == r.has("add_days"):
            r.bad("days", "give either days (new lead time) or add_days (change), one of them",
                  "write days: 21 or add_days: 7")
            return None
        if (days is None and add is None) or (not items and not sup) or len(sup) > 1:
            return None
        return cls(items=items, supplier=sup[0] if sup else "", days=days, add_days=add)

    def to_dict(self):
        d = self._head()
        d.update(_sel("item", "items", self.items))
        if self.supplier:
            d["supplier"] = self.supplier
        if self.days is not None:
            d["days"] = _num(self.days)
        else:
            d["add_days"] = _num(self.add_days)
        return self._tail(d)

    def describe(self):
        what = ", ".join(self.items + ((f"supplier {self.supplier}",) if self.supplier else ()))
        how = f"= {_num(self.days)} days" if self.days is not None else f"{_num(self.add_days):+} days"
        return f"lead time {how} for {what}"

    def _mask(self, items: pd.DataFrame) -> np.ndarray:
        m = items.item_id.isin(self.items).to_numpy()
        if self.supplier:
            m |= (items.supplier_id == self.supplier).to_numpy()
        return m

    def check(self, ds, p, where):
        _known(p, where, "items" if "items" in dict(self.lines) else "item", self.items, ds.items.item_id,
               "item", "item_id values of items")
        if self.supplier:
            sups = set(ds.suppliers.supplier_id) | set(ds.items.supplier_id.dropna())
            _known(p, where, "supplier", (self.supplier,), sups, "supplier", "supplier_id values of suppliers")
            if self.supplier in sups and not (ds.items.supplier_id == self.supplier).any():
                p.warn(_TABLE, where("supplier"), "supplier", self.supplier,
                       f"no item has {self.supplier} as its supplier: the change does nothing",
                       "check the supplier, or name the items")
        if self.add_days is not None and self.add_days < 0:
            lt = ds.items.lead_time_days[self._mask(ds.items)]
            if len(lt) and (lt + self.add_days).min() < 0:
                p.add(_TABLE, where("add_days"), "add_days", _num(self.add_days),
                      f"some lead times would fall below 0 (the shortest is {_num(lt.min())} days)",
                      f"write add_days: {_num(-lt.min())} or more, or set days: instead")

    def apply(self, tables, ctx):
        items = tables["items"]
        mask = self._mask(items)
        lt = items.lead_time_days
        new = self.days if self.days is not None else lt + self.add_days
        out = {"items": items.assign(lead_time_days=lt.where(~mask, new))}
        sup = tables["suppliers"]
        if self.supplier and len(sup):
            m = (sup.supplier_id == self.supplier).to_numpy()
            slt = sup.lead_time_days
            snew = self.days if self.days is not None else slt + self.add_days
            out["suppliers"] = sup.assign(lead_time_days=slt.where(~m, snew))
        return out


def _crew_work_centers(routings: pd.DataFrame) -> set:
    """Work centers with at least one operation that needs operators (``crew_size > 0``)."""
    if "crew_size" not in routings:
        return set()
    return set(routings.work_center_id[routings.crew_size.fillna(0) > 0])


@dataclass(frozen=True, kw_only=True)
class OperatorAbsence(Change):
    """Operators of a work center absent (sickness, training) from ``from`` to ``to``.

    Keys: ``work_center``, ``from`` and ``to`` (date and time ``YYYY-MM-DD HH:MM``; a date
    alone as ``to`` means through that day), ``operators`` (how many are absent, > 0).
    The tables are not changed: the absence lowers the operators a work center's operations
    share (the schedule's crews, :func:`planlib.scenario.apply.absence_crews`).
    """

    kind: ClassVar[str] = "operator_absence"
    keys: ClassVar[tuple] = ("work_center", "from", "to", "operators")
    work_center: str = ""
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    operators: float = 0.0

    @classmethod
    def read(cls, r):
        wc = r.ids("work_center", "_", "a work center code")
        if not wc:
            r.bad("work_center", "'work_center' is missing", "add work_center: CODE (a work_center_id)")
        elif len(wc) > 1:
            r.bad("work_center", "one work center per change", "write one operator_absence change per work center")
        start = r.moment("from", required=True)
        end = r.moment("to", end=True, required=True)
        if start is not None and end is not None and end <= start:
            r.bad("to", "'to' is not after 'from'", "write a 'to' later than 'from'", r.m.get("to"))
            end = None
        ops = r.number("operators", required=True, minimum=0, exclusive=True,
                       fix="write operators: 2 (how many operators are absent, more than 0)")
        if len(wc) != 1 or start is None or end is None or ops is None:
            return None
        return cls(work_center=wc[0], start=start, end=end, operators=ops)

    def to_dict(self):
        d = self._head()
        d.update({"work_center": self.work_center, "from": _fmt_moment(self.start), "to": _fmt_moment(self.end),
                  "operators": _num(self.operators)})
        return self._tail(d)

    def describe(self):
        return (f"{_num(self.operators)} operator(s) absent at {self.work_center} "
                f"{_fmt_moment(self.start)} to {_fmt_moment(self.end)}")

    def check(self, ds, p, where):
        _known(p, where, "work_center", (self.work_center,), ds.work_centers.work_center_id, "work center",
               "work_center_id values of work_centers")
        if self.work_center in set(ds.work_centers.work_center_id) and \
                self.work_center not in _crew_work_centers(ds.routings):
            p.warn(_TABLE, where("work_center"), "work_center", self.work_center,
                   f"no operation at {self.work_center} needs operators (routings.crew_size is 0): "
                   "the absence changes nothing", "check the work center, or set crew_size in routings")


def _production_orders(receipts: pd.DataFrame) -> set:
    return set(receipts.order_id[receipts.order_type == "production"]) if len(receipts) else set()


@dataclass(frozen=True, kw_only=True)
class QuantityChange(Change):
    """A production order's quantity changes (the customer takes more or fewer).

    Keys: ``order`` (a production order of ``scheduled_receipts``; for ``planlib reschedule``
    also a planned make order of the published run), ``qty`` (the new quantity [uom], > 0).
    Sets ``scheduled_receipts.qty`` of the order.
    """

    kind: ClassVar[str] = "quantity_change"
    keys: ClassVar[tuple] = ("order", "qty")
    order: str = ""
    qty: float = 0.0

    @classmethod
    def read(cls, r):
        order = r.ids("order", "_", "an order number")
        if len(order) != 1:
            r.bad("order", "one 'order' is needed", "add order: MO-50001 (one production order per change)")
        qty = r.number("qty", required=True, minimum=0, exclusive=True,
                       fix="write qty: 120 (the order's new quantity, more than 0)")
        if len(order) != 1 or qty is None:
            return None
        return cls(order=order[0], qty=qty)

    def to_dict(self):
        d = self._head()
        d.update(order=self.order, qty=_num(self.qty))
        return self._tail(d)

    def describe(self):
        return f"quantity of {self.order} becomes {_num(self.qty)}"

    def check(self, ds, p, where, planned: tuple = ()):
        r = ds.scheduled_receipts
        if self.order in set(planned) or self.order in _production_orders(r):
            return
        if len(r) and self.order in set(r.order_id):
            p.add(_TABLE, where("order"), "order", self.order, f"{self.order} is a purchase order",
                  "name a production order (late_material changes a purchase order's date)")
            return
        known = sorted(_production_orders(r) | set(planned))
        _known(p, where, "order", (self.order,), known, "production order",
               "production orders of scheduled_receipts (or the run's planned make orders)")

    def apply(self, tables, ctx):
        r = tables["scheduled_receipts"]
        mask = ((r.order_id == self.order) & (r.order_type == "production")).to_numpy()
        if not mask.any():
            return {}
        return {"scheduled_receipts": r.assign(qty=r.qty.where(~mask, float(self.qty)))}


@dataclass(frozen=True, kw_only=True)
class LateMaterial(Change):
    """Material arrives late: a purchase order, or every open purchase receipt of an item,
    not before ``date``.

    Keys: ``order`` (a purchase order of ``scheduled_receipts``) or ``item`` (its open purchase
    receipts), ``date`` (date or date and time the material arrives). Receipts due before
    ``date`` get ``due_date = date``; later ones are left alone.
    """

    kind: ClassVar[str] = "late_material"
    keys: ClassVar[tuple] = ("order", "item", "date")
    order: str = ""
    item: str = ""
    date: pd.Timestamp | None = None

    @classmethod
    def read(cls, r):
        order = r.ids("order", "_", "an order number")
        item = r.ids("item", "_", "an item code")
        if bool(order) == bool(item) or len(order) > 1 or len(item) > 1:
            r.bad("order" if order else "item", "give one purchase order or one item",
                  "write order: PO-40002 or item: RM-08 (one of them)")
            order = item = ()
        when = r.moment("date", required=True)
        if when is None or not (order or item):
            return None
        return cls(order=order[0] if order else "", item=item[0] if item else "", date=when)

    def to_dict(self):
        d = self._head()
        if self.order:
            d["order"] = self.order
        else:
            d["item"] = self.item
        d["date"] = _fmt_moment(self.date) if self.date != self.date.normalize() else self.date.date().isoformat()
        return self._tail(d)

    def describe(self):
        what = self.order or f"open purchase receipts of {self.item}"
        return f"material late: {what} not before {_fmt_moment(self.date)}"

    def _mask(self, r: pd.DataFrame) -> np.ndarray:
        if not len(r):
            return np.zeros(0, bool)
        m = (r.order_type == "purchase").to_numpy()
        m &= (r.order_id == self.order).to_numpy() if self.order else (r.item_id == self.item).to_numpy()
        return m

    def check(self, ds, p, where):
        r = ds.scheduled_receipts
        if self.order:
            purchase = r.order_id[r.order_type == "purchase"] if len(r) else pd.Series([], dtype=object)
            if self.order in _production_orders(r):
                p.add(_TABLE, where("order"), "order", self.order, f"{self.order} is a production order",
                      "name a purchase order (quantity_change or downtime change production)")
            else:
                _known(p, where, "order", (self.order,), purchase, "purchase order",
                       "purchase order_id values of scheduled_receipts")
        else:
            _known(p, where, "item", (self.item,), ds.items.item_id, "item", "item_id values of items")
            if self.item in set(ds.items.item_id) and not self._mask(r).any():
                p.warn(_TABLE, where("item"), "item", self.item,
                       f"{self.item} has no open purchase receipts: the change does nothing",
                       "check the item, or delete the change")

    def apply(self, tables, ctx):
        r = tables["scheduled_receipts"]
        mask = self._mask(r)
        when = pd.Timestamp(self.date)
        due = pd.to_datetime(r.due_date)
        mask &= (due < when).to_numpy()
        if not mask.any():
            return {}
        new = due.where(~mask, when)
        if r.due_date.dtype != new.dtype:
            new = new.astype(r.due_date.dtype) if str(r.due_date.dtype).startswith("datetime") else new
        return {"scheduled_receipts": r.assign(due_date=new)}


#: The change kinds by the name a scenario file uses.
CHANGE_KINDS: dict[str, type[Change]] = {c.kind: c for c in (DemandMultiplier, RushOrder, Downtime, Overtime,
                                                              SupplierDelay, LeadTimeChange, OperatorAbsence,
                                                              QuantityChange, LateMaterial)}


# =========================================================================== the scenario

@dataclass(frozen=True)
class Scenario:
    """A named list of changes against the base data.

    Attributes
    ----------
    name : str
        Shown in reports; :attr:`slug` is the file name the editor saves it under.
    description : str
        What the scenario asks, in a sentence or two.
    changes : tuple of Change
        Applied in this order by :func:`apply_scenario`.
    source : str
        The file it was read from ("" if made in Python); used in error rows.
    """

    name: str
    description: str = ""
    changes: tuple = ()
    source: str = field(default="", compare=False)

    @property
    def slug(self) -> str:
        """The name as a file and run folder name (:func:`planlib.scenario_names.safe_name`):
        ``Lathe breakdown`` -> ``lathe_breakdown``, never ``base`` or another name a run refuses."""
        from planlib.scenario_names import safe_name

        return safe_name(self.name)

    def demand_multipliers(self) -> list[DemandMultiplier]:
        """The scenario's :class:`DemandMultiplier` changes, in file order."""
        return [c for c in self.changes if isinstance(c, DemandMultiplier)]

    def describe(self) -> list[str]:
        """One line per change, for a planner."""
        return [c.describe() for c in self.changes]

    def where(self, index: int, key: str | None = None) -> str:
        """Row label of change ``index`` (and ``key``): ``lathe.yaml line 7``."""
        c = self.changes[index]
        return _Where(self.source, dict(c.lines), c.line, index)(key)

