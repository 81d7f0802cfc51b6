"""The planlib command: help on every subcommand, version, clean errors."""
from __future__ import annotations

import subprocess
import sys

import pytest

from planlib import __version__
from planlib.cli import build_parser, main


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"planlib {__version__}"


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: planlib {command}" in capsys.readouterr().out


def test_foundation_subcommands_are_there():
    assert {"validate", "make-factory", "convert"} <= set(_subcommands())


def test_console_script_runs():
    run = subprocess.run([sys.executable, "-m", "planlib.cli", "--help"], capture_output=True, text=True)
    assert run.returncode == 0 and "validate" in run.stdout


def test_bad_source_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "missing")]) == 2


def test_make_factory_and_convert(tmp_path, capsys):
    assert main(["make-factory", "--items", "40", "--levels", "3", "--seed", "7", "--out", str(tmp_path / "f")]) == 0
    assert main(["convert", str(tmp_path / "f"), str(tmp_path / "f.xlsx")]) == 0
    assert main(["validate", str(tmp_path / "f.xlsx")]) == 0
    assert capsys.readouterr().out.strip().endswith("the dataset is valid")


def test_coming_week_is_the_week_of_the_first_monday_on_or_after_today():
    import datetime as dt

    from planlib.cli.run import coming_week

    for offset in range(60):
        today = dt.date(2026, 11, 20) + dt.timedelta(days=offset)
        monday = today
        while monday.weekday() != 0:
            monday += dt.timedelta(days=1)
        year, week, _ = monday.isocalendar()
        assert coming_week(today) == f"{year}-W{week:02d}"
    assert coming_week(dt.date(2026, 12, 29)) == "2027-W01"  # Tuesday -> Monday 4 January 2027
    assert coming_week(dt.date(2026, 11, 23)) == "2026-W48"  # a Monday plans its own week


# --------------------------------------------------------------------------- --format

def test_mrp_parquet_and_csv_outputs_read_back_identical(sample_dir, tmp_path):
    """`planlib mrp --format parquet` writes every table as Parquet (exit 0, no CSV file), and each
    reads back (planlib.data.read_table) equal to the CSV run's: same plan, same dtypes."""
    import pandas as pd

    from planlib.data import read_table, table_path

    assert main(["mrp", str(sample_dir), "--out", str(tmp_path / "csv"), "--quiet"]) == 0
    assert main(["mrp", str(sample_dir), "--out", str(tmp_path / "pq"), "--format", "parquet", "--quiet"]) == 0
    names = sorted(p.stem for p in (tmp_path / "csv").glob("*.csv"))
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == [f"{n}.parquet" for n in names]
    assert {"planned_orders", "mrp_grid", "pegging", "exceptions"} <= set(names)
    for name in names:
        csv, pq = read_table(table_path(tmp_path / "csv", name)), read_table(table_path(tmp_path / "pq", name))
        pd.testing.assert_frame_equal(csv, pq, obj=name)
    planned = read_table(tmp_path / "pq" / "planned_orders.parquet")
    assert len(planned) and planned.order_id.map(type).eq(str).all()
    assert pd.api.types.is_datetime64_any_dtype(planned.due_date)


def test_schedule_reads_a_parquet_mrp_folder(sample_dir, tmp_path):
    import pandas as pd

    from planlib.data import read_table

    assert main(["mrp", str(sample_dir), "--out", str(tmp_path / "mrp"), "--format", "parquet", "--quiet"]) == 0
    assert main(["schedule", str(sample_dir), "--mrp", str(tmp_path / "mrp"), "--out", str(tmp_path / "s"),
                 "--format", "parquet", "--time-limit", "2", "--quiet"]) == 0
    schedule = read_table(tmp_path / "s" / "schedule.parquet")
    planned = read_table(tmp_path / "mrp" / "planned_orders.parquet")
    made = set(planned[planned.order_type == "make"].order_id)
    assert made and made & set(schedule.order_id)  # the planned make orders were read and scheduled
    assert pd.api.types.is_datetime64_any_dtype(schedule.start)


@pytest.mark.parametrize("command", ["mrp", "forecast", "schedule", "run", "reschedule"])
def test_a_bad_format_is_refused_by_name(command, capsys):
    args = {"mrp": ["mrp", "src", "--out", "o"], "forecast": ["forecast", "src", "--out", "o"],
            "schedule": ["schedule", "src", "--out", "o"], "run": ["run", "src"],
            "reschedule": ["reschedule", "run_dir", "s.yaml", "--now", "2026-11-24 08:00"]}[command]
    with pytest.raises(SystemExit) as info:
        main(args + ["--format", "xlsx"])
    assert info.value.code == 2
    assert "--format: invalid choice: 'xlsx' (choose from 'csv', 'parquet')" in capsys.readouterr().err


def test_validate_writes_its_problems_as_parquet(sample_dir, tmp_path):
    import shutil

    from planlib.data import read_table

    data = tmp_path / "data"
    shutil.copytree(sample_dir, data)
    items = (data / "items.csv").read_text().splitlines()
    (data / "items.csv").write_text("\n".join(items + [items[1]]) + "\n")  # a duplicate item
    assert main(["validate", str(data), "--problems", str(tmp_path / "problems.parquet")]) == 2
    problems = read_table(tmp_path / "problems.parquet")
    assert (problems.problem.str.startswith("duplicate key") & (problems.table == "items")).any()
