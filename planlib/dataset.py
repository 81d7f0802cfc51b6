"""The dataset: the typed planning tables of one factory, one DataFrame per table of the contract.

A :class:`Dataset` is what every engine takes (forecast, MRP, schedule, scenarios). It is
made by the readers of :mod:`planlib.data` (:func:`~planlib.data.load`,
:func:`~planlib.data.read_dataset`, :func:`~planlib.data.from_frames`), which type the
cells by :mod:`planlib.contract`; this module holds only the container, so that the
modules the readers use (:mod:`planlib.calendar`, :mod:`planlib.validate`) can name it
without importing the readers.

Layers (each imports only the ones above it)::

    planlib.contract, planlib.problems      the tables' columns; the problems table
    planlib.dataset                         the container (this module)
    planlib.calendar                        working time of machines
    planlib.validate                        checks of a dataset
    planlib.data                            reading, typing, checking and writing sources
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from planlib.contract import TABLES

__all__ = ["Dataset", "conform", "empty_table"]


@dataclass(frozen=True)
class Dataset:
    """A set of typed planning tables, one DataFrame per table of the contract.

    Attribute access gives a table (``ds.items``); a table the source does not
    hold is an empty frame with the contract's columns (:func:`empty_table`).
    The columns and units of each table are those of :mod:`planlib.contract`
    (``docs/data-contract.md``).

    Attributes
    ----------
    tables : Mapping of str to DataFrame
        The tables the source held, typed by the contract.
    source : str
        Where the tables came from (a folder, a workbook, a database URL, ``"(memory)"``).
    present : frozenset of str
        The tables the source held (even with no rows).
    rows : Mapping of str to list of str
        For each table, the row labels a user sees (``items.csv line 7``), aligned
        with the frame's positions.
    warnings : DataFrame or None
        The warnings found when loading (the problems table of :mod:`planlib.problems`:
        ``severity, table, row, column, value, problem, fix``).
    """

    tables: Mapping[str, pd.DataFrame]
    source: str = ""
    present: frozenset = frozenset()
    rows: Mapping[str, list] = field(default_factory=dict)
    warnings: pd.DataFrame | None = None

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name.startswith("_") or name not in TABLES:
            raise AttributeError(name)
        table = self.tables.get(name)
        if table is None:
            return empty_table(name)
        return table

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def has(self, name: str) -> bool:
        """True if the source held the table (even with no rows)."""
        return name in self.present

    def where(self, table: str, position: int) -> str:
        """The row label a user sees for row ``position`` (0-based) of ``table``."""
        labels = self.rows.get(table)
        if labels is not None and 0 <= position < len(labels):
            return labels[position]
        return f"{table} row {position + 1}"

    def replace(self, **tables: pd.DataFrame) -> Dataset:
        """A copy with some tables replaced (scenarios, tests).

        Parameters
        ----------
        **tables : DataFrame
            The new tables by name, typed as the contract says (their row labels become
            ``<table> row <n>``).

        Returns
        -------
        Dataset
        """
        new = dict(self.tables)
        new.update(tables)
        rows = {k: v for k, v in self.rows.items() if k not in tables}
        return Dataset(new, self.source, self.present | frozenset(tables), rows, self.warnings)


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A generated table as the contract has it (the factory's and the simulator's tables).

    Parameters
    ----------
    name : str
        A table of the data contract (:data:`planlib.contract.TABLES`).
    frame : DataFrame
        The table's rows; columns it lacks are filled with the contract's default.

    Returns
    -------
    DataFrame
        The contract's columns in contract order, with its dtypes; index 0..n-1.
    """
    out = {}
    for col in TABLES[name].columns:
        s = frame[col.name] if col.name in frame else pd.Series([col.default] * len(frame), dtype=object)
        s = s.reset_index(drop=True)
        if col.kind in ("float", "time"):
            s = s.astype("float64")
        elif col.kind in ("int", "weekday"):
            s = s.astype("Int64")
        elif col.kind in ("date", "datetime"):
            s = pd.to_datetime(s)
        elif col.kind == "bool":
            s = s.astype(bool)
        else:
            s = s.astype(object).where(s.notna(), None)
        out[col.name] = s
    return pd.DataFrame(out)


def empty_table(name: str) -> pd.DataFrame:
    """An empty table with the contract's columns and types.

    Parameters
    ----------
    name : str
        A table of :data:`planlib.contract.TABLES`.

    Returns
    -------
    DataFrame
        No rows; the columns of the table in the contract, typed: text as ``object``, whole
        numbers ``Int64``, numbers and times of day [h] ``float64``, dates and date-times
        ``datetime64[ns]``, weekdays ``Int64`` (0 = Monday), flags ``bool``.
    """
    spec = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in spec.columns})


#: The pandas type of each column kind of the contract.
_DTYPES = {"str": object, "int": "Int64", "float": "float64", "date": "datetime64[ns]",
           "datetime": "datetime64[ns]", "time": "float64", "weekday": "Int64", "bool": bool}
