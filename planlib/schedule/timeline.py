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

    @staticmethod
    def always(horizon: int) -> "Timeline":
        return Timeline(np.array([0], dtype=np.int64), np.array([int(horizon)], dtype=np.int64))

    @staticmethod
    def from_pairs(pairs) -> "Timeline":
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
        return self.b - self.a

    @property
    def cum(self) -> np.ndarray:
        """Working minutes before each segment."""
        return np.concatenate([[0], np.cumsum(self.length)[:-1]]).astype(np.int64)

    @property
    def gap(self) -> np.ndarray:
        """Idle minutes before each segment: real time = working clock + gap."""
        return self.a - self.cum

    @property
    def total(self) -> int:
        return int(self.length.sum())

    @property
    def end(self) -> int:
        return int(self.b[-1]) if len(self.b) else 0

    @property
    def continuous(self) -> bool:
        return len(self.a) == 1 and self.a[0] == 0

    def work_at(self, t: int) -> int:
        """Working minutes before real time ``t`` (a time in a pause reads as the pause's start)."""
        k = int(np.searchsorted(self.b, t, side="right"))
        if k >= len(self.a):
            return self.total
        cum = int(self.cum[k])
        return cum + max(0, int(t) - int(self.a[k]))

    def start_at(self, w: int) -> int | None:
        """Real time at which working minute ``w`` begins (``None`` past the calendar)."""
        cum = self.cum
        k = int(np.searchsorted(cum + self.length, w, side="right"))
        if k >= len(self.a):
            return None
        return int(self.a[k] + (w - cum[k]))

    def end_at(self, w: int) -> int | None:
        """Real time at which working minute ``w`` has just been completed."""
        if w <= 0:
            return int(self.a[0]) if len(self.a) else 0
        cum = self.cum
        k = int(np.searchsorted(cum + self.length, w, side="left"))
        if k >= len(self.a):
            return None
        return int(self.a[k] + (w - cum[k]))

    def segment_of_start(self, w: int) -> int:
        return int(np.searchsorted(self.cum + self.length, w, side="right"))

    def segment_of_end(self, w: int) -> int:
        return int(np.searchsorted(self.cum + self.length, w, side="left"))

    def fit_unbroken(self, w: int, run: int) -> int | None:
        """Earliest working minute ``>= w`` from which ``run`` minutes fit in one segment."""
        cum, length = self.cum, self.length
        k = self.segment_of_start(w)
        while k < len(self.a):
            begin = max(w, int(cum[k]))
            if begin + run <= cum[k] + length[k]:
                return begin
            k += 1
        return None
