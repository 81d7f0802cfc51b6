"""Reading a scenario file: YAML with the line of every key, and the values a change takes.

A planner writes scenario files by hand, so every problem names its file and line
(``lathe.yaml line 7``). :func:`_compose` reads YAML into :class:`_Map` and
:class:`_Seq` (a dict and a list that remember the line of each key and item and
the text each plain value was written as), refusing oversized or alias-bomb files
before anything is expanded (:data:`MAX_SCENARIO_BYTES`, :data:`MAX_ALIASES`,
:data:`MAX_NODES`, :data:`MAX_DEPTH`). :class:`_Reader` reads the keys of one
change (ids, text, numbers, dates, date-times, weekdays, time windows) and records
a problem with its line and a fix for each bad value. :class:`_Dumper` writes the
same YAML dialect back (:func:`planlib.scenario.files.scenario_to_yaml`).

Dates are ``YYYY-MM-DD`` or ISO weeks (:func:`planlib.buckets.parse_date_or_week`).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from planlib.buckets import iso_week, parse_date_or_week
from planlib.contract import WEEKDAYS
from planlib.problems import Problems

_TABLE = "scenario"  # the ``table`` column of the problems a scenario file raises
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
    """A date from ``YYYY-MM-DD`` or an ISO week ``YYYY-Www`` (its Monday; its Sunday if ``end``).

    :func:`planlib.buckets.parse_date_or_week` reads the text; only those two spellings are
    taken (``20261130`` or ``2026-W48-1``, which ``date.fromisoformat`` also reads, are not).
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = str(value).strip()
    day = parse_date_or_week(s)  # ValueError for neither
    if s == day.isoformat():
        return day
    if s.replace("-", "") == iso_week(day).replace("-", ""):  # a week: 2026-W48 or 2026W48
        return day + dt.timedelta(days=6) if end else day
    raise ValueError(s)


def _moment(value, end: bool = False) -> pd.Timestamp:
    """A point in time from ``YYYY-MM-DD HH:MM``; a date (or ISO week) alone is its
    first minute, or as an ``end`` the minute after it (the end is exclusive)."""
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return pd.Timestamp(value)
    s = str(value).strip()
    try:
        day = pd.Timestamp(_day(s, end))
    except ValueError:
        day = None
    if day is not None:
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
