"""The bad-input corpus: each defect of issue #12 gives a clear finding, never a silent plan.

Each ``tests/data/bad_inputs/data_<defect>/`` folder holds the files that differ from
``data/sample`` (overlaid on a copy of it), or a ``workbook.json`` naming cells to set
after the sample is converted to an ``.xlsx`` workbook, a ``README.md`` stating the case,
and ``expected.csv``: the exit code and the findings (table, row and column exactly, the
problem as a part of its text) ``planlib validate`` must report.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

CORPUS = Path(__file__).parent / "data" / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.glob("data_*") if p.is_dir())


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    env.pop("PLANLIB_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "planlib.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def build_case(name: str, sample_dir: Path, tmp_path: Path) -> Path:
    """The dataset of one case: the sample with the case's files overlaid (or its workbook edits)."""
    case = CORPUS / name
    src = tmp_path / "plant"
    shutil.copytree(sample_dir, src)
    for path in case.iterdir():
        if path.suffix == ".csv" and path.name != "expected.csv":
            shutil.copy(path, src / path.name)
    edits = case / "workbook.json"
    if not edits.exists():
        return src
    import openpyxl

    from planlib.data import load, write_dataset

    book_path = tmp_path / "plant.xlsx"
    write_dataset(load(src), book_path)
    book = openpyxl.load_workbook(book_path)
    for cell in json.loads(edits.read_text())["cells"]:
        book[cell["sheet"]][cell["cell"]] = cell["value"]
    book.save(book_path)
    return book_path


def test_the_corpus_is_there():
    assert len(CASES) >= 15
    for name in CASES:
        assert (CORPUS / name / "README.md").read_text().startswith("# "), name
        assert len(pd.read_csv(CORPUS / name / "expected.csv")), name


@pytest.mark.parametrize("name", CASES)
def test_validate_names_the_defect(name, sample_dir, tmp_path):
    source = build_case(name, sample_dir, tmp_path)
    expected = pd.read_csv(CORPUS / name / "expected.csv", dtype=str, keep_default_na=False)
    problems_file = tmp_path / "problems.csv"
    run = _cli("validate", source, "--problems", problems_file)
    out = run.stdout + run.stderr
    assert "Traceback" not in out
    assert run.returncode == int(expected.exit.iloc[0]), out
    found = pd.read_csv(problems_file, dtype=str, keep_default_na=False)
    for e in expected.itertuples():
        hits = found[(found.severity == e.severity) & (found.table == e.table) & (found.row == e.row)
                     & (found.column == e.column) & found.problem.str.contains(e.problem, regex=False)]
        assert len(hits) == 1, f"{name}: expected {e}\nfound:\n{found.to_string()}"
        assert len(hits.fix.iloc[0]) > 10  # says how to fix it
        assert e.row in run.stdout  # and the terminal shows where


def test_dates_in_dd_mm_yyyy_are_never_read(sample_dir, tmp_path):
    """All 144 due dates are refused, none read either way round (63 moved before)."""
    source = build_case("data_dates_dd_mm_yyyy", sample_dir, tmp_path)
    from planlib.data import read_dataset

    ds, problems = read_dataset(source, ["demand"])
    frame = problems.frame()
    assert ds.demand.due_date.isna().all()
    assert (frame.column == "due_date").sum() == 144
    ambiguous = frame[frame.problem.str.startswith("ambiguous")]
    sample = pd.read_csv(sample_dir / "demand.csv")
    day = pd.to_datetime(sample.due_date).dt.day
    month = pd.to_datetime(sample.due_date).dt.month
    assert len(ambiguous) == int(((day <= 12) & (day != month)).sum())
    # the fix gives both readings so the planner picks the right one
    first = ambiguous.iloc[0]
    d, m, y = first.value.split("/")
    assert f"{y}-{m}-{d} if it is day/month/year" in first.fix and f"{y}-{d}-{m} if month/day/year" in first.fix


def test_the_delimiter_is_one_finding(sample_dir, tmp_path):
    source = build_case("data_semicolon_delimiter", sample_dir, tmp_path)
    run = _cli("validate", source, "--problems", tmp_path / "p.csv")
    found = pd.read_csv(tmp_path / "p.csv", keep_default_na=False)
    assert found[found.table == "items"].problem.tolist() == ["this file uses ';' as delimiter, not the comma"]
    assert "save as comma-separated" in run.stdout


def test_a_password_is_shown_nowhere(tmp_path):
    """The URL's password is masked in the header, the problems table and the problems CSV."""
    problems_file = tmp_path / "problems.csv"
    url = "postgresql://planner:S3cret@127.0.0.1:1/plant"
    run = _cli("validate", url, "--problems", problems_file)
    assert run.returncode == 2
    for text in (run.stdout, run.stderr, problems_file.read_text()):
        assert "S3cret" not in text
    assert "postgresql://planner:***@127.0.0.1:1/plant" in run.stdout


def test_a_driver_error_echoing_the_password_is_masked(monkeypatch):
    """SQLAlchemy and drivers may put the URL, or the password alone, in their messages."""
    import sqlalchemy as sa

    from planlib.data import read_raw

    def echo(url, *args, **kwargs):
        raise sa.exc.OperationalError("connect", {}, Exception(f"cannot connect to {url} (password p%40ss! / p@ss!)"))

    monkeypatch.setattr(sa, "create_engine", echo)
    _, _, problems = read_raw("postgresql://planner:p%40ss!@db.example/plant")
    text = problems.frame().to_csv()
    assert "p%40ss" not in text and "p@ss" not in text
    assert "postgresql://planner:***@db.example/plant" in text


def test_the_cli_masks_passwords_in_any_error(monkeypatch, capsys):
    """The top-level handler masks what an unexpected error says too."""
    from planlib import cli

    def boom(args):
        raise RuntimeError("lost postgresql://planner:S3cret@host/plant")

    monkeypatch.setattr("planlib.cli.validate.run", boom)
    assert cli.main(["validate", "postgresql://planner:S3cret@host/plant"]) == 1
    err = capsys.readouterr().err
    assert "S3cret" not in err and "planner:***@host" in err
