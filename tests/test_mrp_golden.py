"""Golden scenarios: ``planlib mrp`` on each folder of tests/data/mrp, output compared table by table.

Each scenario folder holds ``input/`` (a dataset in the data contract), ``args``
(the command-line options), a README stating the case and its source, and
``expected/`` (the output tables). Regenerate the expected tables after an
intended change with::

    PLANLIB_REGEN=1 .venv/bin/pytest tests/test_mrp_golden.py

and review the change with ``git diff tests/data/mrp``.
"""
from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest

from planlib.cli import main

ROOT = Path(__file__).parent / "data" / "mrp"
SCENARIOS = sorted(p.name for p in ROOT.iterdir() if (p / "input").is_dir())


@pytest.mark.parametrize("name", SCENARIOS)
def test_golden_scenario(name, tmp_path):
    folder = ROOT / name
    assert (folder / "README.md").is_file(), "every scenario states its case and source"
    args = shlex.split((folder / "args").read_text())
    args = [str(folder / a) if (folder / a).is_file() else a for a in args]
    out = tmp_path / "out"
    assert main(["mrp", str(folder / "input"), "--out", str(out), "--quiet", *args]) == 0
    expected = folder / "expected"
    if os.environ.get("PLANLIB_REGEN") == "1":
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(out, expected)
        pytest.skip(f"regenerated {expected}")
    produced = sorted(p.name for p in out.glob("*.csv"))
    assert produced == sorted(p.name for p in expected.glob("*.csv"))
    for file in produced:
        got = pd.read_csv(out / file, keep_default_na=False)
        want = pd.read_csv(expected / file, keep_default_na=False)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9, obj=f"{name}/{file}")
