"""Problems found in input data, and the error that carries them.

Every check in planlib reports problems in one shape, a table with the columns
``severity, table, row, column, value, problem, fix``, so that a planner sees
all of them at once and knows where to look (``row`` is the row as the user
sees it: ``items.csv line 7``, ``sheet items row 7``, ``table items row 7``).

A database URL may hold a password; :func:`mask_source`, :func:`mask_text` and
:func:`mask_problems` replace it by ``***`` wherever a source or a message is shown.
"""
from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote

import pandas as pd

PROBLEM_COLUMNS = ["severity", "table", "row", "column", "value", "problem", "fix"]


class Problems:
    """Collects problems; ``frame()`` returns them as a table."""

    def __init__(self) -> None:
        self._rows: list[dict] = []

    def add(self, table: str, row: str, column: str, value, problem: str, fix: str,
            severity: str = "error") -> None:
        """Record one problem.

        Parameters
        ----------
        table : str
            The table (``items``), or ``(source)`` for the source itself.
        row : str
            The row as the user sees it (``items.csv line 7``).
        column : str
        value
            The cell's value as found (shown as text; None as empty).
        problem : str
            What is wrong.
        fix : str
            How to fix it.
        severity : {"error", "warning"}
        """
        self._rows.append(dict(severity=severity, table=table, row=row, column=column,
                               value="" if value is None else str(value), problem=problem, fix=fix))

    def has_error(self, table: str, row: str, column: str) -> bool:
        """Whether an error is already recorded for this cell (so a second rule need not repeat it)."""
        return any(r["severity"] == "error" and r["table"] == table and r["row"] == row and r["column"] == column
                   for r in self._rows)

    def warn(self, table: str, row: str, column: str, value, problem: str, fix: str) -> None:
        """Record one problem of severity ``warning`` (arguments as :meth:`add`)."""
        self.add(table, row, column, value, problem, fix, severity="warning")

    def extend(self, other: Problems | pd.DataFrame) -> None:
        """Add the problems of another :class:`Problems` or of a problems table."""
        frame = other.frame() if isinstance(other, Problems) else other
        self._rows.extend(frame.to_dict("records"))

    def frame(self) -> pd.DataFrame:
        """The problems recorded, in the order recorded.

        Returns
        -------
        DataFrame
            Columns ``severity, table, row, column, value, problem, fix`` (:data:`PROBLEM_COLUMNS`).
        """
        return pd.DataFrame(self._rows, columns=PROBLEM_COLUMNS)

    @property
    def errors(self) -> int:
        """The number of problems of severity ``error``."""
        return sum(r["severity"] == "error" for r in self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class InputError(Exception):
    """Input that planlib cannot plan from. ``problems`` says where and how to fix it."""

    def __init__(self, message: str, problems: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)


def format_problems(problems: pd.DataFrame, max_rows: int = 200) -> str:
    """Problems as an aligned plain-text table for a terminal.

    Parameters
    ----------
    problems : DataFrame
        A problems table: ``severity, table, row, column, value, problem, fix``.
    max_rows : int
        At most this many rows are shown; a last line says how many more there are.

    Returns
    -------
    str
        ``"no problems found"`` for an empty table.
    """
    if problems.empty:
        return "no problems found"
    shown = problems.head(max_rows).fillna("")
    text = shown.to_string(index=False, justify="left", max_colwidth=70)
    if len(problems) > max_rows:
        text += f"\n... and {len(problems) - max_rows} more (write them all with --problems FILE)"
    return text


# --------------------------------------------------------------------------- shown without passwords

def mask_source(source: str | os.PathLike) -> str:
    """The source as it may be shown or logged: a database URL's password replaced by ``***``.

    ``mask_source("postgresql://planner:secret@db/plant") == "postgresql://planner:***@db/plant"``;
    a folder or a workbook path is returned as it is.
    """
    text = str(source)
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/:@]*):([^@/]*)@", r"\1:***@", text)


_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/:@\s'\"]*):([^@/\s'\"]+)@")


def mask_text(text: str, source: str | os.PathLike | None = None) -> str:
    """``text`` (an error message, a problem row) with database passwords replaced by ``***``.

    Every ``scheme://user:password@`` in the text is masked, and, when ``source`` is a
    database URL with a password, every other appearance of that password too (a driver
    may echo it on its own, URL-encoded or not).
    """
    text = str(text)
    if source is not None:
        m = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/:@]*:([^@/]*)@", str(source))
        if m and m.group(1):
            password = m.group(1)
            for form in sorted({password, unquote(password), quote(unquote(password), safe="")},
                               key=len, reverse=True):
                if form:
                    text = text.replace(form, "***")
    return _URL_PASSWORD.sub(r"\1:***@", text)


def mask_problems(problems: pd.DataFrame, source=None) -> pd.DataFrame:
    """A copy of ``problems`` with database passwords masked in every text cell (see :func:`mask_text`).

    Parameters
    ----------
    problems : DataFrame
        A problems table (``severity, table, row, column, value, problem, fix``; any columns).
    source : str, optional
        The source the problems are about; its password is masked wherever it appears.

    Returns
    -------
    DataFrame
        The same columns and rows, text cells masked.
    """
    out = problems.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: mask_text(v, source) if isinstance(v, str) else v)
    return out
