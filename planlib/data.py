"""Reading, checking and writing datasets: CSV folders, Excel workbooks, SQL databases.

All file and database access of planlib lives here; the engines take the
:class:`~planlib.dataset.Dataset` (or its tables) and never read files themselves.

A *source* is one of

- a folder of CSV files, one file per table (``items.csv``, ``bom.csv`` ...);
- an Excel workbook (``.xlsx``), one sheet per table, header in row 1;
- a SQL database as an SQLAlchemy URL (``sqlite:///plant.db``,
  ``postgresql://...``), one database table per table; a path ending in
  ``.db``/``.sqlite`` is taken as a SQLite file.

Every source gives the same typed :class:`~planlib.dataset.Dataset`: the cells are
read as text (:func:`read_raw`), typed by the contract (:func:`type_table`) and
checked (:func:`planlib.validate.validate`); :func:`load` does all three.
Outputs are written by :func:`write_tables` (CSV, or Parquet on request) and read back by
:func:`read_table`; :func:`table_path` finds a table of an output folder in either format.

``Dataset``, ``empty_table`` (:mod:`planlib.dataset`), ``mask_source`` and
``mask_text`` (:mod:`planlib.problems`) are importable from here too.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planlib.contract import TABLES, WEEKDAYS, Column, Table
from planlib.dataset import Dataset, empty_table
from planlib.problems import InputError, Problems, mask_source, mask_text
from planlib.validate import validate

__all__ = ["ID_COLUMNS", "Dataset", "check_source", "current_umask", "empty_table", "from_frames", "load",
           "mask_source", "mask_text", "read_dataset", "read_raw", "read_table", "record_text", "TABLE_FORMATS",
           "table_path", "table_to_text", "type_table", "write_dataset", "write_tables"]

_TRUE = {"true", "yes", "y", "1", "1.0", "t", "x"}
_FALSE = {"false", "no", "n", "0", "0.0", "f", ""}


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


#: Delimiters a spreadsheet may write instead of the comma, as a person names them.
_OTHER_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'"}


def _known_headers(name: str) -> set[str]:
    spec = TABLES.get(name)
    if spec is None:
        return set()
    return {c.name for c in spec.columns} | {a for c in spec.columns for a in c.aliases}


def _column_letter(position: int) -> str:
    """Spreadsheet letter of a 1-based column position (1 -> A, 27 -> AA)."""
    letters = ""
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_header(name: str, header: list[str], where: str, problems: Problems) -> list[bool]:
    """Report contract columns whose header appears more than once; True for the columns to keep.

    The first of the duplicates is kept (so the other checks still run); the
    error names every position, as a number and as a spreadsheet letter.
    """
    known = _known_headers(name)
    keep, seen = [], {}
    for pos, head in enumerate(header, start=1):
        head = str(head).strip()
        if head and head in seen:
            keep.append(False)
            if head in known:
                first = seen[head]
                problems.add(name, where, head, head,
                             f"column '{head}' appears twice: columns {first} and {pos} "
                             f"({_column_letter(first)} and {_column_letter(pos)}); only one can be used",
                             "delete one of the two columns or rename it")
        else:
            keep.append(True)
            seen.setdefault(head, pos)
    return keep


def _other_delimiter(name: str, header_line: str) -> str | None:
    """The delimiter the header line uses if it is clearly not the comma, else None."""
    known = _known_headers(name)

    def score(delim: str) -> tuple[int, int]:
        fields = [f.strip().strip('"').strip() for f in header_line.split(delim)]
        return sum(f in known for f in fields), len(fields)

    comma = score(",")
    for delim in _OTHER_DELIMITERS:
        hits, n = score(delim)
        if hits > comma[0] or (comma[1] == 1 and n > 1 and hits >= comma[0]):
            return delim
    return None


def _read_csv(path: Path, name: str, problems: Problems) -> tuple[pd.DataFrame, list[str]] | None:
    """One CSV file as text cells with the line each record starts on; None if unreadable.

    Stricter than a plain CSV reader, because every defect here would silently
    change the plan: another delimiter, a quote that is not closed (it merges
    the following lines into one value), a line with more or fewer fields
    than the header, a header that appears twice.
    """
    fix_text = "save it as comma-separated UTF-8 text with a header line (Excel: CSV UTF-8)"
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header_line = fh.readline().rstrip("\r\n")
            fh.seek(0)
            if not header_line.strip():
                problems.add(name, f"{path.name} header", "", "", "the file has no header line", fix_text)
                return None
            delim = _other_delimiter(name, header_line)
            if delim is not None:
                problems.add(name, f"{path.name} header", "", header_line[:60],
                             f"this file uses {_OTHER_DELIMITERS[delim]} as delimiter, not the comma",
                             f"save as comma-separated: {fix_text}, numbers with a decimal point")
                return None
            plain = _read_plain_csv(fh.read(), path.name)
            fh.seek(0)
            if plain is not None:
                header, frame, labels = plain
                return _keep_header(name, header, frame, f"{path.name} header", problems), labels
            reader = csv.reader(fh, skipinitialspace=True, strict=True)
            header: list[str] | None = None
            records, labels = [], []
            line = 1
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    problems.add(name, f"{path.name} line {line}", "", "",
                                 f"cannot read the line: {exc}; a quote is probably not closed",
                                 "close the quote or remove it (write \"\" for a quote inside a quoted value)")
                    return None
                first, line = line, reader.line_num + 1
                if not record or record == [""]:
                    continue  # a blank line
                if header is None:
                    header = [h.strip() for h in record]
                    continue
                where = f"{path.name} line {first}"
                if reader.line_num > first:
                    problems.add(name, where, "", record_text(record),
                                 f"a quoted value runs over lines {first} to {reader.line_num}: "
                                 "a quote is not closed, so these lines were read as one",
                                 f"close the quote on line {first} or remove it (write \"\" for a quote "
                                 "inside a quoted value); values cannot hold line breaks")
                    continue
                extra = record[len(header):]
                if len(record) < len(header) or any(v.strip() for v in extra):
                    problems.add(name, where, "", record_text(record),
                                 f"the line has {len(record)} fields, the header has {len(header)}",
                                 "give every line one value per header column, separated by commas "
                                 "(quote a value that holds a comma)")
                    continue
                records.append(record[:len(header)])
                labels.append(where)
    except UnicodeDecodeError as exc:
        problems.add(name, path.name, "", "", f"cannot read the file: not UTF-8 text (byte {exc.start})",
                     fix_text)
        return None
    if header is None:
        problems.add(name, f"{path.name} header", "", "", "the file has no header line", fix_text)
        return None
    frame = pd.DataFrame(records, columns=range(len(header)), dtype=object)
    return _keep_header(name, header, frame, f"{path.name} header", problems), labels


def _keep_header(name: str, header: list[str], frame: pd.DataFrame, where: str,
                 problems: Problems) -> pd.DataFrame:
    """Name the columns of ``frame`` (numbered 0..n-1) by ``header``; a duplicated header is reported
    and only its first column kept."""
    keep = _check_header(name, header, where, problems)
    frame = frame.loc[:, keep]
    frame.columns = [h for h, k in zip(header, keep) if k]
    return frame.reset_index(drop=True)


def _read_plain_csv(text: str, file_name: str) -> tuple[list[str], pd.DataFrame, list[str]] | None:
    """The fast path of :func:`_read_csv`: a file without quotes whose every line has the header's
    field count, read by pandas. None when the file needs the record-by-record reader."""
    if '"' in text:
        return None
    lengths, commas = _line_shapes(text)
    filled = np.flatnonzero(lengths > 0)
    if not len(filled):
        return None  # no header
    lines = _LINE_END.split(text, maxsplit=int(filled[0]) + 1)
    header = [h.strip() for h in lines[filled[0]].split(",")]
    n = len(header) - 1
    commas = commas[filled]
    if (commas[1:] != n).any():
        return None
    if n == 0 and any(not line.strip() for line in _LINE_END.split(text) if line):
        # a line of blanks (a record or a blank line?): the careful reader decides; with more than one
        # column a line of blanks has the wrong number of commas and is caught above
        return None
    frame = _read_cells(text, n + 1)
    if frame is None or len(frame) != len(filled) - 1:
        return None
    return header, frame, [f"{file_name} line {i}" for i in (filled[1:] + 1).tolist()]


_LINE_END = re.compile(r"\r\n|\n|\r")


def _line_shapes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Length and number of commas of every line of ``text`` (lines end in ``\\r\\n``, ``\\n`` or
    ``\\r``; the piece after the last line end is a line too), counted on the bytes with NumPy."""
    if "\r" in text:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(_LINE_END.split(text), type=pa.string())
        return pc.binary_length(arr).to_numpy(), pc.count_substring(arr, ",").to_numpy()
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    starts = np.r_[0, ends + 1]
    lengths = np.r_[ends, len(data)] - starts
    line_of_comma = np.searchsorted(ends, np.flatnonzero(data == ord(",")))
    return lengths, np.bincount(line_of_comma, minlength=len(starts))


def _read_cells(text: str, columns: int) -> pd.DataFrame | None:
    """The records after the header line of a CSV text without quotes, as text cells (Arrow-backed
    string columns named 0 .. ``columns - 1``, leading blanks dropped as the csv module's
    ``skipinitialspace`` drops them, blank lines skipped); None when Arrow cannot read it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    first = len(text) - len(text.lstrip("\r\n"))  # blank lines before the header
    end = _LINE_END.search(text, first)
    data = text[end.end():].encode("utf-8") if end else b""
    names = [f"c{i}" for i in range(columns)]
    if not data.strip(b"\r\n"):
        return pd.DataFrame({i: pd.Series([], dtype=object) for i in range(columns)})
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char=False, double_quote=False,
                                             escape_char=False, newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    cells = {i: pd.Series(pd.arrays.ArrowExtensionArray(pc.utf8_ltrim(table.column(i), characters=" ")))
             for i in range(columns)}
    return pd.DataFrame(cells)


def record_text(record: list[str], width: int = 60) -> str:
    """A record as the user wrote it, cut to ``width`` characters, line breaks shown as ⏎."""
    text = ",".join(record).replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    return text if len(text) <= width else text[:width - 3] + "..."


def _excel_checks(path: Path, names: Iterable[str], problems: Problems) -> dict[str, list[bool]]:
    """Duplicated headers and formulas without a stored value in the workbook's table sheets.

    pandas reads a formula cell whose result was never stored (a workbook written by a
    program, not saved by Excel) as empty, which an optional column turns into its
    default: report every such cell. Returns the columns to keep per sheet.
    """
    import openpyxl

    keep: dict[str, list[bool]] = {}
    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for name in names:
            if name not in formulas.sheetnames:
                continue
            rows_f = formulas[name].iter_rows(values_only=True)
            rows_v = values[name].iter_rows(values_only=True)
            header = None
            for r, (row_f, row_v) in enumerate(zip(rows_f, rows_v), start=1):
                if header is None:
                    header = ["" if h is None else str(h).strip() for h in row_f]
                    keep[name] = _check_header(name, header, f"sheet {name} header", problems)
                    continue
                for c, (f, v) in enumerate(zip(row_f, row_v), start=1):
                    is_formula = (isinstance(f, str) and f.startswith("=")) or type(f).__name__ in (
                        "ArrayFormula", "DataTableFormula")
                    if is_formula and v is None:
                        column = header[c - 1] if c - 1 < len(header) else _column_letter(c)
                        text = f if isinstance(f, str) else getattr(f, "text", "formula")
                        problems.add(name, f"sheet {name} row {r}", column, str(text)[:60],
                                     f"cell {_column_letter(c)}{r} holds a formula without a stored value",
                                     "open and save the workbook in Excel so the values are stored "
                                     "(or type the value)")
    finally:
        formulas.close()
        values.close()
    return keep


def read_raw(source: str | os.PathLike, tables: Iterable[str] | None = None
             ) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]], Problems]:
    """Read the tables of a source as text cells, with the row labels a user sees.

    Parameters
    ----------
    source : str or path
        A CSV folder, an ``.xlsx`` workbook or a database URL (see the module docstring).
    tables : iterable of str, optional
        Read only these tables (default: every table of the contract).

    Returns
    -------
    raw : dict of str to DataFrame
        The tables the source holds, their cells as text (an empty cell is ``""``), the
        columns as the source names them.
    rows : dict of str to list of str
        For each table, the label of each row as a user sees it (``items.csv line 7``).
    problems : Problems
        Problems with the source itself (a missing folder, another delimiter, a quote not
        closed ...). A database password never appears in them (see :func:`mask_source`).
    """
    wanted = list(TABLES) if tables is None else list(tables)
    kind = _source_kind(source)
    shown = mask_source(source)
    problems = Problems()
    raw: dict[str, pd.DataFrame] = {}
    rows: dict[str, list[str]] = {}
    if kind == "csv":
        folder = Path(source)
        if not folder.is_dir():
            problems.add("(source)", "", "", shown, "no such folder, workbook or database",
                         "give a folder of CSV files, an .xlsx workbook or a database URL")
            return raw, rows, problems
        for name in wanted:
            path = folder / f"{name}.csv"
            if not path.exists():
                continue
            read = _read_csv(path, name, problems)
            if read is not None:
                raw[name], rows[name] = read
    elif kind == "excel":
        path = Path(source)
        if not path.exists():
            problems.add("(source)", "", "", shown, "no such workbook", "check the path")
            return raw, rows, problems
        try:
            book = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
            keep = _excel_checks(path, [n for n in wanted if n in book], problems)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            problems.add("(source)", "", "", path.name, f"cannot read the workbook: {exc}",
                         "save it as an .xlsx workbook")
            return raw, rows, problems
        for name in wanted:
            if name in book:
                frame = book[name]
                if name in keep and len(keep[name]) == frame.shape[1]:
                    frame = frame.loc[:, keep[name]]
                raw[name] = frame.map(_excel_cell) if len(frame) else frame
                rows[name] = [f"sheet {name} row {i + 2}" for i in range(len(frame))]
    else:
        import sqlalchemy as sa

        url = _sql_url(source)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
            problems.add("(source)", "", "", shown, "no such database file", "check the path")
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
        except Exception as exc:  # driver errors vary by database; some echo the URL
            message = mask_text(f"cannot read the database: {exc}".splitlines()[0], source)
            problems.add("(source)", "", "", mask_source(url), message,
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
    """Parse text cells into the column's kind. Returns (parsed, bad_mask).

    Columns of ASCII text (nearly all) are parsed with Arrow's compute kernels
    (:func:`_parse_ascii_column`); a column holding any other character goes through
    :func:`_parse_column_python`, which the Arrow path reproduces cell for cell
    (``tests/test_data.py`` compares the two).
    """
    if col.kind in ("str", "float", "int", "date", "datetime", "bool"):
        text = _ascii_text(values)
        if text is not None:
            return _parse_ascii_column(text, values.index, col)
    if isinstance(values.dtype, pd.ArrowDtype):  # cells as read by Arrow: as Python text for the Python path
        values = pd.Series(values.to_numpy(dtype=object), index=values.index, dtype=object)
    return _parse_column_python(values, col)


#: The ASCII characters Python's ``str.strip`` removes (``\x1c``-``\x1f`` among them).
_ASCII_WHITESPACE = "".join(chr(c) for c in range(128) if chr(c).isspace())

#: A whole number too long for pandas' integer parsing (it reads as not a number there, and
#: ``_parse_column_python`` is kept for such a column so the finding stays the same).
_LONG_INTEGER = r"^[+-]?[0-9]{19,}$"


def _ascii_text(values: pd.Series):
    """The cells as an Arrow string array stripped as ``str.strip`` strips them, or None when
    a cell is not text or not ASCII (the Python path then parses the column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values.dtype, pd.ArrowDtype) and values.dtype.pyarrow_dtype in (pa.string(), pa.large_string()):
        arr = pa.chunked_array(values.array._pa_array).combine_chunks().cast(pa.string())
    else:
        try:
            arr = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    if arr.null_count or pc.all(pc.string_is_ascii(arr)).as_py() is False:
        return None
    return pc.ascii_trim(arr, characters=_ASCII_WHITESPACE)


def _parse_ascii_column(text, index: pd.Index, col: Column):
    """:func:`_parse_column_python` for stripped ASCII cells (an Arrow string array)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = col.kind
    empty_words = ["none", "null", "nat"] + ([] if kind in ("float", "int") else ["nan"])
    lower = pc.ascii_lower(text)
    empty_arr = pc.or_(pc.equal(text, ""), pc.is_in(lower, value_set=pa.array(empty_words)))
    empty = empty_arr.to_numpy(zero_copy_only=False)
    if kind == "str":
        whole = pc.match_substring_regex(text, r"^-?[0-9]+\.0$")  # "12.0" from Excel or SQL: keep "12"
        out = pc.if_else(whole, pc.utf8_slice_codeunits(text, 0, -2), text)
        out = pc.if_else(empty_arr, pa.scalar(None, pa.string()), out)
        return (pd.Series(out.to_numpy(zero_copy_only=False), index=index, dtype=object),
                pd.Series(False, index=index))
    if kind in ("float", "int"):
        cells = pc.if_else(empty_arr, pa.scalar(None, pa.string()), text)
        try:
            if pc.any(pc.match_substring_regex(cells, _LONG_INTEGER)).as_py():
                raise pa.ArrowInvalid("a whole number pandas does not read")
            num = pd.Series(pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False), index=index)
        except pa.ArrowInvalid:  # a cell that is not a number: pandas says which
            num = _to_numbers(pd.Series(cells.to_numpy(zero_copy_only=False), index=index))
        return _typed_numbers(num, pd.Series(empty, index=index), kind)
    if kind in ("date", "datetime"):
        iso = pc.match_substring_regex(text, f"^(?:{_ISO_DATE})$")
        cells = pc.if_else(pc.and_(iso, pc.invert(empty_arr)), text, pa.scalar(None, pa.string()))
        parsed = pd.to_datetime(pd.Series(cells.to_numpy(zero_copy_only=False), index=index),
                                errors="coerce", format="ISO8601")
        bad = parsed.isna() & ~empty
        if kind == "date":
            parsed = parsed.dt.normalize()
        return parsed, bad
    # bool
    truth = pc.is_in(lower, value_set=pa.array(sorted(_TRUE))).to_numpy(zero_copy_only=False)
    known = pc.is_in(lower, value_set=pa.array(sorted(_TRUE | _FALSE))).to_numpy(zero_copy_only=False)
    return pd.Series(truth, index=index), pd.Series(~known, index=index)


def _to_numbers(text: pd.Series) -> pd.Series:
    """``pandas.to_numeric(text, errors="coerce")`` as floats; a cell with an exponent of six digits or
    more is read by Python's ``float`` instead (pandas 2.3 crashes on ``1e40099999999999999999999``)."""
    huge = text.astype(object).where(text.notna(), "").astype(str).str.contains(r"[eE][+-]?\d{6,}")
    if not huge.any():
        return pd.to_numeric(text, errors="coerce").astype("float64")
    num = pd.to_numeric(text.where(~huge), errors="coerce").astype("float64")
    num[huge] = [_float_or_nan(v) for v in text[huge]]
    return num


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _typed_numbers(num: pd.Series, empty: pd.Series, kind: str):
    """Numbers read from text (NaN where empty or not a number) as the column's kind, and the
    cells that are bad: not finite, not a number, or for ``int`` fractional or too large."""
    # inf, -inf, 1e999 and a written NaN are not numbers a plan can use
    bad = ~np.isfinite(num.fillna(0.0)) | (num.isna() & ~empty)
    if kind == "int":
        bad |= num.abs() > _INT_LIMIT  # would overflow the integer type
        frac = num.notna() & (num != np.floor(num.fillna(0)))
        bad |= frac
        num = num.where(~bad)
        return num.round().astype("Int64"), bad
    return num.where(~bad), bad


def _parse_column_python(values: pd.Series, col: Column):
    """Parse text cells into the column's kind, cell by cell in Python. Returns (parsed, bad_mask)."""
    text = values.astype(str).str.strip()
    kind = col.kind
    # "NaN" is a value only in a text column; in a numeric one it is a non-finite number (an error)
    empty_words = ["none", "null", "nat"] + ([] if kind in ("float", "int") else ["nan"])
    empty = text.eq("") | text.str.lower().isin(empty_words)
    if kind == "str":
        out = text.where(~empty, None)
        # "12.0" from Excel or SQL for an id written as a number: keep "12"
        out = out.where(~out.fillna("").str.fullmatch(r"-?\d+\.0"), out.str[:-2])
        return out.astype(object), pd.Series(False, index=values.index)
    if kind in ("float", "int"):
        num = _to_numbers(text.where(~empty))
        return _typed_numbers(num, empty, kind)
    if kind in ("date", "datetime"):
        # ISO only: 03/04/2026 is 3 April in Europe and March 4 in the US (see _date_problem)
        iso = text.str.fullmatch(_ISO_DATE)
        parsed = pd.to_datetime(text.where(iso & ~empty), errors="coerce", format="ISO8601")
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
        num = _to_numbers(text.where(out.isna() & ~empty))
        out = out.fillna(num.where(num.isin(range(7))))
        bad = out.isna() & ~empty
        return out.astype("Int64"), bad
    if kind == "bool":
        lower = text.str.lower()
        bad = ~lower.isin(_TRUE | _FALSE)
        return lower.isin(_TRUE), bad
    raise ValueError(f"unknown column kind {kind}")


#: Largest magnitude read into a whole-number column (beyond it the integer type overflows).
_INT_LIMIT = 2.0 ** 53

#: The date and date-time forms read: ISO ``YYYY-MM-DD``, optionally with ``HH:MM`` or
#: ``HH:MM:SS`` (``T`` or a blank between). Excel and SQL date cells arrive in this form.
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"

_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?")


def _date_problem(value: str, kind: str) -> tuple[str, str]:
    """Problem and fix for a date cell that is not ISO: say what it would be, never guess."""
    example = "YYYY-MM-DD HH:MM" if kind == "datetime" else "YYYY-MM-DD"
    m = _DMY.fullmatch(str(value).strip())
    if not m:
        return f"not a valid {kind}", _KIND_FIX[kind]
    a, b, year = int(m.group(1)), int(m.group(2)), m.group(3)
    time = f" {m.group(4)}" if m.group(4) and kind == "datetime" else ""

    def iso(day: int, month: int) -> str:
        try:
            return dt.date(int(year), month, day).isoformat() + time
        except ValueError:
            return ""

    day_first, month_first = iso(a, b), iso(b, a)
    if day_first and month_first and day_first != month_first:
        return ("ambiguous date: day and month could be either way round",
                f"write dates as {example}: {day_first} if it is day/month/year, "
                f"{month_first} if month/day/year")
    if day_first or month_first:
        order = "day/month/year" if day_first else "month/day/year"
        return (f"date written {order}; only {example} is read",
                f"write dates as {example}: this one is {day_first or month_first}")
    return f"not a valid {kind}", _KIND_FIX[kind]


_KIND_FIX = {
    "float": "write a finite number such as 12.5 (no units or thousands separators; empty for no value)",
    "int": "write a whole number such as 3",
    "date": "write a date as YYYY-MM-DD, e.g. 2026-11-23",
    "datetime": "write a date and time as YYYY-MM-DD HH:MM, e.g. 2026-11-23 06:00",
    "time": "write a time as HH:MM, e.g. 06:00",
    "weekday": "write Mon, Tue, Wed, Thu, Fri, Sat or Sun",
    "bool": "write true or false",
}


def type_table(spec: Table, raw: pd.DataFrame, labels: list[str], problems: Problems) -> pd.DataFrame:
    """Type one raw table by its contract; bad cells are recorded as problems and become empty.

    Parameters
    ----------
    spec : Table
        The table's contract (:data:`planlib.contract.TABLES`).
    raw : DataFrame
        The table as text cells (as :func:`read_raw` gives it); a column may be named by
        one of its aliases.
    labels : list of str
        The row labels a user sees, one per row of ``raw``.
    problems : Problems
        Collects one problem per cell that does not parse and per required column missing.

    Returns
    -------
    DataFrame
        The contract's columns in the contract's order, typed (see
        :func:`planlib.dataset.empty_table`) and with the contract's defaults filled, a
        ``RangeIndex``; units as :mod:`planlib.contract` documents each column.
    """
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
            value = values.iloc[pos]
            if col.kind in ("date", "datetime"):
                problem, fix = _date_problem(value, col.kind)
            elif col.kind in ("float", "int") and str(value).strip().lower().lstrip("+-") in (
                    "inf", "infinity", "nan") or _is_overflow(value):
                problem, fix = "not a finite number", "write a finite number (empty for no value)"
            else:
                problem, fix = f"not a valid {col.kind}", _KIND_FIX.get(col.kind, "")
            problems.add(spec.name, labels[pos], col.name, value, problem, fix)
        if col.default is not None and col.kind != "bool":
            parsed = parsed.where(parsed.notna() | bad, col.default)
            if col.kind == "int":
                parsed = parsed.astype("Int64")
        out[col.name] = parsed
    frame = pd.DataFrame(out, index=range(len(raw)))
    return frame


def _is_overflow(value) -> bool:
    try:
        return not np.isfinite(float(str(value).strip()))
    except ValueError:
        return False


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
    ds, problems = check_source(source, tables)
    errors = problems[problems.severity == "error"]
    if strict and len(errors):
        raise InputError(f"{len(errors)} problem(s) in {mask_source(source)}", problems)
    return Dataset(ds.tables, ds.source, ds.present, ds.rows, problems[problems.severity == "warning"])


def read_dataset(source: str | os.PathLike, tables: Iterable[str] | None = None
                 ) -> tuple[Dataset, Problems]:
    """Read and type a source without the cross-table checks: ``(dataset, problems)``."""
    raw, rows, problems = read_raw(source, tables)
    typed = {name: type_table(TABLES[name], frame, rows[name], problems) for name, frame in raw.items()}
    return Dataset(typed, str(source), frozenset(typed), rows), problems


def check_source(source, tables: Iterable[str] | None = None, today=None) -> tuple[Dataset, pd.DataFrame]:
    """Read a source and check it: the typed dataset and every problem found.

    Problems of reading and typing come first; a cell that failed to parse is
    reported once, not again as empty.

    Parameters
    ----------
    source : str or path
        A CSV folder, an ``.xlsx`` workbook or a database URL.
    tables : iterable of str, optional
        Read and check only these tables.
    today : date-like, optional
        As in :func:`planlib.validate.validate` (default: its reference day).

    Returns
    -------
    dataset : Dataset
    problems : DataFrame
        Columns ``severity (error|warning), table, row, column, value, problem, fix``
        (see :mod:`planlib.problems`); empty when the source is clean.
    """
    ds, problems = read_dataset(source, tables)
    frame = pd.concat([problems.frame(), validate(ds, tables, today=today)], ignore_index=True)
    frame = frame.drop_duplicates(subset=["severity", "table", "row", "column"], keep="first")
    return ds, frame.reset_index(drop=True)


def from_frames(tables: Mapping[str, pd.DataFrame], source: str = "(memory)") -> Dataset:
    """A Dataset from in-memory frames (notebooks, tests, generated factories).

    The frames go through the same typing as files, so defaults are filled
    and types are checked; raises :class:`InputError` on a cell that does not parse.

    Parameters
    ----------
    tables : Mapping of str to DataFrame
        Tables of the contract by name, with the contract's columns (``docs/data-contract.md``);
        values may be text or already typed.
    source : str
        The name the dataset gives its source in messages.

    Returns
    -------
    Dataset
        Row labels ``<table> row <n>`` (1-based).
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
    """A typed table as the text a user writes (dates ISO, times HH:MM, weekdays Mon..Sun).

    Parameters
    ----------
    name : str
        The table's name in the contract; a table not in the contract is returned as a copy.
    frame : DataFrame
        The typed table (the contract's columns).

    Returns
    -------
    DataFrame
        The same columns as text: dates ``YYYY-MM-DD``, date-times ``YYYY-MM-DD HH:MM``, times
        of day ``HH:MM``, weekdays ``Mon`` .. ``Sun``, flags ``true``/``false``, numbers without a
        trailing ``.0``; other columns unchanged.
    """
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

    Parameters
    ----------
    ds : Dataset or Mapping of str to DataFrame
        The tables by name, typed as the contract says; written as :func:`table_to_text` gives them.
    dest : str or path
        A folder, an ``.xlsx`` workbook or a database URL.

    Returns
    -------
    Path or str
        Where the tables went: the folder or workbook path, or the database URL.
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


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows (``/proc/self/status``);
    files planlib writes get ``0o666 & ~umask``, folders ``0o777 & ~umask``, as any other program's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _atomic_file:
    """Context manager: a temporary path beside ``dest``, renamed onto it on success.

    The file gets the permissions any new file gets (``0666`` less the umask), not
    the ``0600`` of :func:`tempfile.mkstemp`, so others can read a converted workbook
    when the umask lets them.
    """

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
            os.chmod(self.tmp, 0o666 & ~current_umask())
            os.replace(self.tmp, self.dest)
        else:
            self.tmp.unlink(missing_ok=True)


def _date_format(s: pd.Series) -> str:
    """``%Y-%m-%d`` where every value of the date-time column is a midnight, ``%Y-%m-%d %H:%M``
    where one has a time of day, ``%Y-%m-%d %H:%M:%S`` where one has seconds."""
    since_midnight = (s - s.dt.normalize()).dropna()
    if (since_midnight % pd.Timedelta(minutes=1) != pd.Timedelta(0)).any():
        return "%Y-%m-%d %H:%M:%S"
    if (since_midnight != pd.Timedelta(0)).any():
        return "%Y-%m-%d %H:%M"
    return "%Y-%m-%d"


def _date_text(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A date-time column as ISO text (:func:`_date_format`), each distinct value formatted
    once: ``(codes, texts)``, the text of row ``i`` being ``texts[codes[i]]`` (-1: no date)."""
    if s.dt.tz is not None:
        s = s.dt.tz_localize(None)
    codes, uniques = pd.factorize(s)
    uniques = pd.Series(pd.DatetimeIndex(uniques))
    return codes, list(uniques.dt.strftime(_date_format(uniques)))


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
        codes, texts = _date_text(out[c])
        text = np.asarray(texts + [np.nan], dtype=object)  # -1 (no date) takes the last: empty
        out[c] = pd.Series(text[codes], index=out.index, dtype=object)
    return out


#: Characters that make a CSV value quoted (Python's csv writer, ``lineterminator="\n"``) or that
#: Arrow's writer does not write unquoted: a table holding one is written by pandas.
_CSV_SPECIAL = r'[,"\n\r]'


def _csv_text(s: pd.Series):
    """One column as the text ``DataFrame.to_csv`` writes for it, as an Arrow string array
    (null: an empty field), or None when the column is not of a kind formatted here.

    Each distinct value is formatted once by the same function pandas uses (NumPy's ``str`` of a
    float: ``1.0``, ``1e+16``; :func:`_date_text` for dates), then taken for every row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        codes, texts = _date_text(s)
        return _dictionary(codes, pa.array(texts, type=pa.string()))
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        values = np.ascontiguousarray(s.to_numpy())
        if dtype.kind == "f":
            if dtype != np.float64:
                return None
            codes, bits = pd.factorize(values.view(np.int64))  # -0.0 and 0.0 apart, as written
            uniques = bits.view(np.float64)
            texts, missing = uniques.astype(str), np.isnan(uniques)
        else:
            codes, uniques = pd.factorize(values)
            texts, missing = np.asarray(uniques).astype(str), None
        return _dictionary(codes, pa.array(texts, type=pa.string(), mask=missing))
    if isinstance(dtype, (pd.Int64Dtype, pd.Int32Dtype, pd.Int16Dtype, pd.Int8Dtype, pd.BooleanDtype)):
        codes, uniques = pd.factorize(s)
        return _dictionary(codes, pa.array([str(v) for v in uniques], type=pa.string()))
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype == object:
        # the text of each category once, then taken by the codes (-1: missing, an empty field)
        categories = _csv_text(pd.Series(dtype.categories, dtype=object))
        if categories is None:
            return None
        return _dictionary(np.asarray(s.cat.codes), categories)
    if dtype == object or isinstance(dtype, pd.CategoricalDtype):
        values = s.to_numpy(dtype=object)
        try:
            arr = pa.array(values, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None  # not all text: pandas writes it
        if len(arr) and pc.any(pc.match_substring_regex(arr, _CSV_SPECIAL)).as_py():
            return None
        return arr
    return None


def _dictionary(codes: np.ndarray, texts):
    """Row ``i`` is ``texts[codes[i]]`` (-1: missing), as an Arrow dictionary array."""
    import pyarrow as pa

    indices = pa.array(codes.astype(np.int32, copy=False), mask=codes < 0)
    if isinstance(texts, pa.DictionaryArray):  # categories that were themselves a dictionary
        texts = texts.dictionary_decode()
    return pa.DictionaryArray.from_arrays(indices, texts)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as ``DataFrame.to_csv(path, index=False, lineterminator="\\n")`` writes it (dates as
    :func:`_dates_as_text`), byte for byte: by Arrow's CSV writer from the columns' text
    (:func:`_csv_text`), or by pandas when a column is not formatted there or a value needs quotes."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    columns = None
    if isinstance(frame, pd.DataFrame) and frame.shape[1] > 1 and not isinstance(frame.columns, pd.MultiIndex):
        columns = []
        for i in range(frame.shape[1]):
            text = _csv_text(frame.iloc[:, i])
            if text is None:
                columns = None
                break
            columns.append(text)
    if columns is None:
        _dates_as_text(frame).to_csv(path, index=False, lineterminator="\n")
        return
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([str(c) for c in frame.columns])
    table = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
    with open(path, "wb") as fh:
        fh.write(header.getvalue().encode("utf-8"))
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def _parquet_table(frame: pd.DataFrame):
    """``frame`` as an Arrow table for Parquet, its dtypes kept; a column of mixed values (a KPI
    value column holding numbers and words) is stored as text, as a CSV file reads it back."""
    import pyarrow as pa

    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    frame = frame.copy()
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if col.dtype != object:
            continue
        try:
            pa.array(col.to_numpy(dtype=object), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = col.map(lambda v: v if isinstance(v, str) else str(v))
            frame.isetitem(i, text.where(col.notna(), None))
    return pa.Table.from_pandas(frame, preserve_index=False)


#: Columns of planlib's own output tables read as text (identifiers keep leading zeros).
ID_COLUMNS = ("item_id", "order_id", "supplier_id", "supply_id", "demand_id", "demand_item_id",
              "work_center_id", "machine_id", "component_id", "parent_id", "customer_id", "op_seq_text")


def _is_date_column(name: str) -> bool:
    name = str(name)
    return (name in ("date", "start", "end", "completion", "week_start")
            or name.endswith(("_date", "_start", "_end", "_ready", "_completion", "_at"))
            or name.startswith(("earliest_", "latest_")))


#: The formats planlib writes its output tables in (:func:`write_tables`), by file suffix.
TABLE_FORMATS = {"csv": ".csv", "parquet": ".parquet"}


def table_path(folder: str | os.PathLike, name: str) -> Path | None:
    """The file of table ``name`` in an output folder, in either format, or None if neither is there.

    Parameters
    ----------
    folder : str or path
        An output folder (a run folder's step folder, a ``--out`` folder).
    name : str
        The table's name (``planned_orders``), without a suffix.

    Returns
    -------
    Path or None
        ``<folder>/<name>.csv`` or ``<folder>/<name>.parquet``, whichever exists (a folder holds
        each table in one format: :func:`write_tables` removes the other).
    """
    for suffix in TABLE_FORMATS.values():
        path = Path(folder) / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read back a table :func:`write_tables` wrote, CSV or Parquet (by the file's suffix):
    identifiers as text, dates and date-times (with their time of day) as timestamps.

    The one reader of planlib's own outputs (run folders, ``--out`` folders):
    a table written and read back equals the table written, up to float
    formatting in CSV; the two formats read back the same.

    Parameters
    ----------
    path : str or path
        A ``.csv`` or ``.parquet`` file.

    Returns
    -------
    DataFrame
        The file's columns; the columns of :data:`ID_COLUMNS` as text, date columns (``date``,
        ``start``, ``end``, ``*_date``, ``*_start`` ...) as ``datetime64``, the rest as pandas
        reads them from CSV, or with the dtypes written from Parquet; categories as text, and empty
        or missing text as NaN, in both formats.
    """
    if Path(path).suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype):  # text, as CSV reads it back
                frame[col] = frame[col].astype(object)
            if frame[col].dtype == object:
                given = frame[col].notna() & frame[col].ne("")
                if not given.all():  # empty or missing text: NaN, as a CSV file reads it back
                    frame[col] = frame[col].where(given, np.nan)
            if col in ID_COLUMNS and frame[col].dtype != object:
                # as a CSV file reads an identifier written as a number: its text, missing kept
                text = frame[col].astype(str).astype(object)
                frame[col] = text.where(frame[col].notna(), np.nan)
    else:
        frame = pd.read_csv(path, dtype={c: str for c in ID_COLUMNS}, low_memory=False)
    for col in frame.columns:
        if _is_date_column(col) and frame[col].dtype == object:
            frame[col] = pd.to_datetime(frame[col], errors="coerce", format="ISO8601")
    return frame


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike,
                 extra_files: Mapping[str, str | bytes] | None = None, table_format: str = "csv") -> Path:
    """Write tables as ``<name>.csv`` (or ``<name>.parquet``) into ``out_dir``, all or nothing.

    CSV: dates are written ``YYYY-MM-DD``, date-times with a time of day
    ``YYYY-MM-DD HH:MM`` (see :func:`read_table` for reading them back); the bytes are those of
    ``DataFrame.to_csv(index=False)``. Parquet keeps the dtypes (dates stay dates, identifiers
    text); a column of mixed values is stored as text, as CSV reads it back.

    The files go to a temporary folder beside ``out_dir`` and are moved in
    only when every one is written, so a failure never leaves half an output.
    A table written in one format replaces its file in the other (a folder
    holds each table once); files in ``out_dir`` with other names are left alone.

    Parameters
    ----------
    tables : Mapping of str to DataFrame
        The tables by file name (without the suffix), any columns; written without the index.
    out_dir : str or path
        The folder; made if missing.
    extra_files : Mapping of str to str or bytes, optional
        Further files by name, their text or bytes (HTML pages, JSON).
    table_format : {"csv", "parquet"}
        The tables' file format (:data:`TABLE_FORMATS`).

    Returns
    -------
    Path
        ``out_dir``.
    """
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {table_format!r}: one of {', '.join(TABLE_FORMATS)}")
    suffix = TABLE_FORMATS[table_format]
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for name, frame in tables.items():
            if table_format == "parquet":
                import pyarrow.parquet as pq

                pq.write_table(_parquet_table(frame), tmp / f"{name}{suffix}")
            else:
                _write_csv(frame, tmp / f"{name}{suffix}")
        for name, content in (extra_files or {}).items():
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(tmp / name, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
                fh.write(content)
        out.mkdir(parents=True, exist_ok=True)
        for path in sorted(tmp.iterdir()):
            os.replace(path, out / path.name)
        for name in tables:  # the table's file in the other format is now stale
            for other in TABLE_FORMATS.values():
                if other != suffix:
                    (out / f"{name}{other}").unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
