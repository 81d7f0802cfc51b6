"""Working time of one machine in integer minutes: the clock a schedule runs on.

Times are whole minutes from the plan start. A machine works in sorted,
disjoint segments ``[a_k, b_k)`` (its shifts after holidays, maintenance,
breakdowns and overtime, see :func:`planlib.calendar.machine_intervals`). Its
*working clock* counts working minutes only: ``cum[k]`` working minutes lie
before segment ``k``, so a real time ``t`` in segment ``k`` reads
``t - gap[k]`` on the working clock, with ``gap[k] = a[k] - cum[k]`` the idle
minutes before the segment. An operation that may pause at a shift end needs
``W`` minutes of the working clock; one that may not must also stay inside a
single segment.

A machine that is always available has the single segment ``[0, horizon)``.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timeline:
    """Working segments of one machine.

    Attributes
    ----------
    a, b : ndarray of int
        Segment starts and ends [min from plan start], sorted, disjoint, ``b > a``.
    """

    a: np.ndarray
    b: np.ndarray

    def __post_init__(self) -> None:
        a = np.asarray(self.a, dtype=np.int64)
        b = np.asarray(self.b, dtype=np.int64)
        length = b - a
        cum = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64) if len(a) else a.copy()
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "_length", length)
        object.__setattr__(self, "_cum", cum)
        # plain lists: bisect on them is much faster than numpy for one value at a time
        object.__setattr__(self, "_al", a.tolist())
        object.__setattr__(self, "_bl", b.tolist())
        object.__setattr__(self, "_cl", cum.tolist())
        object.__setattr__(self, "_ce", (cum + length).tolist())
        object.__setattr__(self, "_total", int(length.sum()))

    @staticmethod
    def always(horizon: int) -> Timeline:
        """A machine that never stops: the single segment ``[0, horizon)``."""
        return Timeline(np.array([0], dtype=np.int64), np.array([int(horizon)], dtype=np.int64))

    @staticmethod
    def from_pairs(pairs) -> Timeline:
        """A timeline of ``(start, end)`` pairs [min]: sorted, empty ones dropped, touching ones merged."""
        arr = np.asarray(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        arr = arr[arr[:, 1] > arr[:, 0]]
        # merge touching segments: a pause of zero minutes is no pause
        out = []
        for s, e in arr:
            if out and s <= out[-1][1]:
                out[-1][1] = max(out[-1][1], e)
            else:
                out.append([s, e])
        arr = np.asarray(out, dtype=np.int64).reshape(-1, 2)
        return Timeline(arr[:, 0].copy(), arr[:, 1].copy())

    @property
    def length(self) -> np.ndarray:
        """Working minutes of each segment."""
        return self._length

    @property
    def cum(self) -> np.ndarray:
        """Working minutes before each segment."""
        return self._cum

    @property
    def gap(self) -> np.ndarray:
        """Idle minutes before each segment: real time = working clock + gap."""
        return self.a - self._cum

    @property
    def total(self) -> int:
        """Working minutes of the whole calendar."""
        return self._total

    @property
    def end(self) -> int:
        """End of the last segment [min from plan start]; 0 for an empty calendar."""
        return self._bl[-1] if self._bl else 0

    @property
    def continuous(self) -> bool:
        """True for a machine that never stops (one segment from 0): working clock = real time."""
        return len(self._al) == 1 and self._al[0] == 0

    def work_at(self, t: int) -> int:
        """Working minutes before real time ``t`` (a time in a pause reads as the pause's start)."""
        k = bisect_right(self._bl, t)
        if k >= len(self._al):
            return self._total
        return self._cl[k] + max(0, int(t) - self._al[k])

    def start_at(self, w: int) -> int | None:
        """Real time at which working minute ``w`` begins (``None`` past the calendar)."""
        k = bisect_right(self._ce, w)
        if k >= len(self._al):
            return None
        return self._al[k] + (int(w) - self._cl[k])

    def end_at(self, w: int) -> int | None:
        """Real time at which working minute ``w`` has just been completed."""
        if w <= 0:
            return self._al[0] if self._al else 0
        k = bisect_left(self._ce, w)
        if k >= len(self._al):
            return None
        return self._al[k] + (int(w) - self._cl[k])

    def segment_of_start(self, w: int) -> int:
        """Index of the segment in which working minute ``w`` begins."""
        return bisect_right(self._ce, w)

    def segment_of_end(self, w: int) -> int:
        """Index of the segment in which working minute ``w`` has just been completed."""
        return bisect_left(self._ce, w)

    def fit_unbroken(self, w: int, run: int) -> int | None:
        """Earliest working minute ``>= w`` from which ``run`` minutes fit in one segment."""
        k = bisect_right(self._ce, w)
        while k < len(self._al):
            begin = max(int(w), self._cl[k])
            if begin + run <= self._ce[k]:
                return begin
            k += 1
        return None
