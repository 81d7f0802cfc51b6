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

Functions
---------
:func:`load_scenario` reads and checks a file (every problem with its file and
line); :func:`check_scenario` checks the references against a dataset;
:func:`apply_scenario` returns the changed dataset (inputs never mutated);
:func:`scale_forecast` applies the demand multipliers to a forecast;
:func:`scenario_to_yaml` writes a scenario back (``load`` round-trips it);
:func:`compare_kpis` sets the KPIs of a base and a scenario plan side by side;
:func:`compare_plans` answers the scenario's question (the orders it makes late or
on time, the work centers whose load it changes) and :func:`comparison_html` shows it.

Vocabulary: ``docs/glossary.md`` (item, demand, forecast, machine, work_center,
scheduled_receipt, calendar).
"""
from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import yaml

from planlib.contract import WEEKDAYS
from planlib.params import week_start
from planlib.problems import InputError, Problems

__all__ = [
    "CHANGE_KINDS",
    "DemandMultiplier",
    "Downtime",
    "LeadTimeChange",
    "Overtime",
    "PlanComparison",
    "RushOrder",
    "Scenario",
    "SupplierDelay",
    "apply_scenario",
    "change_from_dict",
    "check_scenario",
    "compare_item_orders",
    "compare_kpis",
    "compare_load",
    "compare_order_status",
    "compare_plans",
    "comparison_html",
    "judge_kpis",
    "load_scenario",
    "parse_scenario",
    "save_scenario",
    "scale_forecast",
    "scenario_to_yaml",
]

_TABLE = "scenario"  # the ``table`` column of the problems a scenario file raises
_WEEK = re.compile(r"^\d{4}-?W\d{2}$")
_DAY_FIX = "write a date as YYYY-MM-DD (2026-11-30) or an ISO week (2026-W49)"
_MOMENT_FIX = "write a date and time as YYYY-MM-DD HH:MM (2026-11-24 06:00), or a date"


# =========================================================================== reading YAML with lines

#: Limits of a scenario file, checked before anything is expanded (docs/scenarios.md, "Limits").
MAX_SCENARIO_BYTES = 1_000_000  # a hand-written file is a few kB
MAX_ALIASES = 20  # ``*name`` references to an ``&name`` anchor
MAX_NODES = 50_000  # values, lists and mappings once the aliases are expanded
MAX_DEPTH = 50  # lists and mappings nested in one another

#: The YAML tags a scenario may carry (plain values); ``!!python/...`` and the like are refused.
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map"))


class _Refused(Exception):
    """The file is refused before its content is expanded: ``problem`` at ``line``, how to ``fix`` it."""

    def __init__(self, line: int, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.line, self.problem, self.fix = line, problem, fix


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: planlib parses them itself (and ISO weeks).

    Composing counts aliases and nesting, so a file of nested aliases (the "billion
    laughs" shape) is refused after :data:`MAX_ALIASES` aliases, before any expansion.
    """

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _Refused(self.peek_event().start_mark.line + 1,
                               f"more than {MAX_ALIASES} aliases (*name)",
                               "write the values out instead of referring to an &anchor again and again")
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(self.peek_event().start_mark.line + 1,
                               f"lists and mappings nested more than {MAX_DEPTH} deep",
                               "a scenario nests three levels: the file, its changes, a change's keys")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes dates unquoted (the loader above reads them as text)."""


_Dumper.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


class _Flow(list):
    """A list written on one line: ``items: [FG-01, FG-02]``."""


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


class _Map(dict):
    """A YAML mapping with the 1-based line of the mapping and of each key, and the text
    of each plain value as written (codes such as ``0012`` or ``NO`` stay text)."""

    line: int = 0
    lines: dict
    raw: dict | None = None


class _Seq(list):
    """A YAML sequence with the 1-based line of the sequence and of each item, and the
    text of each plain item as written."""

    line: int = 0
    lines: list
    raw: list | None = None


def _raw(node: yaml.Node):
    """The text of a plain (unquoted) or quoted scalar; None for a mapping or sequence."""
    return node.value if isinstance(node, yaml.ScalarNode) else None


class _Where:
    """Turns a change's key into the row label a planner sees: ``lathe.yaml line 7``."""

    def __init__(self, source: str, lines: Mapping[str, int], line: int, index: int) -> None:
        self.file = Path(source).name if source else "scenario"
        self.lines, self.line, self.index = dict(lines), line, index

    def __call__(self, key: str | None = None) -> str:
        n = self.lines.get(key) if key else None
        n = n or self.line
        return f"{self.file} line {n}" if n else f"{self.file} change {self.index + 1}"


def _to_python(node: yaml.Node, loader: _Loader, p: Problems, where, budget: list | None = None) -> object:
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise _Refused(node.start_mark.line + 1, f"more than {MAX_NODES:,} values once the aliases are expanded",
                       "write the values out instead of referring to an &anchor again and again")
    if node.tag not in _PLAIN_TAGS:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        p.add(_TABLE, where(node.start_mark.line + 1), "", tag, f"the tag {tag} is not allowed",
              "remove the tag: a scenario file holds plain text, numbers, dates and lists")
        return None
    if isinstance(node, yaml.MappingNode):
        out = _Map()
        out.line, out.lines, out.raw = node.start_mark.line + 1, {}, {}
        for knode, vnode in node.value:
            key = _to_python(knode, loader, p, where, budget)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                p.add(_TABLE, where(knode.start_mark.line + 1), "", "", "a key must be a plain word",
                      "write `key: value`")
                continue
            key = str(key)
            if key in out:
                p.add(_TABLE, where(knode.start_mark.line + 1), key, "", f"'{key}' is given twice",
                      "keep one of them")
                continue
            out[key] = _to_python(vnode, loader, p, where, budget)
            out.lines[key] = knode.start_mark.line + 1
            out.raw[key] = _raw(vnode)
        return out
    if isinstance(node, yaml.SequenceNode):
        out = _Seq(_to_python(v, loader, p, where, budget) for v in node.value)
        out.line, out.lines = node.start_mark.line + 1, [v.start_mark.line + 1 for v in node.value]
        out.raw = [_raw(v) for v in node.value]
        return out
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        p.add(_TABLE, where(node.start_mark.line + 1), "", _raw(node) or "", f"not a plain value: {exc.problem}",
              "write plain text, a number or a date (quote text that YAML reads otherwise)")
        return None


_YAML_PLAIN = (
    ("expected <block end>", "this line is not indented like the lines above it"),
    ("mapping values are not allowed", "a colon where none is expected (a value with ': ' needs quotes)"),
    ("found character '\\t'", "a tab character (indent with spaces)"),
    ("could not find expected ':'", "a line without `key: value`"),
    ("found undefined alias", "an undefined * alias"),
)


def _compose(text: str, source: str, p: Problems):
    file = Path(source).name if source else "scenario"

    def where(n):
        return f"{file} line {n}"

    if len(text) > MAX_SCENARIO_BYTES:
        p.add(_TABLE, where(1), "", f"{len(text):,} characters", f"the file is larger than {MAX_SCENARIO_BYTES:,} "
              "bytes", "a scenario lists a few changes: split it, or check that this is the scenario file")
        return None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        if node is None:
            return _Map()
        return _to_python(node, _Loader(""), p, where)
    except _Refused as exc:
        p.add(_TABLE, where(exc.line), "", "", f"refused: {exc.problem}", exc.fix)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = (exc.problem or exc.context or "syntax error").strip()
        for pattern, plain in _YAML_PLAIN:
            if pattern in what:
                what = f"{plain} ({what})"
                break
        p.add(_TABLE, where(line), "", "", f"not valid YAML: {what}",
              "check the indentation (spaces, not tabs) and that every `key: value` has a space after the colon")
        return None
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without a mark
        p.add(_TABLE, where(1), "", "", f"not valid YAML: {exc}", "save the file as UTF-8 text")
        return None


# =========================================================================== value parsers

def _day(value, end: bool = False) -> dt.date:
    """A date from ``YYYY-MM-DD`` or an ISO week (its Monday; its Sunday if ``end``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = str(value).strip()
    if _WEEK.match(s):
        monday = week_start(s)
        return monday + dt.timedelta(days=6) if end else monday
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        raise ValueError(s)
    return dt.date.fromisoformat(s)


def _moment(value, end: bool = False) -> pd.Timestamp:
    """A point in time from ``YYYY-MM-DD HH:MM``; a date (or ISO week) alone is its
    first minute, or as an ``end`` the minute after it (the end is exclusive)."""
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return pd.Timestamp(value)
    s = str(value).strip()
    if _WEEK.match(s) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        day = pd.Timestamp(_day(s, end))
        return day + pd.Timedelta(days=1) if end else day
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", s)
    if not m:
        raise ValueError(s)
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError(s)
    return pd.Timestamp(dt.date.fromisoformat(m.group(1))) + pd.Timedelta(hours=hours, minutes=minutes)


def _fmt_moment(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")


def _num(x: float):
    """A number as a person writes it: 14 rather than 14.0."""
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 1e15 else x


class _Reader:
    """Reads the keys of one change mapping, recording problems with their lines."""

    def __init__(self, m: _Map, where: _Where, p: Problems, kind: str) -> None:
        self.m, self.where, self.p, self.kind = m, where, p, kind
        self.raw = getattr(m, "raw", None) or {}

    def bad(self, key, problem, fix, value=""):
        self.p.add(_TABLE, self.where(key), key or "", value, problem, fix)

    def has(self, key) -> bool:
        return key in self.m and self.m[key] is not None

    def ids(self, single: str, plural: str, what: str) -> tuple[str, ...]:
        """``item: X`` or ``items: [X, Y]`` (either key; a plural key also takes one value)."""
        out = []
        for key in (single, plural):
            if not self.has(key):
                continue
            v = self.m[key]
            if isinstance(v, list):
                raw = getattr(v, "raw", None) or [None] * len(v)
                values = [(x, r) for x, r in zip(v, raw)]
            else:
                values = [(v, self.raw.get(key))]
            for x, r in values:
                if isinstance(x, (dict, list)) or str(x).strip() == "" or (isinstance(x, bool) and r is None):
                    self.bad(key, f"not {what}", f"write {single}: CODE or {plural}: [CODE, CODE]", x)
                    continue
                out.append((r if r is not None else str(x)).strip())
        return tuple(dict.fromkeys(out))

    def text(self, key, default="") -> str:
        v = self.m.get(key)
        if v is None:
            return default
        if isinstance(v, (dict, list)):
            self.bad(key, "must be text", f"write {key}: some text", v)
            return default
        raw = self.raw.get(key)
        return (raw if raw is not None else str(v)).strip()

    def number(self, key, *, required=False, default=None, minimum=None, exclusive=False, whole=False,
               maximum=None, fix=""):
        if not self.has(key):
            if required:
                self.bad(key, f"'{key}' is missing", fix or f"add {key}: NUMBER to this {self.kind} change")
            return default
        v = self.m[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            try:
                v = float(str(v).strip()) if not isinstance(v, bool) else None
            except ValueError:
                v = None
            if v is None:
                self.bad(key, "not a number", fix or f"write {key}: 1.2 (no units)", self.m[key])
                return default
        v = float(v)
        if not np.isfinite(v):
            self.bad(key, "not a finite number", fix or f"write {key}: 1.2", self.m[key])
            return default
        if whole and not v.is_integer():
            self.bad(key, "must be a whole number", f"write {key}: {int(round(v))}", self.m[key])
            return default
        if minimum is not None and (v < minimum or (exclusive and v == minimum)):
            rel = "more than" if exclusive else "at least"
            self.bad(key, f"must be {rel} {_num(minimum)}", fix or f"write a {key} {rel} {_num(minimum)}",
                     self.m[key])
            return default
        if maximum is not None and v > maximum:
            self.bad(key, f"must be at most {_num(maximum)}", fix or f"write a {key} of {_num(maximum)} or less",
                     self.m[key])
            return default
        return int(v) if whole else v

    def day(self, key, *, end=False, required=False):
        if not self.has(key):
            if required:
                self.bad(key, f"'{key}' is missing", f"add {key}: YYYY-MM-DD to this {self.kind} change")
            return None
        try:
            return _day(self.m[key], end)
        except ValueError:
            self.bad(key, "not a date", _DAY_FIX, self.m[key])
            return None

    def moment(self, key, *, end=False, required=False):
        if not self.has(key):
            if required:
                self.bad(key, f"'{key}' is missing", f"add {key}: YYYY-MM-DD HH:MM to this {self.kind} change")
            return None
        try:
            return _moment(self.m[key], end)
        except ValueError:
            self.bad(key, "not a date and time", _MOMENT_FIX, self.m[key])
            return None

    def choice(self, key, choices, default):
        v = self.text(key, default)
        if v not in choices:
            self.bad(key, f"'{v}' is not one of {', '.join(choices)}", f"write {key}: {choices[0]}", v)
            return default
        return v

    def weekdays(self, key) -> tuple[int, ...]:
        """``[Mon, Tue]`` (names or 0..6, Monday = 0) as sorted day numbers."""
        if not self.has(key):
            return ()
        v = self.m[key]
        names = {d.lower(): i for i, d in enumerate(WEEKDAYS)}
        names.update({d.lower(): i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday",
                                                          "saturday", "sunday"))})
        out = []
        for x in (v if isinstance(v, list) else [v]):
            text = str(x).strip().lower()
            day = names.get(text, int(text) if text.isdigit() and int(text) < 7 else None)
            if day is None:
                self.bad(key, f"'{x}' is not a weekday", "write weekdays: [Mon, Tue, Wed, Thu, Fri]", x)
                continue
            out.append(day)
        return tuple(sorted(set(out)))

    def window(self):
        """``start`` and ``end`` (or ``hours``) of a time window."""
        start = self.moment("start", required=True)
        if self.has("end") and self.has("hours"):
            self.bad("hours", "give either end or hours, not both", "delete one of them")
        if self.has("hours"):
            hours = self.number("hours", minimum=0, exclusive=True)
            end = start + pd.Timedelta(hours=hours) if start is not None and hours is not None else None
        else:
            end = self.moment("end", end=True)
            if not self.has("end"):
                self.bad("end", "'end' is missing", "add end: YYYY-MM-DD HH:MM (or hours: N)")
        if start is not None and end is not None and end <= start:
            self.bad("end", "the window ends before it starts", "write an end later than the start",
                     self.m.get("end", ""))
            end = None
        return start, end


# =========================================================================== the changes

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
        raise NotImplementedError

    def to_dict(self) -> dict:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def check(self, ds, p: Problems, where: _Where) -> None:
        """Add a problem for every reference the dataset does not hold."""

    def apply(self, tables: dict, ctx: dict) -> dict:
        """The tables this change replaces, computed from ``tables`` (never mutated)."""
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


#: The change kinds by the name a scenario file uses.
CHANGE_KINDS: dict[str, type[Change]] = {c.kind: c for c in (DemandMultiplier, RushOrder, Downtime, Overtime,
                                                              SupplierDelay, LeadTimeChange)}


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
        return [c for c in self.changes if isinstance(c, DemandMultiplier)]

    def describe(self) -> list[str]:
        """One line per change, for a planner."""
        return [c.describe() for c in self.changes]

    def where(self, index: int, key: str | None = None) -> str:
        """Row label of change ``index`` (and ``key``): ``lathe.yaml line 7``."""
        c = self.changes[index]
        return _Where(self.source, dict(c.lines), c.line, index)(key)


_TOP_KEYS = ("name", "description", "changes")


def parse_scenario(text: str, source: str = "") -> Scenario:
    """A scenario from YAML text; ``source`` (a file name) labels the error rows.

    Raises
    ------
    InputError
        With one row per problem: ``row`` = ``<file> line <n>``, ``column`` = the
        key, ``problem`` and ``fix``.
    """
    p = Problems()
    doc = _compose(text, source, p)
    file = Path(source).name if source else "scenario"
    if doc is None:
        raise InputError(f"{file} is not a valid scenario file", p.frame())
    if not isinstance(doc, _Map):
        p.add(_TABLE, f"{file} line {getattr(doc, 'line', 1) or 1}", "", "", "the file must be a mapping",
              "start with `name: ...`, `description: ...` and `changes:` (see docs/scenarios.md)")
        raise InputError(f"{file} is not a valid scenario file", p.frame())
    for key in doc:
        if key not in _TOP_KEYS:
            close = difflib.get_close_matches(key, _TOP_KEYS, n=1)
            p.add(_TABLE, f"{file} line {doc.lines[key]}", key, "", f"unknown key '{key}'",
                  (f"did you mean '{close[0]}'? " if close else "") + "the keys are name, description, changes")
    name = doc.get("name")
    if name is None or isinstance(name, (dict, list)) or not str(name).strip():
        name = Path(source).stem if source else "scenario"
        if "name" in doc:
            p.add(_TABLE, f"{file} line {doc.lines['name']}", "name", "", "the name must be text",
                  "write name: Lathe breakdown")
    description = doc.get("description") or ""
    changes_node = doc.get("changes")
    changes = []
    if changes_node is None:
        p.add(_TABLE, f"{file} line {doc.lines.get('changes', doc.line or 1)}", "changes", "",
              "no changes listed", "add `changes:` followed by `- kind: ...` items (see docs/scenarios.md)")
    elif not isinstance(changes_node, _Seq):
        p.add(_TABLE, f"{file} line {doc.lines['changes']}", "changes", "", "changes must be a list",
              "write each change on a new line starting with `- kind: ...`")
    else:
        for i, (item, line) in enumerate(zip(changes_node, changes_node.lines)):
            c = _read_change(item, line, i, source, p)
            if c is not None:
                changes.append(c)
    if p.errors:
        raise InputError(f"{p.errors} problem(s) in scenario {file}", p.frame())
    return Scenario(str(name).strip(), str(description).strip(), tuple(changes), str(source))


def _read_change(item, line, index, source, p) -> Change | None:
    file = Path(source).name if source else "scenario"
    if not isinstance(item, _Map):
        p.add(_TABLE, f"{file} line {line}", "", "", "a change must be a set of `key: value` lines",
              "write `- kind: downtime` and the change's keys indented below it")
        return None
    where = _Where(source, item.lines, item.line, index)
    kind = item.get("kind")
    if kind is None:
        p.add(_TABLE, where(), "kind", "", "the change has no kind",
              f"add kind: one of {', '.join(CHANGE_KINDS)}")
        return None
    kind = str(kind).strip()
    cls = CHANGE_KINDS.get(kind)
    if cls is None:
        close = difflib.get_close_matches(kind, list(CHANGE_KINDS), n=1)
        p.add(_TABLE, where("kind"), "kind", kind, f"unknown change kind '{kind}'",
              (f"did you mean {close[0]}? " if close else "") + f"the kinds are {', '.join(CHANGE_KINDS)}")
        return None
    allowed = ("kind", "note") + cls.keys
    for key in item:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            p.add(_TABLE, where(key), key, "", f"unknown key '{key}' in a {kind} change",
                  (f"did you mean '{close[0]}'? " if close else "")
                  + f"the keys of {kind} are {', '.join(cls.keys)}, note")
    before = p.errors
    r = _Reader(item, where, p, kind)
    change = cls.read(r)
    if change is None or p.errors > before:
        return None
    return replace(change, note=r.text("note"), line=item.line, lines=tuple(item.lines.items()))


def change_from_dict(d: Mapping, ds=None) -> Change:
    """One change from its keys as a scenario file writes them (the editor uses this).

    ``change_from_dict({"kind": "downtime", "machine": "LATHE-2", "start":
    "2026-11-24 06:00", "hours": 8})``; with ``ds`` its references are checked too.

    Raises
    ------
    InputError
        Problems as :func:`parse_scenario` reports them (row ``change``).
    """
    p = Problems()
    m = _Map({k: (_Seq(v) if isinstance(v, (list, tuple)) else v) for k, v in d.items() if v is not None})
    m.line, m.lines, m.raw = 0, {}, {}
    change = _read_change(m, 0, 0, "change", p)
    if change is not None and ds is not None:
        change.check(ds, p, _Where("change", {}, 0, 0))
    frame = p.frame()
    if (frame.severity == "error").any():
        raise InputError("; ".join(f"{r.problem}: {r.fix}" for r in frame.itertuples()), frame)
    return change


def load_scenario(path: str | os.PathLike, ds=None) -> Scenario:
    """Read a scenario file; with ``ds``, also check its references against the dataset.

    Parameters
    ----------
    path : str or path
        A YAML file (format: ``docs/scenarios.md``).
    ds : Dataset, optional
        Check items, families, machines, work centers, suppliers and orders
        against it (:func:`check_scenario`).

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Every problem at once, each with its row ``<file> line <n>`` and a fix:
        YAML syntax, unknown kind or key, missing key, bad date, negative factor,
        unknown reference (with ``ds``).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"no scenario file {path}", _one(path.name, "no such file",
                                                          "check the path (scenarios live in data/scenarios/)"))
    if not path.is_file():  # a folder, a pipe or a device (/dev/zero) is never read
        raise InputError(f"cannot read {path}", _one(path.name, "not a regular file",
                                                     "give the path of a .yaml file"))
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SCENARIO_BYTES + 1)
        if len(data) > MAX_SCENARIO_BYTES:
            raise InputError(f"cannot read {path}", _one(
                path.name, f"the file is larger than {MAX_SCENARIO_BYTES:,} bytes",
                "a scenario lists a few changes: split it, or check that this is the scenario file"))
        text = data.decode("utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(f"cannot read {path}", _one(path.name, f"cannot read the file: {exc}",
                                                     "save it as UTF-8 text"))
    scenario = parse_scenario(text, str(path))
    if ds is not None:
        problems = check_scenario(scenario, ds)
        errors = problems[problems.severity == "error"]
        if len(errors):
            raise InputError(f"{len(errors)} problem(s) in scenario {path.name}", problems)
    return scenario


def _one(row, problem, fix) -> pd.DataFrame:
    p = Problems()
    p.add(_TABLE, row, "", "", problem, fix)
    return p.frame()


def check_scenario(scenario: Scenario, ds, params=None) -> pd.DataFrame:
    """Check a scenario's references against a dataset (and its dates against a plan).

    Parameters
    ----------
    scenario : Scenario
    ds : Dataset
        Uses ``items, machines, work_centers, suppliers, scheduled_receipts, demand``.
    params : PlanParams, optional
        With it, a change dated wholly outside the plan (before ``plan_start`` or
        after the longer of ``horizon_weeks`` and ``forecast_horizon``) is a
        warning: a mistyped year would otherwise go unnoticed.

    Returns
    -------
    DataFrame
        Problems (``severity, table, row, column, value, problem, fix``; ``row``
        is ``<file> line <n>``); empty if every reference is known. Errors:
        unknown item, family, machine, work center, supplier or order, a rush
        order_id already taken, a lead time that would fall below 0. Warnings:
        a change that does nothing, a date outside the plan (with ``params``).
    """
    p = Problems()
    span = None
    if params is not None:
        first = pd.Timestamp(params.plan_start)
        weeks = max(params.horizon_weeks, params.forecast_horizon)
        last = first + (pd.Timedelta(weeks=weeks) if params.bucket == "W" else pd.DateOffset(months=weeks))
        span = (first, last)
    for i, c in enumerate(scenario.changes):
        where = _Where(scenario.source, dict(c.lines), c.line, i)
        c.check(ds, p, where)
        if span is not None:
            _check_dates(c, span, p, where)
    return p.frame()


def _check_dates(c: Change, span: tuple, p: Problems, where: _Where) -> None:
    first, last = span
    plan = f"the plan ({first:%Y-%m-%d} to {last - pd.Timedelta(days=1):%Y-%m-%d})"
    fix = "check the year and the dates"
    if isinstance(c, _Window):
        windows = c.windows()
        if windows and (max(b for _, b in windows) <= first or min(a for a, _ in windows) >= last):
            p.warn(_TABLE, where("start"), "start", _fmt_moment(c.start),
                   f"the window lies outside {plan}: the change does nothing", fix)
    elif isinstance(c, RushOrder):
        if pd.Timestamp(c.due) < first:
            p.warn(_TABLE, where("due"), "due", c.due.isoformat(),
                   f"due before the plan starts ({first:%Y-%m-%d}): the order is past due at once", fix)
        elif pd.Timestamp(c.due) >= last:
            p.warn(_TABLE, where("due"), "due", c.due.isoformat(), f"due after {plan}: the plan ignores it", fix)
    elif isinstance(c, DemandMultiplier):
        if (c.end is not None and pd.Timestamp(c.end) < first and "orders" not in c.apply_to) or (
                c.start is not None and pd.Timestamp(c.start) >= last):
            key = "to" if c.end is not None and pd.Timestamp(c.end) < first else "from"
            p.warn(_TABLE, where(key), key, "", f"the period lies outside {plan}: the change does nothing", fix)


_TOUCHED = ("items", "demand", "calendar_exceptions", "machines", "scheduled_receipts", "suppliers")


def apply_scenario(ds, scenario: Scenario, check: bool = True):
    """The dataset with the scenario's changes applied, in file order.

    Parameters
    ----------
    ds : Dataset
        The base data; never mutated.
    scenario : Scenario
    check : bool
        Run :func:`check_scenario` first and raise on errors.

    Returns
    -------
    Dataset
        ``ds.replace(...)`` with the changed tables: ``demand`` (multiplied
        ``qty`` [uom]; rush order lines appended; lines scaled to 0 removed),
        ``calendar_exceptions`` (downtime and overtime rows appended, kind
        ``breakdown``/``maintenance``/``overtime``, one per machine and week),
        ``scheduled_receipts`` (``due_date`` of delayed purchase receipts
        later by ``days``), ``items`` and ``suppliers`` (``lead_time_days``).
        Row labels (``Dataset.where``) follow the rows: an added row is
        labelled with its scenario line (``rush.yaml line 4``), so an engine's
        error about it points at the scenario file. The forecast is not part of
        the dataset: pass it through :func:`scale_forecast`.

    Raises
    ------
    InputError
        If the scenario names what the dataset does not hold.
    """
    if check:
        problems = check_scenario(scenario, ds)
        errors = problems[problems.severity == "error"]
        if len(errors):
            file = Path(scenario.source).name if scenario.source else scenario.name
            raise InputError(f"{len(errors)} problem(s) in scenario {file}", problems)
    tables = {name: ds[name] for name in _TOUCHED}
    labels: dict[str, list] = {}
    changed: dict[str, pd.DataFrame] = {}
    ctx = {"name": scenario.name}
    for i, c in enumerate(scenario.changes):
        new = c.apply(tables, ctx)
        for name, frame in new.items():
            if name not in labels:
                labels[name] = _labels(ds, name)
            # row labels follow the rows: kept rows keep theirs, added rows name the scenario line
            if not frame.index.equals(pd.RangeIndex(len(frame))):
                labels[name] = [labels[name][k] for k in frame.index]
                new[name] = frame.reset_index(drop=True)
            elif len(frame) > len(tables[name]):
                labels[name] = labels[name] + [scenario.where(i)] * (len(frame) - len(tables[name]))
        tables = {**tables, **new}
        changed.update(new)
    if not changed:
        return ds
    out = ds.replace(**changed)
    return replace(out, rows={**out.rows, **{name: labels[name] for name in changed}})


def _labels(ds, name: str) -> list:
    rows = ds.rows.get(name)
    n = len(ds[name])
    if rows is not None and len(rows) == n:
        return list(rows)
    return [ds.where(name, i) for i in range(n)]


_SCALED = re.compile(r"^(forecast|statistical|lo_\d+|hi_\d+)$")


def scale_forecast(forecast: pd.DataFrame, scenario: Scenario, items: pd.DataFrame) -> pd.DataFrame:
    """Apply the scenario's demand multipliers to a forecast.

    Parameters
    ----------
    forecast : DataFrame
        ``item_id, period_start, forecast`` [uom per bucket], optional
        ``statistical, lo_*, hi_*`` [uom] and any other columns (kept as they are).
    scenario : Scenario
        Its ``demand_multiplier`` changes whose ``apply_to`` includes
        ``forecast`` apply; several that match the same bucket multiply.
    items : DataFrame
        ``items`` (``item_id, family``) to resolve families.

    Returns
    -------
    DataFrame
        A copy of ``forecast`` with ``forecast, statistical, lo_*, hi_*``
        multiplied where a multiplier applies (bucket chosen by ``period_start``).
    """
    factor = np.ones(len(forecast))
    for m in scenario.demand_multipliers():
        if "forecast" in m.apply_to:
            factor = np.where(m.selects(forecast.item_id, forecast.period_start, items), factor * m.factor, factor)
    out = forecast.copy()
    for col in out.columns:
        if _SCALED.match(str(col)) and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col] * factor
    out.attrs = dict(forecast.attrs)
    return out


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text; :func:`parse_scenario` reads it back equal."""
    doc = {"name": scenario.name}
    if scenario.description:
        doc["description"] = scenario.description
    doc["changes"] = [c.to_dict() for c in scenario.changes]
    head = "# planlib scenario (format: docs/scenarios.md)\n"
    return head + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                            allow_unicode=True, width=100)


def save_scenario(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write :func:`scenario_to_yaml` to ``path`` (atomically: temporary file, then renamed)."""
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(scenario_to_yaml(scenario))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# =========================================================================== comparing plans

#: Columns that tell KPI rows apart besides ``kpi`` (a KPI per machine, per work center ...).
KPI_KEYS = ("machine_id", "work_center_id", "item_id", "supplier_id", "family", "period", "period_start")


def compare_kpis(base: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Base and scenario KPIs side by side.

    Parameters
    ----------
    base, scenario : DataFrame
        KPI tables: ``kpi, value`` and optionally ``unit``, ``label`` and key
        columns (:data:`KPI_KEYS`: ``machine_id`` ...). Rows match on ``kpi`` and
        the key columns both tables have; other columns (``good`` ...) are dropped.

    Returns
    -------
    DataFrame
        ``kpi`` [, key columns] [, ``label``], ``base, scenario`` (the values;
        empty where a KPI is in one table only), ``delta`` (scenario - base) and
        ``delta_pct`` (100 * delta / |base|; empty for base 0 or text values)
        [, ``unit``]. Base order first, then KPIs only the scenario has.
    """
    keys = ["kpi"] + [c for c in KPI_KEYS if c in base.columns and c in scenario.columns]
    extra = [c for c in ("label", "unit") if c in base.columns or c in scenario.columns]
    b = base.assign(_o=np.arange(len(base)))
    s = scenario.assign(_o=len(base) + np.arange(len(scenario)))
    b_cols = keys + ["value", "_o"] + [c for c in extra if c in b.columns]
    s_cols = keys + ["value", "_o"] + [c for c in extra if c in s.columns]
    out = b[b_cols].rename(columns={"value": "base"}).merge(
        s[s_cols].rename(columns={"value": "scenario"}), on=keys, how="outer", sort=False, suffixes=("", "_s"))
    out["_o"] = out["_o"].fillna(out.pop("_o_s"))
    for c in extra:
        if c + "_s" in out:
            mine = out[c] if c in out else pd.Series(np.nan, index=out.index, dtype=object)
            out[c] = mine.where(mine.notna() & (mine.astype(str) != ""), out.pop(c + "_s"))
        out[c] = out[c].fillna("")
    bv = pd.to_numeric(out.base, errors="coerce")
    sv = pd.to_numeric(out.scenario, errors="coerce")
    numeric = out.base.map(_is_number) & out.scenario.map(_is_number)
    out["delta"] = (sv - bv).where(numeric)
    out["delta_pct"] = (100.0 * out.delta / bv.abs()).where(numeric & (bv != 0))
    cols = keys + (["label"] if "label" in extra else []) + ["base", "scenario", "delta", "delta_pct"] + (
        ["unit"] if "unit" in extra else [])
    return out.sort_values("_o", kind="stable")[cols].reset_index(drop=True)


def compare_item_orders(base: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Planned orders per item, base against scenario, biggest changes first.

    Parameters
    ----------
    base, scenario : DataFrame
        MRP ``planned_orders``: ``item_id, qty, release_date, due_date`` [uom, dates].

    Returns
    -------
    DataFrame
        One row per item with planned orders in either plan: ``item_id,
        base_orders, scenario_orders`` (counts), ``base_qty, scenario_qty,
        delta_qty`` [uom], ``base_first_release, scenario_first_release``
        (earliest release date; earlier in the scenario = pulled in), sorted by
        ``|delta_qty|`` then order count change, largest first; items whose
        orders are the same in both are left out.
    """
    def per_item(po: pd.DataFrame, tag: str) -> pd.DataFrame:
        g = po.groupby("item_id", sort=False)
        return pd.DataFrame({f"{tag}_orders": g.size(), f"{tag}_qty": g.qty.sum(),
                             f"{tag}_first_release": g.release_date.min()})

    out = per_item(base, "base").join(per_item(scenario, "scenario"), how="outer")
    for tag in ("base", "scenario"):
        out[f"{tag}_orders"] = out[f"{tag}_orders"].fillna(0).astype(int)
        out[f"{tag}_qty"] = out[f"{tag}_qty"].fillna(0.0)
    out["delta_qty"] = out.scenario_qty - out.base_qty
    same = ((out.delta_qty.abs() < 1e-9) & (out.base_orders == out.scenario_orders)
            & (out.base_first_release.eq(out.scenario_first_release)
               | (out.base_first_release.isna() & out.scenario_first_release.isna())))
    out = out[~same].reset_index(names="item_id")
    key = out.delta_qty.abs() + 1e-6 * (out.scenario_orders - out.base_orders).abs()
    out = out.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)
    return out[["item_id", "base_orders", "scenario_orders", "base_qty", "scenario_qty", "delta_qty",
                "base_first_release", "scenario_first_release"]]


def _is_number(v) -> bool:
    if isinstance(v, (bool, np.bool_)) or v is None:
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(np.isfinite(v))
    return False


#: Which way a KPI is better: +1 higher, -1 lower; KPIs not listed carry no judgment.
KPI_BETTER = {"on_time_pct": 1, "late_orders": -1, "late_order_lines": -1, "unscheduled_orders": -1,
              "weighted_tardiness": -1, "shortages": -1, "exceptions": -1, "overloaded_work_centers": -1,
              "peak_utilisation_pct": -1, "plan_cost": -1, "forecast_wape_pct": -1}

#: The order status changes :func:`compare_order_status` reports, in the order they are listed.
STATUS_CHANGES = ("became late", "now on time", "late by more", "late by less")


def judge_kpis(comparison: pd.DataFrame) -> pd.Series:
    """``better``, ``worse``, ``same`` or "" (no judgment) for each row of :func:`compare_kpis`."""
    sign = comparison.kpi.map(KPI_BETTER)
    delta = pd.to_numeric(comparison.delta, errors="coerce")
    out = np.where(sign.isna() | delta.isna(), "",
                   np.where(delta.abs() < 1e-9, "same", np.where(delta * sign > 0, "better", "worse")))
    return pd.Series(out, index=comparison.index, name="judgment")


def _late_production(late: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["order_id", "item_id", "due_date", "days_late", "reason"]
    if late is None or not len(late):
        return pd.DataFrame(columns=cols)
    hours = pd.to_numeric(late.get("lateness", pd.Series(np.nan, index=late.index)), errors="coerce")
    return pd.DataFrame({"order_id": late.order_id.astype(str), "item_id": late.item_id.astype(str),
                         "due_date": pd.to_datetime(late.get("due_date")), "days_late": hours / 24.0,
                         "reason": late.get("reason", pd.Series("", index=late.index)).fillna("").astype(str)})


def _late_lines(promise_dates: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["order_id", "item_id", "customer_id", "due_date", "days_late", "reason"]
    if promise_dates is None or not len(promise_dates):
        return pd.DataFrame(columns=cols)
    p = promise_dates
    days = pd.to_numeric(p.days_late, errors="coerce")
    short = p.basis.astype(str) == "shortage" if "basis" in p else days.isna()
    late = p[(days.fillna(0) > 0) | short]
    return pd.DataFrame({"order_id": late.order_id.astype(str), "item_id": late.item_id.astype(str),
                         "customer_id": late.get("customer_id", pd.Series("", index=late.index)).astype(str),
                         "due_date": pd.to_datetime(late.due_date),
                         "days_late": days[late.index].where(~short[late.index], np.inf),
                         "reason": late.get("reason", pd.Series("", index=late.index)).fillna("").astype(str)})


def compare_order_status(base_late: pd.DataFrame, scenario_late: pd.DataFrame, kind: str,
                         min_days: float = 1 / 24) -> pd.DataFrame:
    """Orders late in one plan and on time in the other, or late by a different amount.

    Parameters
    ----------
    base_late, scenario_late : DataFrame
        The late orders of each plan: ``order_id, item_id, due_date, days_late`` [days;
        ``inf`` for a line with no supply at all], ``reason`` (optionally ``customer_id``).
        An order not in a table is on time in that plan.
    kind : str
        ``production order`` or ``customer order line`` (the ``kind`` column).
    min_days : float
        Smallest change of lateness listed for an order late in both plans [days].

    Returns
    -------
    DataFrame
        ``kind, change`` (:data:`STATUS_CHANGES`), ``order_id, item_id, customer_id,
        due_date, base_days_late, scenario_days_late`` [days, 0 on time, inf short],
        ``days_change`` [days, + later in the scenario], ``reason`` (the scenario's reason
        for a late order, the base's for one now on time). Became late first, then now on
        time, late by more, late by less; within each the largest change first.
    """
    cols = ["kind", "change", "order_id", "item_id", "customer_id", "due_date", "base_days_late",
            "scenario_days_late", "days_change", "reason"]
    b = base_late.set_index("order_id")
    s = scenario_late.set_index("order_id")
    rows = []
    for oid in list(b.index.difference(s.index)) + list(s.index.difference(b.index)) + list(
            b.index.intersection(s.index)):
        in_b, in_s = oid in b.index, oid in s.index
        src = s.loc[oid] if in_s else b.loc[oid]
        bd = float(b.loc[oid].days_late) if in_b else 0.0
        sd = float(s.loc[oid].days_late) if in_s else 0.0
        bd, sd = (0.0 if np.isnan(bd) else bd), (0.0 if np.isnan(sd) else sd)
        if in_b and in_s:
            if bd == sd or (np.isfinite(bd) and np.isfinite(sd) and abs(sd - bd) < min_days):
                continue
            change = "late by more" if sd > bd else "late by less"
        else:
            change = "became late" if in_s else "now on time"
        rows.append(dict(kind=kind, change=change, order_id=oid, item_id=src.item_id,
                         customer_id=str(src.get("customer_id", "") or ""), due_date=src.due_date,
                         base_days_late=bd, scenario_days_late=sd,
                         days_change=(sd - bd) if np.isfinite(sd - bd) else (np.inf if sd > bd else -np.inf),
                         reason=str(s.loc[oid].reason if in_s else b.loc[oid].reason)))
    out = pd.DataFrame(rows, columns=cols)
    if not len(out):
        return out
    rank = out.change.map({c: k for k, c in enumerate(STATUS_CHANGES)}).to_numpy()
    order = np.lexsort((out.order_id.to_numpy(), -out.days_change.abs().to_numpy(), rank))
    return out.iloc[order].reset_index(drop=True)


def compare_load(base: pd.DataFrame, scenario: pd.DataFrame, periods: int | None = None) -> pd.DataFrame:
    """Work centers whose load or available hours differ between two plans, most changed first.

    Parameters
    ----------
    base, scenario : DataFrame
        MRP ``capacity_load``: ``work_center_id, period, load_hours, available_hours`` [h].
    periods : int, optional
        Only the first ``periods`` planning periods (default all).

    Returns
    -------
    DataFrame
        ``work_center_id, base_load_hours, scenario_load_hours, load_change_hours`` [h],
        ``load_change_pct`` [% of the base load; empty for base 0], ``base_available_hours,
        scenario_available_hours, available_change_hours`` [h], ``base_utilisation_pct,
        scenario_utilisation_pct`` [% load of available hours]; sorted by the largest of
        ``|load_change_hours|`` and ``|available_change_hours|``; unchanged work centers left out.
    """
    def total(cl, tag):
        cl = cl if periods is None else cl[cl.period <= periods]
        g = cl.groupby("work_center_id")[["load_hours", "available_hours"]].sum()
        return g.rename(columns={"load_hours": f"{tag}_load_hours", "available_hours": f"{tag}_available_hours"})

    out = total(base, "base").join(total(scenario, "scenario"), how="outer").fillna(0.0)
    out["load_change_hours"] = out.scenario_load_hours - out.base_load_hours
    out["load_change_pct"] = (100 * out.load_change_hours / out.base_load_hours).where(out.base_load_hours > 0)
    out["available_change_hours"] = out.scenario_available_hours - out.base_available_hours
    for tag in ("base", "scenario"):
        out[f"{tag}_utilisation_pct"] = (100 * out[f"{tag}_load_hours"] / out[f"{tag}_available_hours"]).where(
            out[f"{tag}_available_hours"] > 0)
    out["_size"] = np.maximum(out.load_change_hours.abs(), out.available_change_hours.abs())
    out = out[out._size > 0.05].sort_values("_size", ascending=False, kind="stable")
    return out.reset_index(names="work_center_id")[
        ["work_center_id", "base_load_hours", "scenario_load_hours", "load_change_hours", "load_change_pct",
         "base_available_hours", "scenario_available_hours", "available_change_hours",
         "base_utilisation_pct", "scenario_utilisation_pct"]]


@dataclass
class PlanComparison:
    """A scenario plan against the base plan of the same week (see :func:`compare_plans`).

    Attributes
    ----------
    name, description : str
        The scenario's.
    changes : list of str
        Each change in words (``breakdown: LATHE-2 2026-11-24 06:00 to 2026-11-26 23:59``).
    kpis : DataFrame
        :func:`compare_kpis` with a ``judgment`` column (:func:`judge_kpis`).
    order_status : DataFrame
        :func:`compare_order_status` of production orders, then of customer order lines.
    load : DataFrame
        :func:`compare_load`.
    item_orders : DataFrame
        :func:`compare_item_orders` (empty when the plans have no planned orders).
    """

    name: str
    description: str
    changes: list
    kpis: pd.DataFrame
    order_status: pd.DataFrame
    load: pd.DataFrame
    item_orders: pd.DataFrame

    def headline(self) -> str:
        """One sentence: how many orders became late or on time."""
        if not len(self.order_status):
            return "No production order or customer order line changes between late and on time."
        parts = []
        for kind in ("production order", "customer order line"):
            g = self.order_status[self.order_status.kind == kind].change.value_counts()
            bits = [f"{int(g[c])} {c}" for c in STATUS_CHANGES if g.get(c, 0)]
            if bits:
                parts.append(f"{kind}s: " + ", ".join(bits))
        return "Against the base plan - " + "; ".join(parts) + "."

    def to_html(self) -> str:
        """The comparison as one HTML fragment (every text escaped; no script, no request)."""
        return comparison_html(self)


def compare_plans(base, scenario, scenario_def: Scenario | None = None) -> PlanComparison:
    """Everything a planner asks of a scenario: its changes, KPIs, the orders it makes late or on
    time, and the work centers whose load it changes.

    Parameters
    ----------
    base, scenario : mapping or object
        The two plans' tables, by key or attribute (a :class:`planlib.pipeline.WeekPlan`
        also through its ``schedule`` and ``mrp``): ``kpis`` (``kpi, value`` ...) and, where
        present, ``late_orders`` (schedule), ``promise_dates`` (schedule), ``capacity_load``
        and ``planned_orders`` (MRP). A table missing from either plan leaves its part empty
        (never "every order became late" against a base without a schedule).
    scenario_def : Scenario, optional
        The scenario (name, description and changes shown first).

    Returns
    -------
    PlanComparison
    """
    def get(plan, name):
        if isinstance(plan, Mapping):
            v = plan.get(name)
        else:  # a WeekPlan: its own tables, then its schedule's and MRP's
            v = getattr(plan, name, None)
            for part in ("schedule", "mrp"):
                if not isinstance(v, pd.DataFrame):
                    v = getattr(getattr(plan, part, None), name, None)
        return v if isinstance(v, pd.DataFrame) else None

    kb, ks = get(base, "kpis"), get(scenario, "kpis")
    kpis = compare_kpis(kb, ks) if kb is not None and ks is not None else pd.DataFrame(
        columns=["kpi", "base", "scenario", "delta", "delta_pct"])
    kpis["judgment"] = judge_kpis(kpis) if len(kpis) else pd.Series(dtype=str)
    parts = []
    if get(base, "late_orders") is not None and get(scenario, "late_orders") is not None:
        parts.append(compare_order_status(_late_production(get(base, "late_orders")),
                                          _late_production(get(scenario, "late_orders")), "production order"))
    if get(base, "promise_dates") is not None and get(scenario, "promise_dates") is not None:
        parts.append(compare_order_status(_late_lines(get(base, "promise_dates")),
                                          _late_lines(get(scenario, "promise_dates")), "customer order line"))
    status = pd.concat(parts, ignore_index=True) if parts else compare_order_status(
        _late_production(None), _late_production(None), "")
    cb, cs = get(base, "capacity_load"), get(scenario, "capacity_load")
    load = compare_load(cb, cs) if cb is not None and cs is not None else compare_load(
        pd.DataFrame(columns=["work_center_id", "period", "load_hours", "available_hours"]),
        pd.DataFrame(columns=["work_center_id", "period", "load_hours", "available_hours"]))
    pb, ps = get(base, "planned_orders"), get(scenario, "planned_orders")
    items = compare_item_orders(pb, ps) if pb is not None and ps is not None else pd.DataFrame()
    sc = scenario_def
    return PlanComparison(name=sc.name if sc else "", description=sc.description if sc else "",
                          changes=sc.describe() if sc else [], kpis=kpis, order_status=status, load=load,
                          item_orders=items)


def _days(v: float) -> str:
    if not np.isfinite(v):
        return "not supplied"
    if v == 0:
        return "on time"
    if round(abs(v) * 24) < 24:
        return f"{v * 24:.0f} h"
    return f"{v:.1f} days"


def _num_text(v, digits: int = 1) -> str:
    if not _is_number(v):
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    v = float(v)
    if abs(v) >= 1000 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def comparison_html(comp: PlanComparison) -> str:
    """:class:`PlanComparison` as HTML, in the order a planner asks: the scenario and its changes,
    a sentence on the orders it makes late or on time, KPIs side by side (better or worse), the
    customer order lines and production orders that changed status (how much, why), and the work
    centers whose load changed most. An empty part says so in words; every text is escaped."""
    import html as _h

    e = _h.escape
    out = ['<div class="planlib-comparison">']
    if comp.name:
        out.append(f"<p><strong>Scenario: {e(comp.name)}</strong>"
                   + (f" - {e(comp.description)}" if comp.description else "") + "</p>")
    if comp.changes:
        out.append("<p>What the scenario changes in the base data:</p><ul>"
                   + "".join(f"<li>{e(c)}</li>" for c in comp.changes) + "</ul>")
    out.append(f"<p><strong>{e(comp.headline())}</strong></p>")

    def table(head, rows, numeric=(), wrap=None):
        """``numeric``: the column positions aligned right; only column ``wrap`` (the text, the last by
        default) may wrap, codes and dates stay on one line."""
        wrap = len(head) - 1 if wrap is None else wrap

        def cell(tag, k, v):
            style = ("text-align:right" if k in numeric else "text-align:left") + (
                "" if k == wrap else ";white-space:nowrap")
            return f"<{tag} style='{style}'>{e(str(v))}</{tag}>"
        th = "".join(cell("th", k, h) for k, h in enumerate(head))
        body = "".join("<tr>" + "".join(cell("td", k, c) for k, c in enumerate(r)) + "</tr>" for r in rows)
        return f"<table class='planlib-table'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    def change_text(v):
        if not np.isfinite(v):
            return "no supply" if v > 0 else "supplied now"
        return ("+" if v > 0 else "-") + _days(abs(v))

    def day(v):
        return "-" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"

    out.append("<h4>Key figures, base and scenario</h4>")
    k = comp.kpis[comp.kpis.base.map(_is_number) | comp.kpis.scenario.map(_is_number)] if len(comp.kpis) else comp.kpis
    if len(k):
        rows = []
        for r in k.itertuples(index=False):
            label = getattr(r, "label", "") or str(r.kpi).replace("_", " ")
            unit = getattr(r, "unit", "") or ""
            nums = [float(v) for v in (r.base, r.scenario, r.delta) if _is_number(v)]
            digits = 1 if any(not x.is_integer() and abs(x) < 1000 for x in nums) else 0

            def fmt(v, digits=digits):
                return f"{float(v):,.{digits}f}" if _is_number(v) else "-"

            delta = "-" if pd.isna(r.delta) else ("+" if r.delta > 0 else "") + fmt(r.delta)
            rows.append((label, fmt(r.base), fmt(r.scenario), delta,
                         r.judgment or "-", "-" if unit in ("", "count") else unit))
        out.append(table(["key figure", "base", "scenario", "change", "better or worse", "unit"], rows, (1, 2, 3),
                         wrap=0))
    else:
        out.append("<p>No key figures to compare.</p>")
    st = comp.order_status
    for kind, title in (("customer order line", "Customer order lines that became late or on time"),
                        ("production order", "Production orders that became late or on time")):
        out.append(f"<h4>{title}</h4>")
        g = st[st.kind == kind]
        if not len(g):
            out.append(f"<p>No change: every {kind} is late or on time in both plans alike"
                       f"{' (and late by the same amount)' if kind == 'production order' else ''}.</p>")
            continue
        customer = kind == "customer order line"
        rows = [(r.change, r.order_id) + ((r.customer_id or "-",) if customer else ()) + (
                 r.item_id, day(r.due_date), _days(r.base_days_late), _days(r.scenario_days_late),
                 change_text(r.days_change), r.reason or "-") for r in g.itertuples(index=False)]
        head = (["change", "customer order" if customer else "order"] + (["customer"] if customer else [])
                + ["item", "due date", "late in base", "late in scenario", "change in lateness", "reason"])
        n = 3 if customer else 2
        out.append(table(head, rows, (n + 1, n + 2, n + 3, n + 4)))
    out.append("<h4>Work centers whose load changed most</h4>")
    if len(comp.load):
        rows = [(r.work_center_id, _num_text(r.base_load_hours), _num_text(r.scenario_load_hours),
                 ("+" if r.load_change_hours > 0 else "") + _num_text(r.load_change_hours),
                 "-" if pd.isna(r.load_change_pct) else f"{r.load_change_pct:+.1f} %",
                 ("+" if r.available_change_hours > 0 else "") + _num_text(r.available_change_hours),
                 "-" if pd.isna(r.base_utilisation_pct) else f"{r.base_utilisation_pct:.0f} %",
                 "-" if pd.isna(r.scenario_utilisation_pct) else f"{r.scenario_utilisation_pct:.0f} %")
                for r in comp.load.itertuples(index=False)]
        out.append(table(["work center", "base load (h)", "scenario load (h)", "load change (h)", "load change (%)",
                          "available hours change (h)", "base load of available hours",
                          "scenario load of available hours"], rows, range(1, 8)))
    else:
        out.append("<p>No change: every work center has the same load and available hours in both plans.</p>")
    out.append("<h4>Planned orders per item</h4>")
    io = comp.item_orders
    if len(io):
        rows = [(r.item_id, r.base_orders, r.scenario_orders, _num_text(r.base_qty), _num_text(r.scenario_qty),
                 ("+" if r.delta_qty > 0 else "") + _num_text(r.delta_qty), day(r.base_first_release),
                 day(r.scenario_first_release)) for r in io.itertuples(index=False)]
        out.append(table(["item", "orders in base", "orders in scenario", "base quantity", "scenario quantity",
                          "quantity change", "first release in base", "first release in scenario"], rows,
                         range(1, 8)))
    else:
        out.append("<p>No change: every item has the same planned orders in both plans.</p>")
    out.append("</div>")
    return "".join(out)
