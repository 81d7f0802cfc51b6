"""Scenario files: read (:func:`load_scenario`, :func:`parse_scenario`), write
(:func:`save_scenario`, :func:`scenario_to_yaml`), and one change from its keys
(:func:`change_from_dict`, the editor's way in). ``load`` round-trips ``save``.

Format: ``docs/scenarios.md``.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd
import yaml

from planlib.problems import InputError, Problems
from planlib.scenario.apply import check_scenario
from planlib.scenario.changes import CHANGE_KINDS, Change, Scenario
from planlib.scenario.reader import _TABLE, MAX_SCENARIO_BYTES, _compose, _Dumper, _Map, _Reader, _Seq, _Where

__all__ = ["change_from_dict", "load_scenario", "parse_scenario", "save_scenario", "scenario_to_yaml"]


_TOP_KEYS = ("name", "description", "changes")


def parse_scenario(text: str, source: str = "") -> Scenario:
    """A scenario from YAML text; ``source`` (a file name) labels the error rows.

    Parameters
    ----------
    text : str
        The YAML (format: ``docs/scenarios.md``).
    source : str
        The file it came from ("" if none).

    Returns
    -------
    Scenario

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

    Parameters
    ----------
    d : mapping
        ``kind`` and the keys of that kind (``docs/scenarios.md``); None values are left out.
    ds : Dataset, optional
        Check the change's references (items, machines ...) against it.

    Returns
    -------
    Change
        The change of that kind (:data:`CHANGE_KINDS`).

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



def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text; :func:`parse_scenario` reads it back equal.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    str
        A comment line, then ``name``, ``description`` (if any) and ``changes``.
    """
    doc = {"name": scenario.name}
    if scenario.description:
        doc["description"] = scenario.description
    doc["changes"] = [c.to_dict() for c in scenario.changes]
    head = "# planlib scenario (format: docs/scenarios.md)\n"
    return head + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                            allow_unicode=True, width=100)


def save_scenario(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write :func:`scenario_to_yaml` to ``path`` (atomically: temporary file, then renamed).

    Parameters
    ----------
    scenario : Scenario
    path : str or path
        The file to write (its folder is created if missing).

    Returns
    -------
    Path
        ``path``.
    """
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
