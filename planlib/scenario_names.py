"""Scenario names: what a scenario's run folder and file may be called.

A scenario file ``<name>.yaml`` is planned into the run folder ``reports/<week>/<name>/``. The name
must be lowercase letters, digits, ``_`` and ``-``, start with a letter or digit, be at most 64
characters, and not be ``base`` (the base plan's folder) or a name Windows reserves (a reports
folder may be a network share). Lowercase only, so two names never differ by case alone.
"""
from __future__ import annotations

import re

#: A scenario name (the file name without ``.yaml``; the run folder's name).
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
#: Names a scenario may not take: the base plan's folder, and names Windows reserves.
RESERVED_NAMES = frozenset({"base", "con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                            *(f"lpt{i}" for i in range(10))})


def safe_name(text: str) -> str:
    """A scenario name made from free text.

    Parameters
    ----------
    text : str
        Any text (a scenario's name).

    Returns
    -------
    str
        ``Lathe breakdown`` -> ``lathe_breakdown``; ``Base`` -> ``base_scenario``; at most 64
        characters; always matches :data:`SAFE_NAME` and is not reserved.
    """
    s = re.sub(r"[^0-9a-z]+", "_", str(text).strip().lower()).strip("_")[:64].strip("_") or "scenario"
    if s in RESERVED_NAMES:
        s = f"{s}_scenario"
    return s
