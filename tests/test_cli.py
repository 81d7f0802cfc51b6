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
