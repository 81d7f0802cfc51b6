"""Reading and writing datasets: CSV folders, Excel workbooks, SQL databases.

All file and database access of planlib lives here; the engines take the
:class:`Dataset` (or its tables) and never read files themselves.

A *source* is one of

- a folder of CSV files, one file per table (``items.csv``, ``bom.csv`` ...);
- an Excel workbook (``.xlsx``), one sheet per table, header in row 1;
- a SQL database as an SQLAlchemy URL (``sqlite:///plant.db``,
  ``postgresql://...``), one database table per table; a path ending in
  ``.db``/``.sqlite`` is taken as a SQLite file.

Every source gives the same typed :class:`Dataset`.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planlib.contract import TABLES, WEEKDAYS, Column, Table
from planlib.problems import InputError, Problems

_TRUE = {"true", "yes", "y", "1", "1.0", "t", "x"}
_FALSE = {"false", "no", "n", "0", "0.0", "f", ""}


@dataclass(frozen=True)
class Dataset:
    """A set of typed planning tables, one DataFrame per table of the contract.

    Attribute access gives a table (``ds.items``); a table the source does not
    hold is an empty frame with the contract's columns. ``present`` names the
    tables the source held; ``rows`` maps each table to the row labels a user
    sees (``items.csv line 7``), aligned with the frame's positions.
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
        """A copy with some tables replaced (scenarios, tests)."""
        new = dict(self.tables)
        new.update(tables)
        rows = {k: v for k, v in self.rows.items() if k not in tables}
        return Dataset(new, self.source, self.present | frozenset(tables), rows, self.warnings)


def empty_table(name: str) -> pd.DataFrame:
    """An empty table with the contract's columns and types."""
    spec = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in spec.columns})


_DTYPES = {"str": object, "int": "Int64", "float": "float64", "date": "datetime64[ns]",
           "datetime": "datetime64[ns]", "time": "float64", "weekday": "Int64", "bool": bool}


# --------------------------------------------------------------------------- reading raw

def _source_kind(source: str | os.PathLike) -> str:
    s = str(source)
    if "://" in s:
        return "sql"
    p = Path(s)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return "excel"
    if p.suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        return "sql"
    return "csv"


def _sql_url(source: str | os.PathLike) -> str:
    s = str(source)
    return s if "://" in s else f"sqlite:///{Path(s).resolve()}"


def read_raw(source: str | os.PathLike, tables: Iterable[str] | None = None
             ) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]], Problems]:
    """Read the tables of a source as text cells, with the row labels a user sees.

    Returns ``(raw, rows, problems)``: raw tables of strings (empty cell = ``""``),
    row labels per table, and problems with the source itself.
    """
    wanted = list(TABLES) if tables is None else list(tables)
    kind = _source_kind(source)
    problems = Problems()
    raw: dict[str, pd.DataFrame] = {}
    rows: dict[str, list[str]] = {}
    if kind == "csv":
        folder = Path(source)
        if not folder.is_dir():
            problems.add("(source)", "", "", str(source), "no such folder, workbook or database",
                         "give a folder of CSV files, an .xlsx workbook or a database URL")
            return raw, rows, problems
        for name in wanted:
            path = folder / f"{name}.csv"
            if not path.exists():
                continue
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
                problems.add(name, path.name, "", "", f"cannot read the file: {exc}".splitlines()[0],
                             "save it as comma-separated UTF-8 text with a header line")
                continue
            raw[name] = frame
            rows[name] = [f"{path.name} line {i + 2}" for i in range(len(frame))]
    elif kind == "excel":
        path = Path(source)
        if not path.exists():
            problems.add("(source)", "", "", str(source), "no such workbook", "check the path")
            return raw, rows, problems
        try:
            book = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            problems.add("(source)", "", "", path.name, f"cannot read the workbook: {exc}",
                         "save it as an .xlsx workbook")
            return raw, rows, problems
        for name in wanted:
            if name in book:
                frame = book[name]
                raw[name] = frame.map(_excel_cell) if len(frame) else frame
                rows[name] = [f"sheet {name} row {i + 2}" for i in range(len(frame))]
    else:
        import sqlalchemy as sa

        url = _sql_url(source)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
            problems.add("(source)", "", "", str(source), "no such database file", "check the path")
            return raw, rows, problems
        try:
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                names = set(sa.inspect(conn).get_table_names())
                for name in wanted:
                    if name in names:
                        frame = pd.read_sql_table(name, conn)
                        raw[name] = frame.astype(object).map(_sql_cell)
                        rows[name] = [f"table {name} row {i + 1}" for i in range(len(frame))]
            engine.dispose()
        except Exception as exc:  # driver errors vary by database
            problems.add("(source)", "", "", url, f"cannot read the database: {exc}".splitlines()[0],
                         "check the URL and that the database is reachable")
    return raw, rows, problems


def _excel_cell(value) -> str:
    if value is None:
        return ""
    s = str(value)
    # Excel stores whole dates as midnight datetimes and time cells as HH:MM:SS.
    if len(s) == 19 and s.endswith(" 00:00:00") and s[4] == "-":
        return s[:10]
    return s


def _sql_cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return str(value)


# --------------------------------------------------------------------------- typing

def _parse_column(values: pd.Series, col: Column):
    """Parse text cells into the column's kind. Returns (parsed, bad_mask)."""
    text = values.astype(str).str.strip()
    empty = text.eq("") | text.str.lower().isin(["nan", "none", "null", "nat"])
    kind = col.kind
    if kind == "str":
        out = text.where(~empty, None)
        # "12.0" from Excel or SQL for an id written as a number: keep "12"
        out = out.where(~out.fillna("").str.fullmatch(r"-?\d+\.0"), out.str[:-2])
        return out.astype(object), pd.Series(False, index=values.index)
    if kind in ("float", "int"):
        num = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = num.isna() & ~empty
        if kind == "int":
            frac = num.notna() & (num != np.floor(num.fillna(0)))
            bad |= frac
            num = num.where(~frac)
            return num.round().astype("Int64"), bad
        return num.astype("float64"), bad
    if kind in ("date", "datetime"):
        parsed = pd.to_datetime(text.where(~empty), errors="coerce", format="mixed")
        bad = parsed.isna() & ~empty
        if kind == "date":
            parsed = parsed.dt.normalize()
        return parsed, bad
    if kind == "time":
        parts = text.str.extract(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
        hours = pd.to_numeric(parts[0], errors="coerce")
        minutes = pd.to_numeric(parts[1], errors="coerce")
        out = hours + minutes / 60.0
        bad = (out.isna() | (hours > 24) | (minutes > 59) | (out > 24)) & ~empty
        return out.where(~bad), bad
    if kind == "weekday":
        names = {d.lower(): i for i, d in enumerate(WEEKDAYS)}
        names.update({d.lower(): i for i, d in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))})
        lower = text.str.lower()
        out = lower.map(names)
        num = pd.to_numeric(text.where(out.isna() & ~empty), errors="coerce")
        out = out.fillna(num.where(num.isin(range(7))))
        bad = out.isna() & ~empty
        return out.astype("Int64"), bad
    if kind == "bool":
        lower = text.str.lower()
        bad = ~lower.isin(_TRUE | _FALSE)
        return lower.isin(_TRUE), bad
    raise ValueError(f"unknown column kind {kind}")


_KIND_FIX = {
    "float": "write a number such as 12.5 (no units or thousands separators)",
    "int": "write a whole number such as 3",
    "date": "write a date as YYYY-MM-DD, e.g. 2026-11-23",
    "datetime": "write a date and time as YYYY-MM-DD HH:MM, e.g. 2026-11-23 06:00",
    "time": "write a time as HH:MM, e.g. 06:00",
    "weekday": "write Mon, Tue, Wed, Thu, Fri, Sat or Sun",
    "bool": "write true or false",
}


def type_table(spec: Table, raw: pd.DataFrame, labels: list[str], problems: Problems) -> pd.DataFrame:
    """Type one raw table by its contract; record problems; bad cells become empty."""
    raw = raw.copy()
    raw.columns = [str(c).strip() for c in raw.columns]
    out = {}
    for col in spec.columns:
        alias = next((a for a in col.aliases if a in raw.columns), None)
        if col.name not in raw.columns and alias is not None:
            raw = raw.rename(columns={alias: col.name})
        if col.name not in raw.columns:
            if col.required:
                problems.add(spec.name, labels[0].rsplit(" ", 2)[0] + " header" if labels else "header",
                             col.name, "", "required column is missing",
                             f"add a column named '{col.name}' ({col.doc or col.kind})")
            values = pd.Series([""] * len(raw), index=raw.index, dtype=object)
        else:
            values = raw[col.name].fillna("")
        parsed, bad = _parse_column(values, col)
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.add(spec.name, labels[pos], col.name, values.iloc[pos],
                         f"not a valid {col.kind}", _KIND_FIX.get(col.kind, ""))
        if col.default is not None and col.kind != "bool":
            parsed = parsed.where(parsed.notna() | bad, col.default)
            if col.kind == "int":
                parsed = parsed.astype("Int64")
        out[col.name] = parsed
    frame = pd.DataFrame(out, index=range(len(raw)))
    return frame


def load(source: str | os.PathLike, tables: Iterable[str] | None = None, *,
         strict: bool = True) -> Dataset:
    """Load a dataset from a CSV folder, an Excel workbook or a SQL database.

    Parameters
    ----------
    source : str or path
        The folder, workbook or SQLAlchemy URL (see the module docstring).
    tables : iterable of str, optional
        Load only these tables (a forecast needs only ``demand_history``).
    strict : bool
        If True, raise :class:`InputError` when any error is found (types and
        all the checks of :func:`planlib.validate.validate`); warnings are kept
        in ``Dataset.warnings``.

    Returns
    -------
    Dataset
    """
    from planlib.validate import check_source  # validate uses Dataset; import here to avoid a cycle

    ds, problems = check_source(source, tables)
    errors = problems[problems.severity == "error"]
    if strict and len(errors):
        raise InputError(f"{len(errors)} problem(s) in {source}", problems)
    return Dataset(ds.tables, ds.source, ds.present, ds.rows, problems[problems.severity == "warning"])


def read_dataset(source: str | os.PathLike, tables: Iterable[str] | None = None
                 ) -> tuple[Dataset, Problems]:
    """Read and type a source without the cross-table checks: ``(dataset, problems)``."""
    raw, rows, problems = read_raw(source, tables)
    typed = {name: type_table(TABLES[name], frame, rows[name], problems) for name, frame in raw.items()}
    return Dataset(typed, str(source), frozenset(typed), rows), problems


def from_frames(tables: Mapping[str, pd.DataFrame], source: str = "(memory)") -> Dataset:
    """A Dataset from in-memory frames (notebooks, tests, generated factories).

    The frames go through the same typing as files, so defaults are filled
    and types are checked; raises :class:`InputError` on a cell that does not parse.
    """
    problems = Problems()
    typed = {}
    for name, frame in tables.items():
        labels = [f"{name} row {i + 1}" for i in range(len(frame))]
        typed[name] = type_table(TABLES[name], _as_text(frame), labels, problems)
    if problems.errors:
        raise InputError(f"{problems.errors} problem(s) in {source}", problems.frame())
    return Dataset(typed, source, frozenset(typed),
                   {n: [f"{n} row {i + 1}" for i in range(len(f))] for n, f in typed.items()})


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name, col in frame.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            s = col.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
            out[name] = s.fillna("")
        else:
            out[name] = col.astype(object).where(col.notna(), "").map(str)
    return pd.DataFrame(out, index=range(len(frame)))


# --------------------------------------------------------------------------- writing

def table_to_text(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A typed table as the text a user writes (dates ISO, times HH:MM, weekdays Mon..Sun)."""
    spec = TABLES.get(name)
    out = frame.copy()
    if spec is None:
        return out
    for col in spec.columns:
        if col.name not in out:
            continue
        s = out[col.name]
        if col.kind == "date":
            out[col.name] = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        elif col.kind == "datetime":
            out[col.name] = pd.to_datetime(s).dt.strftime("%Y-%m-%d %H:%M")
        elif col.kind == "time":
            h = np.floor(s.astype(float))
            m = np.round((s.astype(float) - h) * 60)
            out[col.name] = [f"{int(a):02d}:{int(b):02d}" if pd.notna(a) else None for a, b in zip(h, m)]
        elif col.kind == "weekday":
            out[col.name] = [WEEKDAYS[int(v)] if pd.notna(v) else None for v in s]
        elif col.kind == "bool":
            out[col.name] = s.map({True: "true", False: "false"})
        elif col.kind == "float":
            out[col.name] = _compact_numbers(s)
    return out


def _compact_numbers(s: pd.Series) -> pd.Series:
    """Floats as a person writes them: 14 rather than 14.0, empty for missing."""
    values = s.to_numpy(dtype=float)
    whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 1e15)
    text = np.where(whole, np.where(whole, values, 0).astype(np.int64).astype(str), values.astype(str))
    return pd.Series(np.where(np.isnan(values), "", text), index=s.index, dtype=object)


def write_dataset(ds: Dataset | Mapping[str, pd.DataFrame], dest: str | os.PathLike) -> Path | str:
    """Write a dataset as a CSV folder, an ``.xlsx`` workbook or a SQL database.

    The kind follows ``dest`` as in :func:`load`. Files are written to a
    temporary place first and moved in when complete.
    """
    tables = ds.tables if isinstance(ds, Dataset) else ds
    text = {name: table_to_text(name, frame) for name, frame in tables.items()}
    kind = _source_kind(dest)
    if kind == "csv":
        write_tables(text, dest)
        return Path(dest)
    if kind == "excel":
        dest = Path(dest)
        with _atomic_file(dest) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in text.items():
                frame.to_excel(writer, sheet_name=name, index=False)
        return dest
    import sqlalchemy as sa

    url = _sql_url(dest)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        with _atomic_file(path) as tmp:
            engine = sa.create_engine(f"sqlite:///{tmp}")
            with engine.begin() as conn:
                for name, frame in text.items():
                    frame.to_sql(name, conn, index=False, if_exists="replace")
            engine.dispose()
        return path
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # one transaction: all tables or none
        for name, frame in text.items():
            frame.to_sql(name, conn, index=False, if_exists="replace")
    engine.dispose()
    return url


class _atomic_file:
    """Context manager: a temporary path beside ``dest``, renamed onto it on success."""

    def __init__(self, dest: Path) -> None:
        self.dest = Path(dest)

    def __enter__(self) -> Path:
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.dest.name}.", dir=self.dest.parent,
                                    suffix=self.dest.suffix)
        os.close(fd)
        self.tmp = Path(name)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            os.replace(self.tmp, self.dest)
        else:
            self.tmp.unlink(missing_ok=True)


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Date-time columns as ISO text: ``YYYY-MM-DD`` where every value is a midnight,
    ``YYYY-MM-DD HH:MM`` where one has a time of day (``:SS`` where one has seconds)."""
    if not isinstance(frame, pd.DataFrame):
        return frame
    cols = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    if not cols:
        return frame
    out = frame.copy()
    for c in cols:
        s = out[c]
        if s.dt.tz is not None:
            s = s.dt.tz_localize(None)
        since_midnight = (s - s.dt.normalize()).dropna()
        if (since_midnight % pd.Timedelta(minutes=1) != pd.Timedelta(0)).any():
            fmt = "%Y-%m-%d %H:%M:%S"
        elif (since_midnight != pd.Timedelta(0)).any():
            fmt = "%Y-%m-%d %H:%M"
        else:
            fmt = "%Y-%m-%d"
        out[c] = s.dt.strftime(fmt)
    return out


#: Columns of planlib's own output tables read as text (identifiers keep leading zeros).
ID_COLUMNS = ("item_id", "order_id", "supplier_id", "supply_id", "demand_id", "demand_item_id",
              "work_center_id", "machine_id", "component_id", "parent_id", "customer_id", "op_seq_text")


def _is_date_column(name: str) -> bool:
    name = str(name)
    return (name in ("date", "start", "end", "completion", "week_start")
            or name.endswith(("_date", "_start", "_end", "_ready", "_completion", "_at"))
            or name.startswith(("earliest_", "latest_")))


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read back a table :func:`write_tables` wrote: identifiers as text, dates and
    date-times (with their time of day) as timestamps.

    The one reader of planlib's own outputs (run folders, ``--out`` folders):
    a table written and read back equals the table written, up to float
    formatting.
    """
    frame = pd.read_csv(path, dtype={c: str for c in ID_COLUMNS}, low_memory=False)
    for col in frame.columns:
        if _is_date_column(col) and frame[col].dtype == object:
            frame[col] = pd.to_datetime(frame[col], errors="coerce", format="ISO8601")
    return frame


def mask_source(source: str | os.PathLike) -> str:
    """The source as it may be shown or logged: a database URL's password replaced by ``***``."""
    text = str(source)
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/:@]*):([^@/]*)@", r"\1:***@", text)


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike,
                 extra_files: Mapping[str, str | bytes] | None = None) -> Path:
    """Write tables as ``<name>.csv`` into ``out_dir``, all or nothing.

    Dates are written ``YYYY-MM-DD``, date-times with a time of day
    ``YYYY-MM-DD HH:MM`` (see :func:`read_table` for reading them back).

    The files go to a temporary folder beside ``out_dir`` and are moved in
    only when every one is written, so a failure never leaves half an output.
    Files in ``out_dir`` with other names are left alone. ``extra_files``
    maps further file names to their text or bytes (HTML pages, JSON).
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for name, frame in tables.items():
            _dates_as_text(frame).to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
        for name, content in (extra_files or {}).items():
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(tmp / name, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
                fh.write(content)
        out.mkdir(parents=True, exist_ok=True)
        for path in sorted(tmp.iterdir()):
            os.replace(path, out / path.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
