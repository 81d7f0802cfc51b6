"""Loading and writing datasets: the three sources give the same typed tables."""
from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from planlib.contract import TABLES
from planlib.data import empty_table, from_frames, load, read_dataset, write_dataset, write_tables
from planlib.problems import InputError


def _assert_same(a, b):
    assert a.present == b.present
    for name in a.present:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=True, obj=name)


@pytest.mark.parametrize("suffix", ["plant.xlsx", "plant.db"])
def test_excel_and_sqlite_load_identically_to_csv(sample, tmp_path, suffix):
    dest = tmp_path / suffix
    write_dataset(sample, dest)
    again = load(dest)
    _assert_same(sample, again)
    first = "sheet items row 2" if suffix.endswith("xlsx") else "table items row 1"
    assert again.where("items", 0) == first


def test_sqlalchemy_url_is_a_source(sample, tmp_path):
    db = tmp_path / "plant.sqlite"
    write_dataset(sample, db)
    _assert_same(sample, load(f"sqlite:///{db}"))


def test_csv_round_trip_is_byte_identical(sample_dir, tmp_path):
    ds = load(sample_dir)
    write_dataset(ds, tmp_path / "copy")
    for path in sample_dir.glob("*.csv"):
        assert (tmp_path / "copy" / path.name).read_bytes() == path.read_bytes(), path.name


def test_typed_columns_follow_the_contract(sample):
    items = sample.items
    assert list(items.columns) == TABLES["items"].column_names
    assert items.lead_time_days.dtype == np.float64
    assert pd.api.types.is_datetime64_any_dtype(sample.demand.due_date)
    assert sample.calendars.weekday.tolist()[:2] == [0, 0]  # "Mon" parsed to 0
    assert sample.calendars.start_time.tolist()[:2] == [6.0, 14.0]  # "06:00" in hours
    assert sample.routings.uninterruptible.dtype == bool


def test_only_requested_tables_are_read(sample_dir):
    ds = load(sample_dir, tables=["demand_history"])
    assert ds.present == frozenset({"demand_history"})
    assert len(ds.demand_history) > 1000
    assert ds.items.empty and list(ds.items.columns) == TABLES["items"].column_names


def test_defaults_fill_absent_optional_columns():
    ds = from_frames({"items": pd.DataFrame({"item_id": ["A"], "item_type": ["buy"], "lead_time_days": [7]})})
    row = ds.items.iloc[0]
    assert row.lot_rule == "L4L" and row.uom == "ea" and row.holding_cost_rate == 0.25
    assert row.safety_stock == 0.0 and np.isnan(row.max_order_qty)


def test_from_frames_rejects_unparseable_cells():
    with pytest.raises(InputError) as info:
        from_frames({"demand": pd.DataFrame({"order_id": ["1"], "item_id": ["A"], "qty": ["ten"],
                                             "due_date": ["2026-01-05"]})})
    problems = info.value.problems
    assert problems[["table", "row", "column", "value"]].values.tolist() == [["demand", "demand row 1", "qty", "ten"]]


def test_numbers_written_as_ids_stay_ids(tmp_path):
    (tmp_path / "items.csv").write_text("item_id,item_type,lead_time_days\n1001,buy,7\n")
    ds, problems = read_dataset(tmp_path)
    assert ds.items.item_id.tolist() == ["1001"] and len(problems) == 0


def test_write_tables_leaves_nothing_half_written(tmp_path):
    out = tmp_path / "out"
    write_tables({"a": pd.DataFrame({"x": [1]})}, out)

    class Boom:
        def to_csv(self, *args, **kwargs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_tables({"b": pd.DataFrame({"x": [2]}), "c": Boom()}, out)
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_empty_table_has_contract_dtypes():
    t = empty_table("scheduled_receipts")
    assert pd.api.types.is_datetime64_any_dtype(t.due_date) and t.qty.dtype == np.float64


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(InputError) as info:
        load(tmp_path / "nowhere")
    assert "no such folder" in info.value.problems.problem.iloc[0]


def test_copy_of_sample_with_extra_columns_still_loads(sample_dir, tmp_path):
    src = tmp_path / "plant"
    shutil.copytree(sample_dir, src)
    items = (src / "items.csv").read_text().splitlines()
    items = [items[0] + ",planner_note"] + [line + ",ok" for line in items[1:]]
    (src / "items.csv").write_text("\n".join(items) + "\n")
    assert "planner_note" not in load(src).items


def test_write_tables_keeps_the_time_of_day_and_read_table_reads_it_back(tmp_path):
    from planlib.data import read_table

    frame = pd.DataFrame({
        "order_id": ["007", "PLN-1"],
        "start": pd.to_datetime(["2026-11-23 06:30", "2026-11-24 00:00"]),
        "due_date": pd.to_datetime(["2026-11-27", "2026-11-30"]),
        "qty": [1.5, 2.0],
    })
    write_tables({"schedule": frame}, tmp_path)
    text = (tmp_path / "schedule.csv").read_text()
    assert "2026-11-23 06:30" in text and "2026-11-24 00:00" in text
    assert "2026-11-27," in text and "2026-11-27 00:00" not in text  # date-only columns stay dates
    back = read_table(tmp_path / "schedule.csv")
    pd.testing.assert_frame_equal(back, frame)


def test_mask_source_hides_a_database_password():
    from planlib.data import mask_source

    assert mask_source("postgresql://planner:S3cret@host/plant") == "postgresql://planner:***@host/plant"
    assert mask_source("postgresql+psycopg://u:p%40ss@db:5432/x") == "postgresql+psycopg://u:***@db:5432/x"
    assert mask_source("sqlite:///plant.db") == "sqlite:///plant.db"
    assert mask_source("data/sample") == "data/sample"


@pytest.mark.parametrize("umask", [0o022, 0o077])
@pytest.mark.parametrize("suffix", ["plant.xlsx", "plant.db"])
def test_written_workbooks_and_databases_follow_the_umask(sample, tmp_path, umask, suffix):
    """planlib convert's workbook was 0600 (mkstemp) whatever the umask (issue #12 item 10)."""
    import os
    import stat

    old = os.umask(umask)
    try:
        dest = write_dataset(sample, tmp_path / suffix)
    finally:
        os.umask(old)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~umask


# --------------------------------------------------------------------------- issue #12: what the reader refuses

from hypothesis import given  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELL = st.text(st.sampled_from(list("ab7,;\"'| -.")), max_size=8).map(str.strip)


@given(st.lists(st.tuples(_CELL, _CELL, _CELL), max_size=12), st.lists(st.booleans(), max_size=12))
@hsettings(max_examples=60, deadline=None)
def test_any_csv_a_writer_quotes_is_read_back_cell_for_cell_with_its_lines(rows, blanks):
    """Invariant: commas, quotes and semicolons inside values survive; each row is labelled with the line
    it is on, blank lines counted."""
    import csv
    import io
    import tempfile
    from pathlib import Path

    from planlib.data import read_raw

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["item_id", "description", "family"])
    lines, line = [], 1
    for i, row in enumerate(rows):
        if i < len(blanks) and blanks[i]:
            buf.write("\n")
            line += 1
        writer.writerow(row)
        line += 1
        lines.append(f"items.csv line {line}")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "items.csv").write_text(buf.getvalue())
        raw, labels, problems = read_raw(folder, ["items"])
    assert len(problems) == 0
    assert raw["items"].values.tolist() == [list(r) for r in rows]  # ",," is a record of empty cells
    assert labels["items"] == lines


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
@hsettings(max_examples=80, deadline=None)
def test_iso_dates_are_read_and_day_month_forms_never_are(day):
    """Invariant: YYYY-MM-DD reads as that date; dd/mm/yyyy and mm/dd/yyyy never read as a date."""
    from planlib.contract import Column
    from planlib.data import _date_problem, _parse_column

    col = Column("due_date", "date")
    forms = [day.isoformat(), f"{day:%d/%m/%Y}", f"{day:%m/%d/%Y}", f"{day:%d.%m.%Y}"]
    parsed, bad = _parse_column(pd.Series(forms), col)
    assert parsed.iloc[0] == pd.Timestamp(day) and not bad.iloc[0]
    assert bad.iloc[1:].all() and parsed.iloc[1:].isna().all()
    problem, fix = _date_problem(forms[1], "date")
    if day.day <= 12 and day.day != day.month:
        assert problem.startswith("ambiguous") and day.isoformat() in fix
    else:
        assert f"this one is {day.isoformat()}" in fix


def test_datetime_columns_read_iso_with_minutes_or_seconds():
    from planlib.contract import Column
    from planlib.data import _parse_column

    parsed, bad = _parse_column(pd.Series(["2026-11-23 06:30", "2026-11-23T06:30:15", "2026-11-23", "23.11.2026 06:30"]),
                                Column("start", "datetime"))
    assert parsed.iloc[:3].tolist() == [pd.Timestamp("2026-11-23 06:30"), pd.Timestamp("2026-11-23 06:30:15"),
                                       pd.Timestamp("2026-11-23")]
    assert bad.tolist() == [False, False, False, True]


@given(st.text(st.sampled_from(list("aZ9!$%&()+=~@/:?#[]")), max_size=12))
@hsettings(max_examples=80, deadline=None)
def test_mask_text_never_shows_the_password(tail):
    from urllib.parse import quote

    password = "Qx" + tail  # any characters, URL-encoded in the URL; shown raw or encoded by a driver
    from planlib.data import mask_source, mask_text

    url = f"postgresql://planner:{quote(password, safe='')}@db.example:5432/plant"
    message = f"could not connect to {url}: password {password!s} rejected, {quote(password, safe='')} too"
    for text in (mask_text(message, url), mask_source(url)):
        assert quote(password, safe="") not in text
    assert password not in mask_text(message, url)
    assert mask_source(url) == "postgresql://planner:***@db.example:5432/plant"


def test_an_unreadable_csv_line_names_it(tmp_path):
    (tmp_path / "demand.csv").write_text('order_id,item_id,qty,due_date\nSO-1,A,5,2026-11-23\n"SO-2,A,5,2026-11-24\n')
    _, labels, problems = read_raw_problems(tmp_path)
    assert problems[["row", "problem"]].values.tolist()[0][0] == "demand.csv line 3"
    assert "quote" in problems.problem.iloc[0]


def test_trailing_empty_fields_are_accepted_but_extra_values_are_not(tmp_path):
    (tmp_path / "items.csv").write_text("item_id,item_type,lead_time_days\nA,buy,7,,\nB,buy,7,x\n")
    raw, labels, problems = read_raw_problems(tmp_path)
    assert raw["items"].item_id.tolist() == ["A"] and labels["items"] == ["items.csv line 2"]
    assert problems[["row", "problem"]].values.tolist() == [["items.csv line 3", "the line has 4 fields, the header has 3"]]


def read_raw_problems(folder):
    from planlib.data import read_raw

    raw, labels, problems = read_raw(folder)
    return raw, labels, problems.frame()


# --------------------------------------------------------------------------- fast paths against pandas and Python

_CELLS = ["", " ", "\t", "\x1c", "1", "12", "12.0", "-3", "+4", ".5", "5.", "1e5", "1e400", "inf", "-Inf", "nan",
          "NaN", "none", "NULL", "nat", "true", "Yes", "y", "x", "F", "0", "0.0", "no", "abc", "a,b", "2026-11-23",
          "2026-11-23 06:30", "2026-11-23T06:30:15", "2026-02-30", "23.11.2026", "-" + "9" * 19, "1_000", "1,5",
          "0.30000000000000004", "-0012.0"]


# (no cell with an exponent of 20 digits and more: pandas.to_numeric, the Python path's parser, crashes on
# "1e40099999999999999999999")
@given(st.lists(st.lists(st.sampled_from(_CELLS), min_size=1, max_size=3).map("".join), min_size=1, max_size=40))
@hsettings(max_examples=150, deadline=None)
def test_ascii_columns_parse_as_the_python_parser_does(cells):
    """The Arrow path of _parse_column gives the values and the bad cells of the cell-by-cell parser."""
    from planlib.contract import Column
    from planlib.data import _parse_column, _parse_column_python

    values = pd.Series(cells, dtype=object)
    for kind in ("str", "float", "int", "date", "datetime", "bool"):
        fast, fast_bad = _parse_column(values, Column("c", kind))
        ref, ref_bad = _parse_column_python(values, Column("c", kind))
        assert fast_bad.astype(bool).tolist() == ref_bad.astype(bool).tolist(), kind
        pd.testing.assert_series_equal(fast, ref, check_names=False, obj=kind)
        if kind == "str":
            assert [v is None for v in fast] == [v is None for v in ref]


def test_a_column_with_other_text_goes_the_python_way():
    from planlib.contract import Column
    from planlib.data import _ascii_text, _parse_column

    values = pd.Series(["Ø 32 mm", "١٢.0", " ok\u00a0"], dtype=object)
    assert _ascii_text(values) is None
    parsed, bad = _parse_column(values, Column("description", "str"))
    assert parsed.tolist() == ["Ø 32 mm", "١٢", "ok"] and not bad.any()  # Python's \d and str.strip


def _edge_frame():
    return pd.DataFrame({
        "s": ["a", "b", None, np.nan, "ü", ""],
        "f": [1.0, -0.0, 0.0, np.nan, 1e16, 1e-5],
        "g": [0.1 + 0.2, 3.14159, np.inf, -np.inf, 2.5e-7, 123456789.123],
        "i": [1, 2, 3, 4, 5, -6],
        "I": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "b": [True, False, True, True, False, False],
        "B": pd.array([True, None, False, True, False, True], dtype="boolean"),
        "d": pd.to_datetime(["2026-11-23", None, "2026-11-30", "2026-11-23", "2027-01-01", "2026-11-23"]),
        "t": pd.to_datetime(["2026-11-23 06:30", None, "2026-11-30", "2026-11-23", "2027-01-01", "2026-11-23"],
                            format="ISO8601"),
        "u": pd.to_datetime(["2026-11-23 06:30:15", None, "2026-11-30", "2026-11-23", "2027-01-01", "2026-11-23"],
                            format="ISO8601"),
        "c": pd.Categorical(["x", "y", "x", None, "y", "x"]),
    })


@pytest.mark.parametrize("variant", ["plain", "empty", "quoted", "mixed", "one column", "time zone", "numbered"])
def test_csv_is_written_byte_for_byte_as_pandas_writes_it(tmp_path, variant):
    from planlib.data import _dates_as_text, _write_csv

    f = _edge_frame()
    frame = {"plain": f, "empty": f.iloc[:0], "quoted": f.assign(s=['a,b', 'say "hi"', "x\ny", "r\rs", "", "z"]),
             "mixed": f.assign(o=[1, "x", 2.5, None, True, "y"]), "one column": f[["f"]],
             "time zone": f.assign(z=f.t.dt.tz_localize("Europe/Berlin")),
             "numbered": f.set_axis(range(f.shape[1]), axis=1)}[variant]
    _write_csv(frame, tmp_path / "fast.csv")
    # what write_tables wrote before: dates as ISO text (the old formatting, value by value), then pandas
    old = frame.copy()
    for c in old.columns:
        if pd.api.types.is_datetime64_any_dtype(old[c]):
            s = old[c].dt.tz_localize(None) if old[c].dt.tz is not None else old[c]
            since_midnight = (s - s.dt.normalize()).dropna()
            fmt = "%Y-%m-%d %H:%M:%S" if (since_midnight % pd.Timedelta(minutes=1) != pd.Timedelta(0)).any() \
                else "%Y-%m-%d %H:%M" if (since_midnight != pd.Timedelta(0)).any() else "%Y-%m-%d"
            old[c] = s.dt.strftime(fmt)
    old.to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    assert _dates_as_text(frame).equals(old)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=2, max_size=30))
@hsettings(max_examples=100, deadline=None)
def test_floats_are_written_as_pandas_writes_them(tmp_path_factory, values):
    from planlib.data import _write_csv

    folder = tmp_path_factory.mktemp("floats")
    frame = pd.DataFrame({"x": values, "n": range(len(values))})
    _write_csv(frame, folder / "fast.csv")
    frame.to_csv(folder / "pandas.csv", index=False, lineterminator="\n")
    assert (folder / "fast.csv").read_bytes() == (folder / "pandas.csv").read_bytes()


def test_parquet_tables_read_back_as_csv_ones(tmp_path):
    """Each format read back by read_table gives the same frame; Parquet replaces the CSV file of the
    same table, and table_path finds whichever is there."""
    from planlib.data import read_table, table_path

    kpis = pd.DataFrame({"kpi": ["on_time_pct", "solver_status"], "value": [85.5, "OPTIMAL"], "unit": ["%", ""]})
    orders = pd.DataFrame({"order_id": ["007", "PLN-2"], "item_id": ["A", "B"], "qty": [1.5, 2.0],
                           "due_date": pd.to_datetime(["2026-11-23", "2026-11-30"]),
                           "start": pd.to_datetime(["2026-11-23 06:30", None]), "unit": ["", "h"],
                           "supply_type": pd.Categorical(["on_hand", None]), "note": [None, "x"]})
    tables = {"kpis": kpis, "orders": orders}
    write_tables(tables, tmp_path / "csv")
    write_tables(tables, tmp_path / "pq", table_format="parquet")
    for name in tables:
        pd.testing.assert_frame_equal(read_table(table_path(tmp_path / "csv", name)),
                                      read_table(table_path(tmp_path / "pq", name)), obj=name)
    assert read_table(tmp_path / "pq" / "orders.parquet").order_id.tolist() == ["007", "PLN-2"]
    write_tables(tables, tmp_path / "csv", table_format="parquet")  # the same folder, now Parquet
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == ["kpis.parquet", "orders.parquet"]
    assert table_path(tmp_path / "csv", "orders").suffix == ".parquet" and table_path(tmp_path, "x") is None
    with pytest.raises(ValueError, match="unknown table format 'xlsx'"):
        write_tables(tables, tmp_path / "x", table_format="xlsx")


@pytest.mark.parametrize("text", [
    "a,b\n1,2\n", "a,b\r\n 1,  2\r\n\r\n3 ,\t4\r\n", "\n\na,b\n1,2", "a,b,c\n,,\n x,y ,z\n", "a,b\n", "a,b",
    "a,b\rü,é\r\r5,6\r", "h\nv\n\nw\n", "a,b\nNA,null\nnan,None\n"])
def test_plain_csv_cells_are_read_as_pandas_read_them(text):
    """The Arrow reader of quote-free files gives the cells pandas' reader gave (skipinitialspace,
    blank lines skipped, nothing read as missing)."""
    import io

    from planlib.data import _read_plain_csv

    got = _read_plain_csv(text, "t.csv")
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    n = lines[next(i for i, line in enumerate(lines) if line)].count(",") + 1
    header_at = next(i for i, line in enumerate(lines) if line)
    ref = pd.read_csv(io.StringIO(text), header=None, names=range(n), skiprows=[header_at], dtype=str,
                      keep_default_na=False, skipinitialspace=True, skip_blank_lines=True)
    assert got is not None
    header, frame, labels = got
    assert frame.shape == ref.shape
    assert [[str(v) for v in row] for row in frame.astype(object).values.tolist()] == ref.values.tolist()


def test_a_number_with_a_huge_exponent_is_a_problem_not_a_crash():
    """pandas.to_numeric crashes the process on this cell; it is read as infinite: not a finite number."""
    with pytest.raises(InputError) as info:
        from_frames({"items": pd.DataFrame({"item_id": ["A", "B"], "item_type": "buy",
                                            "lead_time_days": ["1e40099999999999999999999", "x7"]})})
    problems = info.value.problems.set_index("row").problem
    assert problems["items row 1"] == "not a finite number" and problems["items row 2"] == "not a valid float"
