"""The CP-SAT model: build, solve, extract.

Each operation picks one machine of its work center (one optional interval per
eligible machine). Machine constraints live on the machine's *working clock*
(see :mod:`planlib.schedule.timeline`), where an operation is a fixed-size
interval ``setup + run``: a no-overlap constraint per machine, and on machines
with changeovers a circuit whose arc ``i -> j`` puts the family changeover between
them. Order constraints (precedence, release, material, due date, crews) live
in real time; an alternative's run start and end convert between the two
clocks through the segment they fall in (element constraints on the segment
index). An uninterruptible run starts and ends in the same segment.

Follows the OR-Tools samples (``sat/samples/scheduling_with_calendar_sample_sat.py``,
``sat/samples/transitions_in_no_overlap_sample_sat.py``, examples ``flexible_job_shop_sat.py``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planlib.schedule.dispatch import SOLUTION_COLUMNS
from planlib.schedule.problem import Problem, ScheduleSettings

CREW_SCALE = 10  # crew sizes in tenths of an operator


@dataclass
class ModelVars:
    """Handles into a built model, for the hint, the extraction of a solution and LNS.

    Keys: ``j`` is a row of ``Problem.alts`` (an alternative), ``i`` a row of ``Problem.ops``
    (an operation), ``g`` a calendar group (:func:`_timeline_groups`). Working-clock times are
    minutes of the machine's working clock, real times minutes from ``plan_start``.
    """

    present: dict = field(default_factory=dict)   # j -> literal: the operation runs on this alternative
    ws: dict = field(default_factory=dict)        # j -> working-clock setup start (expression)
    wr_vars: dict = field(default_factory=dict)   # (i, g) -> working-clock run start variable
    we_vars: dict = field(default_factory=dict)   # (i, g) -> run end variable (alternatives' runs differ)
    seg: dict = field(default_factory=dict)       # (i, g, tag) -> (segment index var, timeline)
    start: dict = field(default_factory=dict)     # i -> real run start
    end: dict = field(default_factory=dict)       # i -> real end
    arcs: dict = field(default_factory=dict)      # machine -> [(j_from, j_to, literal, changeover)]
    terms: dict = field(default_factory=dict)     # objective name -> linear expression
    moved: dict = field(default_factory=dict)     # i -> literal (rescheduling)
    wclock: dict = field(default_factory=dict)    # i -> {g: (literal, wr, we)}
    intervals: dict = field(default_factory=dict)  # machine -> [(j, optional interval)] (working clock)
    restricted: bool = False                      # sequence arcs limited to a window of the hint


def _real_time(model, tl, w, lo_k, name, is_end, hi_k=None):
    """Real time of working-clock expression ``w`` on timeline ``tl`` (a start or an end).

    Adds the segment index ``k`` (restricted to segments ``lo_k..hi_k``) and three element
    constraints reading the segment's working-clock bounds and its gap; returns
    ``(w + gap[k], k)`` [min from plan start], or ``(w, None)`` on a machine that never stops.
    """
    if tl.continuous:
        return w, None
    cum, length, gap = tl.cum, tl.length, tl.gap
    top = len(cum) if hi_k is None else min(len(cum), hi_k + 1)
    lo_k = min(lo_k, top - 1)
    k = model.new_int_var_from_domain(cp_model.Domain.from_values(range(lo_k, top)), f"k{name}")
    c_lo = model.new_int_var(0, int(tl.total), f"clo{name}")
    c_hi = model.new_int_var(0, int(tl.total), f"chi{name}")
    g = model.new_int_var(int(gap.min()), int(gap.max()), f"g{name}")
    model.add_element(k, [int(x) for x in cum], c_lo)
    model.add_element(k, [int(x) for x in cum + length], c_hi)
    model.add_element(k, [int(x) for x in gap], g)
    if is_end:  # working minute w has just been done: cum < w <= cum + len
        model.add(w >= c_lo + 1)
        model.add(w <= c_hi)
    else:  # working minute w begins: cum <= w < cum + len
        model.add(w >= c_lo)
        model.add(w <= c_hi - 1)
    return w + g, k


def _timeline_groups(tls: dict) -> dict:
    """``machine_id -> group``: machines with identical calendars share a working clock."""
    keys, out = {}, {}
    for m, tl in tls.items():
        key = (tl.a.tobytes(), tl.b.tobytes())
        out[m] = keys.setdefault(key, len(keys))
    return out


@dataclass
class _Lookups:
    """What every step of :func:`build_model` reads from the problem, computed once.

    Times are minutes from ``plan_start`` unless said otherwise.
    """

    problem: Problem
    settings: ScheduleSettings
    hint: pd.DataFrame | None
    earliest: np.ndarray      # i -> earliest run start (release, material)
    unbroken: np.ndarray      # i -> uninterruptible run
    zero_run: np.ndarray      # i -> every alternative runs 0 minutes
    group_of: dict            # machine -> calendar group
    group_tl: dict            # calendar group -> Timeline
    frozen: dict              # i -> (machine, working-clock setup start) of a frozen operation
    by_op: dict               # i -> its alternative rows j
    window: dict              # i -> (lo, hi) real times its run stays within (large problems)

    @property
    def has_hint(self) -> bool:
        """A non-empty hint was given."""
        return self.hint is not None and len(self.hint) > 0


def _lookups(problem: Problem, settings: ScheduleSettings, hint: pd.DataFrame | None) -> _Lookups:
    """The per-operation arrays and indices of ``problem`` the model steps read."""
    ops, alts, tls = problem.ops, problem.alts, problem.timelines
    group_of = _timeline_groups(tls)
    frozen = {}
    if problem.frozen is not None:
        frozen = {int(i): (m, int(w)) for i, m, w in zip(problem.frozen.op, problem.frozen.machine_id,
                                                          problem.frozen.ws)}
    zero_run = (alts.groupby("op").run_min.max() <= 0).reindex(range(len(ops)), fill_value=False).to_numpy()
    ix = _Lookups(problem=problem, settings=settings, hint=hint, earliest=ops.earliest.to_numpy(),
                  unbroken=ops.uninterruptible.to_numpy(), zero_run=zero_run, group_of=group_of,
                  group_tl={g: tls[m] for m, g in group_of.items()}, frozen=frozen,
                  by_op={i: list(g.index) for i, g in alts.groupby("op")}, window={})
    ix.window = _neighbourhood_window(ix)
    return ix


def _neighbourhood_window(ix: _Lookups) -> dict:
    """``op -> (lo, hi)``: on a large problem each run stays within ``neighbourhood_days`` of the hint's.

    Real times [min from plan start]; empty when there is no hint, the problem has at most
    ``large_ops`` operations or ``neighbourhood_days`` is 0.
    """
    settings, tls = ix.settings, ix.problem.timelines
    if not (ix.has_hint and len(ix.problem.ops) > settings.large_ops and settings.neighbourhood_days):
        return {}
    delta = int(settings.neighbourhood_days * 1440)
    window = {}
    for i, m, wr in zip(ix.hint.op, ix.hint.machine_id, ix.hint.wr):
        t = tls[m].start_at(int(wr)) or 0
        window[int(i)] = (max(int(ix.earliest[i]), t - delta), t + delta)
    return window


def build_model(problem: Problem, settings: ScheduleSettings | None = None,
                hint: pd.DataFrame | None = None) -> tuple[cp_model.CpModel, ModelVars]:
    """Build the CP-SAT model of ``problem`` (the objective is set by :func:`solve`).

    The steps, in the order they add to the model (the order is part of the model: CP-SAT's
    deterministic search follows it):

    1. :func:`_add_alternatives` -- a presence literal per (operation, eligible machine);
    2. :func:`_add_runs` -- working-clock run start and end per operation and calendar, an
       interval per alternative, release dates, uninterruptible runs kept in one shift;
    3. :func:`_add_precedences` -- routing order and material links between orders;
    4. :func:`_add_machines` -- no overlap per machine and sequence-dependent changeovers;
    5. :func:`_add_crews` -- operators shared by the operations of a work center;
    6. :func:`_add_objective_terms` -- weighted tardiness, makespan, changeovers, moves.

    Machines with identical calendars share one working clock, so an operation
    whose alternatives all share it has one working-clock start and end, and
    precedence between two such operations needs no conversion to real time.
    Real times (element constraints, :func:`_real`) are built only where needed: due dates of
    the last operations, precedence across different calendars, crews.

    Parameters
    ----------
    problem : Problem
    settings : ScheduleSettings
    hint : DataFrame, optional
        A solution (see :func:`planlib.schedule.dispatch.dispatch`) given as solution hint; on a
        large problem it also bounds the search (``neighbourhood_days``, ``sequence_window``).

    Returns
    -------
    (CpModel, ModelVars)
        The model without objective and the handles into it; ``ModelVars.terms`` holds the
        objective terms ``tardiness`` [weighted min], ``makespan`` [min], ``setup`` [min of
        changeover] and, when rescheduling, ``moves`` [operations].
    """
    settings = settings or ScheduleSettings()
    model, v = cp_model.CpModel(), ModelVars()
    ix = _lookups(problem, settings, hint)
    v.restricted = bool(ix.window)
    bounds = _add_alternatives(model, ix, v)
    _add_runs(model, ix, v, bounds)
    _add_precedences(model, ix, v)
    setup_terms = _add_machines(model, ix, v)
    _add_crews(model, ix, v)
    _add_objective_terms(model, ix, v, setup_terms)
    if ix.has_hint:
        add_hint(model, problem, v, hint)
    return model, v


# --------------------------------------------------------------------------- 1. alternatives

def _add_alternatives(model: cp_model.CpModel, ix: _Lookups, v: ModelVars) -> dict:
    """Variables: the presence literal ``x{j}`` of every alternative (``v.present``).

    An operation's only alternative, or a frozen operation's machine, is fixed present; an
    alternative a frozen operation does not use gets no literal; one whose machine cannot run
    the operation inside its neighbourhood window is fixed absent.

    Returns
    -------
    dict
        ``j -> (lo, hi)``: the range of the alternative's setup start [working-clock min].
    """
    problem, alts = ix.problem, ix.problem.alts
    bounds = {}
    for j, (i, m, s, p) in enumerate(zip(alts.op, alts.machine_id, alts.setup_min, alts.run_min)):
        if i in ix.frozen and ix.frozen[i][0] != m:
            continue
        lit = model.new_bool_var(f"x{j}")
        if len(ix.by_op[i]) == 1 or i in ix.frozen:
            model.add(lit == 1)
        lo, hi, fits = _setup_start_range(ix, i, problem.timelines[m], s, p)
        if not fits:  # this machine cannot run it inside the window
            model.add(lit == 0)
        bounds[j] = (min(lo, hi), hi)
        v.present[j] = lit
    return bounds


def _setup_start_range(ix: _Lookups, i, tl, setup: int, run: int) -> tuple[int, int, bool]:
    """``(lo, hi, fits)``: working-clock range of an alternative's setup start on timeline ``tl``.

    From ``not_before`` (rescheduling) to the last start that ends in the calendar, inside the
    neighbourhood window if any (``fits`` is False when the window leaves no start); a frozen
    operation's setup start is fixed.
    """
    if i in ix.frozen:
        return ix.frozen[i][1], ix.frozen[i][1], True
    not_before = ix.problem.not_before
    lo = tl.work_at(not_before) if not_before else 0
    hi = max(0, tl.total - setup - run)
    if i not in ix.window:
        return lo, hi, True
    lo = max(lo, tl.work_at(ix.window[i][0]) - setup)
    hi = min(hi, tl.work_at(ix.window[i][1]) - setup)
    if lo > hi:
        lo = hi = max(0, min(lo, tl.total - setup - run))
        return lo, hi, False
    return lo, hi, True


# --------------------------------------------------------------------------- 2. runs and calendars

def _add_runs(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, bounds: dict) -> None:
    """Variables and constraints of every operation's run, on the machines' working clocks.

    Per operation: exactly one alternative present. Per operation and calendar group of its
    machines: the working-clock run start ``wr{i}_{g}`` and end (shared by the alternatives of
    the group, as the alternatives of the OR-Tools flexible job-shop example share the task's
    start), a fixed-size optional interval ``setup + run`` per alternative (``v.intervals``),
    the release (:func:`_add_release`) and, for an uninterruptible run, one shift
    (:func:`_add_one_shift`). Sets ``v.wclock``, ``v.wr_vars``, ``v.we_vars``, ``v.ws``.
    """
    alts = ix.problem.alts
    v.intervals = {m: [] for m in ix.problem.timelines}
    for i, rows in ix.by_op.items():
        rows = [j for j in rows if j in v.present]
        if len(rows) > 1:
            model.add_exactly_one(v.present[j] for j in rows)
        groups: dict = {}
        for j in rows:
            groups.setdefault(ix.group_of[alts.machine_id.iat[j]], []).append(j)
        v.wclock[i] = {}
        for g, js in groups.items():
            lit, wr, we = _add_run_clock(model, ix, v, bounds, i, g, js)
            _add_alternative_intervals(model, ix, v, bounds, i, g, js)
            _add_release(model, ix, i, g, lit, wr)
            _add_one_shift(model, ix, v, i, g, js, lit, wr, we)
            v.wclock[i][g] = (lit, wr, we)


def _add_run_clock(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, bounds: dict, i, g, js: list):
    """Variables: run start ``wr`` and end ``we`` of operation ``i`` on calendar group ``g``.

    ``we`` is ``wr + run`` when the alternatives ``js`` run alike long, else a variable
    (``we{i}_{g}``). The group's literal is the alternative's own, or ``grp{i}_{g}`` equal to
    the sum of the alternatives' literals. Returns ``(literal, wr, we)`` [working-clock min].
    """
    alts = ix.problem.alts
    run = {j: int(alts.run_min.iat[j]) for j in js}
    r_lo, r_hi = _run_start_range(alts, bounds, js)
    wr = model.new_int_var(r_lo, r_hi, f"wr{i}_{g}")
    if len(js) == 1:
        lit = v.present[js[0]]
    else:
        lit = model.new_bool_var(f"grp{i}_{g}")
        model.add(sum(v.present[j] for j in js) == lit)
    if len(set(run.values())) == 1:
        we = wr + run[js[0]]
    else:
        we = model.new_int_var(r_lo + min(run.values()), r_hi + max(run.values()), f"we{i}_{g}")
        v.we_vars[(i, g)] = we
    v.wr_vars[(i, g)] = wr
    return lit, wr, we


def _run_start_range(alts: pd.DataFrame, bounds: dict, js: list) -> tuple[int, int]:
    """Earliest and latest working-clock run start [min] over the alternatives ``js`` (setup start
    bounds plus setup)."""
    setup = {j: int(alts.setup_min.iat[j]) for j in js}
    return min(bounds[j][0] + setup[j] for j in js), max(bounds[j][1] + setup[j] for j in js)


def _add_alternative_intervals(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, bounds: dict, i, g,
                               js: list) -> None:
    """Per alternative ``j`` of ``js``: its setup-start bounds, its run end, its interval ``iv{j}``.

    The interval spans setup and run, ``[wr - setup, wr + run)`` [working-clock min], present
    with the alternative; it goes to ``v.intervals`` of its machine and ``v.ws[j]`` is its start.
    """
    alts = ix.problem.alts
    wr = v.wr_vars[(i, g)]
    r_lo, r_hi = _run_start_range(alts, bounds, js)
    for j in js:
        lo, hi = bounds[j]
        setup, run = int(alts.setup_min.iat[j]), int(alts.run_min.iat[j])
        if lo + setup > r_lo:
            model.add(wr >= lo + setup).only_enforce_if(v.present[j])
        if hi + setup < r_hi:
            model.add(wr <= hi + setup).only_enforce_if(v.present[j])
        if (i, g) in v.we_vars:
            model.add(v.we_vars[(i, g)] == wr + run).only_enforce_if(v.present[j])
        v.ws[j] = wr - setup
        iv = model.new_optional_fixed_size_interval_var(wr - setup, setup + run, v.present[j], f"iv{j}")
        v.intervals[alts.machine_id.iat[j]].append((j, iv))


def _add_release(model: cp_model.CpModel, ix: _Lookups, i, g, lit, wr) -> None:
    """The run starts at or after the operation's earliest start (release, material, fixed dates).

    The earliest start [min from plan start] is read on the group's working clock.
    """
    if ix.earliest[i] > 0 and i not in ix.frozen:
        model.add(wr >= ix.group_tl[g].work_at(int(ix.earliest[i]))).only_enforce_if(lit)


def _add_one_shift(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, i, g, js: list, lit, wr, we) -> None:
    """Calendars: an uninterruptible run starts and ends in the same working segment (shift).

    Adds the segment indices of the run start and end (``v.seg`` tags ``ur`` and ``ue``, see
    :func:`_real_time`) and their equality; nothing on a machine that never stops or for a run
    of zero minutes.
    """
    tl = ix.group_tl[g]
    runs = [int(ix.problem.alts.run_min.iat[j]) for j in js]
    if not (ix.unbroken[i] and not tl.continuous and max(runs) > 0):
        return
    (lr, hr), (le, he) = _segment_range(ix, i, g, 0), _segment_range(ix, i, g, 1)
    _, kr = _real_time(model, tl, wr, lr, f"ur{i}_{g}", is_end=False, hi_k=hr)
    _, ke = _real_time(model, tl, we, le, f"ue{i}_{g}", is_end=True, hi_k=he)
    model.add(kr == ke).only_enforce_if(lit)
    v.seg[(i, g, "ur")] = (kr, tl)
    v.seg[(i, g, "ue")] = (ke, tl)


def _segment_range(ix: _Lookups, i, g, which: int) -> tuple[int, int | None]:
    """Segments the run start (``which == 0``) or end (1) of operation ``i`` can fall in on group ``g``.

    ``(lo, hi)``: from the segment of the earliest start; ``hi`` is None (the last segment)
    unless the operation has a neighbourhood window.
    """
    tl = ix.group_tl[g]
    lo_k = int(np.searchsorted(tl.b, ix.earliest[i], side="right")) if len(tl.b) else 0
    if i not in ix.window:
        return lo_k, None
    alts = ix.problem.alts
    runs = [int(alts.run_min.iat[j]) for j in ix.by_op[i] if ix.group_of[alts.machine_id.iat[j]] == g]
    w_lo, w_hi = tl.work_at(ix.window[i][0]), tl.work_at(ix.window[i][1])
    if which == 0:
        return max(lo_k, tl.segment_of_start(w_lo)), tl.segment_of_start(w_hi)
    return max(lo_k, tl.segment_of_end(w_lo + min(runs))), tl.segment_of_end(min(tl.total, w_hi + max(runs)))


def _real(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, i, which: int):
    """Real run start (``which == 0``) or end (1) of operation ``i`` [min from plan start], built once.

    Per calendar group of the operation's machines, the working-clock time converted by
    :func:`_real_time`; with several groups, a variable ``R{i}`` / ``E{i}`` equal to the
    present group's. Cached in ``v.start`` / ``v.end``; a run of zero minutes ends where it starts.
    """
    cache = v.start if which == 0 else v.end
    if i in cache:
        return cache[i]
    if which == 1 and ix.zero_run[i]:
        cache[i] = _real(model, ix, v, i, 0)
        return cache[i]
    parts = []
    tag = "r" if which == 0 else "e"
    for g, (lit, wr, we) in v.wclock[i].items():
        lo_k, hi_k = _segment_range(ix, i, g, which)
        t, k = _real_time(model, ix.group_tl[g], wr if which == 0 else we, lo_k, f"{tag}{i}_{g}",
                          is_end=which == 1, hi_k=hi_k)
        if k is not None:
            v.seg[(i, g, tag)] = (k, ix.group_tl[g])
        parts.append((lit, t))
    if len(parts) == 1:
        cache[i] = parts[0][1]
    else:
        x = model.new_int_var(0, ix.problem.horizon, f"{'R' if which == 0 else 'E'}{i}")
        for lit, t in parts:
            model.add(x == t).only_enforce_if(lit)
        cache[i] = x
    return cache[i]


# --------------------------------------------------------------------------- 3. precedences

def _add_precedences(model: cp_model.CpModel, ix: _Lookups, v: ModelVars) -> None:
    """An operation's run starts after its predecessors' runs end.

    Predecessors: the previous operation of the order (routing order) and the last operation
    of each make order supplying the operation's material (``Problem.links``). Two operations
    on one calendar group compare working-clock times; otherwise real times (:func:`_real`).
    A frozen operation keeps its place and gets none.
    """
    problem = ix.problem
    pairs = [(i, int(p)) for i, p in enumerate(problem.ops.pred.to_numpy()) if p >= 0]
    if problem.links is not None and len(problem.links):
        pairs += [(int(i), int(j)) for i, j in zip(problem.links.op, problem.links.supply_op)]
    for i, pred in pairs:
        if i in ix.frozen:
            continue
        gp, gs = v.wclock[pred], v.wclock[i]
        if len(gp) == 1 and len(gs) == 1 and list(gp) == list(gs):
            g = next(iter(gs))
            model.add(gs[g][1] >= gp[g][2])
        else:
            model.add(_real(model, ix, v, i, 0) >= _real(model, ix, v, pred, 1))


# --------------------------------------------------------------------------- 4. machines and changeovers

def _add_machines(model: cp_model.CpModel, ix: _Lookups, v: ModelVars) -> list:
    """No overlap of the intervals on each machine, and the changeovers between them.

    Returns
    -------
    list
        The changeover terms ``minutes * arc literal`` of every machine (see :func:`_add_changeovers`).
    """
    hint_start = None
    if ix.has_hint:
        tls, hint = ix.problem.timelines, ix.hint
        hint_start = {int(i): tls[m].start_at(int(wr)) or 0 for i, m, wr in zip(hint.op, hint.machine_id, hint.wr)}
    setup_terms = []
    for m, items in v.intervals.items():
        if len(items) > 1:
            model.add_no_overlap(iv for _, iv in items)
        table = ix.problem.changeover.get(m)
        if table and len(items) >= 2:
            setup_terms += _add_changeovers(model, ix, v, m, table, hint_start)
    return setup_terms


def _add_changeovers(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, m, table: dict,
                     hint_start: dict | None) -> list:
    """Sequence-dependent changeovers on machine ``m``: a circuit over its alternatives.

    Node 0 is the machine's start and end (``idle_{m}``: the machine may stay unused); an arc
    ``a{j}_{k}`` from one present alternative to the next puts the family changeover
    [working-clock min] between the first's end and the second's setup start; an absent
    alternative loops on itself. After a repair time (``not_before``) the changeover itself
    starts no earlier. Sets ``v.arcs[m]``; returns the terms ``changeover * arc``.
    """
    alts, ops = ix.problem.alts, ix.problem.ops
    items = v.intervals[m]
    arcs, v.arcs[m] = [(0, 0, model.new_bool_var(f"idle_{m}"))], []
    order = None
    if hint_start is not None and len(items) > ix.settings.full_sequence_max:
        # large machine: arcs only between operations close in the hint's order (see ScheduleSettings)
        order = sorted(range(len(items)), key=lambda a: (hint_start.get(alts.op.iat[items[a][0]], 0), a))
        v.restricted = True
    for node, (j, _) in enumerate(items, start=1):
        arcs.append((0, node, model.new_bool_var(f"first{j}")))
        arcs.append((node, 0, model.new_bool_var(f"last{j}")))
        arcs.append((node, node, ~v.present[j]))
    nodes = [j for j, _ in items]
    alt_op = alts.op.to_numpy()
    alt_size = (alts.setup_min + alts.run_min).to_numpy()
    family, order_of = ops.family.to_numpy(), ops.order_id.to_numpy()
    not_before = ix.problem.not_before
    floor = ix.problem.timelines[m].work_at(not_before) if not_before else 0
    terms = []
    for a, b in _arc_candidates(ix, m, nodes, order):
        ja, jb = nodes[a], nodes[b]
        ia, ib = int(alt_op[ja]), int(alt_op[jb])
        if order_of[ia] == order_of[ib] and ib < ia:
            continue  # an order's operations keep their sequence
        change = table.get((family[ia], family[ib]), 0)
        lit = model.new_bool_var(f"a{ja}_{jb}")
        arcs.append((a + 1, b + 1, lit))
        model.add(v.ws[jb] >= v.ws[ja] + int(alt_size[ja]) + change).only_enforce_if(lit)
        if floor and change and ib not in ix.frozen:
            # the changeover itself may not start before the repair time
            model.add(v.ws[jb] >= floor + change).only_enforce_if(lit)
        v.arcs[m].append((ja, jb, lit, change))
        if change:
            terms.append(change * lit)
    model.add_circuit(arcs)
    return terms


def _arc_candidates(ix: _Lookups, m, nodes: list, order: list | None):
    """Pairs ``(a, b)`` of positions in ``nodes`` (alternative rows on machine ``m``) that get an arc.

    Every ordered pair; or, on a large machine (``order``: positions in the hint's order), the
    pairs at most ``sequence_window`` places apart in that order and the hint's own sequence on
    the machine (so that the hint stays feasible), sorted.
    """
    n = len(nodes)
    if order is None:
        return ((a, b) for a in range(n) for b in range(n) if a != b)
    w = ix.settings.sequence_window
    pairs = {(order[x], order[y]) for x in range(n) for y in range(max(0, x - w), min(n, x + w + 1)) if x != y}
    return sorted(pairs | _hint_sequence(ix, m, nodes))


def _hint_sequence(ix: _Lookups, m, nodes: list) -> set:
    """Pairs ``(a, b)`` of positions in ``nodes`` that the hint runs one right after the other on ``m``."""
    node_of = {int(ix.problem.alts.op.iat[j]): a for a, j in enumerate(nodes)}
    hint = ix.hint
    return {(node_of[int(pv)], node_of[int(i)]) for i, pm, pv in zip(hint.op, hint.machine_id, hint.prev_op)
            if pm == m and pv >= 0 and int(i) in node_of and int(pv) in node_of}


# --------------------------------------------------------------------------- 5. crews

def _add_crews(model: cp_model.CpModel, ix: _Lookups, v: ModelVars) -> None:
    """Operators: the operations of a work center with a crew share its operators.

    An operation holds its ``crew_size`` operators for all its machine time, from the start of its
    changeover and setup to the end of its run (the hours ``labour_requirements`` counts). Per
    operation with ``crew_size > 0`` on a work center of ``Problem.crews``, an interval over that
    time [real min from plan start] (``cr{i}``, ``ce{i}``, ``civ{i}``; the changeover is the one of
    the sequence arc into the operation, see :func:`_crew_start`); per work center a cumulative
    constraint, demands and capacity in tenths of an operator (``CREW_SCALE``).
    With staffing as a limit (``Problem.staffing``) the capacity varies by shift: the cumulative
    holds the work center's most operators, and a fixed interval (``off{wc}_{k}``) over each
    window with fewer eats the difference, as in the OR-Tools sample
    ``sat/samples/cumulative_variable_profile_sample_sat.py``.
    """
    problem, ops = ix.problem, ix.problem.ops
    horizon = problem.horizon
    crew_iv = {}
    for i in ops.index[(ops.crew_size > 0) & ops.work_center_id.isin(list(problem.crews))]:
        r = _crew_start(model, ix, v, i)
        e = model.new_int_var(0, horizon, f"ce{i}")
        model.add(e == _real(model, ix, v, i, 1))
        size = model.new_int_var(0, horizon, f"cs{i}")
        civ = model.new_interval_var(r, size, e, f"civ{i}")
        crew_iv.setdefault(ops.work_center_id.iat[i], []).append(
            (civ, int(round(ops.crew_size.iat[i] * CREW_SCALE))))
    profile = problem.staffing
    for wc, items in crew_iv.items():
        cap = int(round(problem.crews[wc] * CREW_SCALE))
        if profile is not None and len(profile):
            for k, (s, e, n) in enumerate(zip(*(profile.loc[profile.work_center_id == wc, c]
                                                for c in ("start", "end", "operators")))):
                less = cap - int(round(n * CREW_SCALE))
                if less > 0 and e > s:
                    items.append((model.new_fixed_size_interval_var(int(s), int(e - s), f"off{wc}_{k}"), less))
        model.add_cumulative([iv for iv, _ in items], [d for _, d in items], cap)


def _crew_start(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, i):
    """Real time operation ``i``'s changeover and setup begin [min from plan start] (``cr{i}``).

    Per present alternative ``j``: its working-clock setup start ``ws`` less the changeover of the
    sequence arc into it (``v.arcs``), converted on its machine's calendar (:func:`_real_time`,
    variable ``cw{j}``); an alternative without setup or changeover starts with its run.
    """
    alts = ix.problem.alts
    r = model.new_int_var(0, ix.problem.horizon, f"cr{i}")
    into = {}
    for m in {alts.machine_id.iat[j] for j in ix.by_op[i]}:
        for _, jb, lit, change in v.arcs.get(m, []):
            if change:
                into.setdefault(jb, []).append(change * lit)
    for j in ix.by_op[i]:
        if j not in v.present:
            continue
        setup = int(alts.setup_min.iat[j])
        if not setup and j not in into:
            model.add(r == _real(model, ix, v, i, 0)).only_enforce_if(v.present[j])
            continue
        g = ix.group_of[alts.machine_id.iat[j]]
        tl = ix.group_tl[g]
        w = model.new_int_var(0, int(tl.total), f"cw{j}")
        model.add(w == v.ws[j] - sum(into.get(j, []))).only_enforce_if(v.present[j])
        t, _ = _real_time(model, tl, w, 0, f"cw{j}", is_end=False)
        model.add(r == t).only_enforce_if(v.present[j])
    return r


# --------------------------------------------------------------------------- 6. objective terms

def _add_objective_terms(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, setup_terms: list) -> None:
    """The objective terms in ``v.terms`` (:func:`solve` picks or weighs them).

    ``tardiness``: weighted tardiness of the orders' last operations [weight * min];
    ``makespan``: the last run end [min from plan start], with redundant energy bounds on
    machines that never stop; ``setup``: total changeover [min]; ``moves`` (rescheduling):
    operations moved from the schedule being repaired.
    """
    last = ix.problem.ops.groupby("order_id", sort=False).tail(1)
    v.terms["tardiness"] = _add_tardiness(model, ix, v, last)
    mk = model.new_int_var(0, ix.problem.horizon, "makespan")
    if len(last):
        model.add_max_equality(mk, [_real(model, ix, v, i, 1) for i in last.index])
    v.terms["makespan"] = mk
    if all(tl.continuous for tl in ix.problem.timelines.values()) and not ix.frozen:
        _add_energy_bounds(model, ix, v, mk)
    v.terms["setup"] = sum(setup_terms) if setup_terms else 0
    previous = ix.problem.previous
    if previous is not None and len(previous):
        v.terms["moves"] = _add_moves(model, ix, v)


def _add_tardiness(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, last: pd.DataFrame):
    """Per order a tardiness variable ``T{i}`` >= real end of its last operation ``i`` - due [min];
    returns the sum weighted by the order's ``weight``."""
    tard = []
    for i, due, w in zip(last.index, last.due, last.weight):
        t = model.new_int_var(0, ix.problem.horizon + max(0, -int(due)), f"T{i}")
        model.add(t >= _real(model, ix, v, i, 1) - int(due))
        tard.append(int(w) * t)
    return sum(tard) if tard else 0


def _add_energy_bounds(model: cp_model.CpModel, ix: _Lookups, v: ModelVars, mk) -> None:
    """Redundant bounds for machines that never stop: a machine's work [min] ends by the makespan,
    and all the work fits on all the machines by the makespan."""
    alts = ix.problem.alts
    loads = []
    for items in v.intervals.values():
        load = sum(int(alts.setup_min.iat[j] + alts.run_min.iat[j]) * v.present[j] for j, _ in items)
        if items:
            model.add(load <= mk)
            loads.append(load)
    if loads:
        model.add(sum(loads) <= len(loads) * mk)


def _add_moves(model: cp_model.CpModel, ix: _Lookups, v: ModelVars):
    """Rescheduling: a literal ``stay{i}`` per operation of the schedule being repaired.

    It stays when it keeps its machine and its run start within ``move_tolerance_min`` of the
    old one [min]; ``v.moved[i]`` is its negation. Returns the number of moved operations.
    """
    problem, alts, tol = ix.problem, ix.problem.alts, ix.settings.move_tolerance_min
    moved = []
    for i, m, start in zip(problem.previous.op, problem.previous.machine_id, problem.previous.start):
        i = int(i)
        if i in ix.frozen or i not in ix.by_op:
            continue
        rows = [j for j in ix.by_op[i] if j in v.present and alts.machine_id.iat[j] == m]
        stay = model.new_bool_var(f"stay{i}")
        if not rows:
            model.add(stay == 0)
        else:
            j = rows[0]
            tl = problem.timelines[m]
            w0 = tl.work_at(int(start))
            wr = v.ws[j] + int(alts.setup_min.iat[j])
            model.add_implication(stay, v.present[j])
            model.add(wr >= tl.work_at(int(start) - tol)).only_enforce_if(stay)
            model.add(wr <= max(w0, tl.work_at(int(start) + tol))).only_enforce_if(stay)
        v.moved[i] = ~stay
        moved.append(1 - stay)
    return sum(moved) if moved else 0


# --------------------------------------------------------------------------- hint, solve, extract

def add_hint(model: cp_model.CpModel, problem: Problem, v: ModelVars, sol: pd.DataFrame) -> None:
    """Give a complete solution as the CP-SAT hint (replacing any hint the model had).

    Parameters
    ----------
    model, v
        As from :func:`build_model`.
    sol : DataFrame
        A solution table (see :func:`planlib.schedule.dispatch.dispatch`): columns ``op,
        machine_id, ws, prev_op`` are read (``ws`` in working-clock minutes of the machine).
        Hinted: the alternatives' literals, the working-clock run starts and ends, the
        calendar segment indices and the changeover arcs.
    """
    model.clear_hints()
    row_of = _hint_alternatives(model, problem, v, sol)
    group_of = _timeline_groups(problem.timelines)
    run_start = _hint_run_clocks(model, problem, v, sol, row_of, group_of)
    _hint_segments(model, problem, v, sol, row_of, group_of, run_start)
    _hint_arcs(model, problem, v, sol, row_of)


def _hint_alternatives(model: cp_model.CpModel, problem: Problem, v: ModelVars, sol: pd.DataFrame) -> dict:
    """Hint every presence literal; returns ``op -> alternative row`` the solution uses."""
    alts = problem.alts
    chosen = dict(zip(sol.op, sol.machine_id))
    row_of = {}
    for j, (i, m) in enumerate(zip(alts.op, alts.machine_id)):
        if j not in v.present:
            continue
        on = chosen.get(i) == m
        model.add_hint(v.present[j], on)
        if on:
            row_of[i] = j
    return row_of


def _hint_run_clocks(model: cp_model.CpModel, problem: Problem, v: ModelVars, sol: pd.DataFrame, row_of: dict,
                     group_of: dict) -> dict:
    """Hint the working-clock run start (and end variable) of each operation on its machine's group.

    Returns ``op -> working-clock run start`` [min] of the solution.
    """
    alts = problem.alts
    ws_of = dict(zip(sol.op, sol.ws))
    run_start = {i: int(ws_of[i]) + int(alts.setup_min.iat[j]) for i, j in row_of.items()}
    for (i, g), wr in v.wr_vars.items():
        j = row_of.get(i)
        if j is not None and group_of[alts.machine_id.iat[j]] == g:
            model.add_hint(wr, run_start[i])
            if (i, g) in v.we_vars:
                model.add_hint(v.we_vars[(i, g)], run_start[i] + int(alts.run_min.iat[j]))
    return run_start


def _hint_segments(model: cp_model.CpModel, problem: Problem, v: ModelVars, sol: pd.DataFrame, row_of: dict,
                   group_of: dict, run_start: dict) -> None:
    """Hint the calendar segment index of each run start (tags ``r``, ``ur``) and end (``e``, ``ue``)."""
    alts = problem.alts
    chosen = dict(zip(sol.op, sol.machine_id))
    for (i, g, tag), (k, tl) in v.seg.items():
        m = chosen.get(i)
        if m is None or group_of[m] != g:
            continue
        wr = run_start[i]
        we = wr + int(alts.run_min.iat[row_of[i]])
        model.add_hint(k, tl.segment_of_start(wr) if tag in ("r", "ur") else tl.segment_of_end(we))


def _hint_arcs(model: cp_model.CpModel, problem: Problem, v: ModelVars, sol: pd.DataFrame, row_of: dict) -> None:
    """Hint the changeover arcs: true where the solution runs ``j_to`` right after ``j_from``."""
    alt_op = problem.alts.op
    prev = dict(zip(sol.op, sol.prev_op))
    for arcs in v.arcs.values():
        for ja, jb, lit, _ in arcs:
            ia, ib = alt_op.iat[ja], alt_op.iat[jb]
            model.add_hint(lit, row_of.get(ib) == jb and row_of.get(ia) == ja and prev.get(ib) == ia)


def _objective(v: ModelVars, name: str, settings: ScheduleSettings, extra_moves: bool):
    """The expression to minimise: term ``name`` of ``v.terms`` or the weighted sum of
    ``settings.objective_weights``, plus ``move_penalty`` per moved operation when ``extra_moves``."""
    if settings.objective_weights:
        expr = sum(float(w) * v.terms[n] for n, w in settings.objective_weights)
    else:
        expr = v.terms[name]
    if extra_moves and "moves" in v.terms:
        expr = expr + settings.move_penalty * v.terms["moves"]
    return expr


@dataclass
class SolveResult:
    """What :func:`solve` returns (see there)."""

    solution: pd.DataFrame
    status: str
    objective: float | None
    bound: float | None
    seconds: float
    stages: list
    restricted: bool = False


def solve(problem: Problem, settings: ScheduleSettings | None = None,
          hint: pd.DataFrame | None = None) -> SolveResult:
    """Solve with CP-SAT, one solve per lexicographic objective level.

    Each level after the first keeps the previous levels' optimum as a constraint and starts
    from the previous level's solution (hint). A large problem first completes the hint by
    propagation (:func:`_complete_hint`).

    Parameters
    ----------
    problem : Problem
    settings : ScheduleSettings
        Objective levels, time limit (split evenly between the levels), workers, seed.
    hint : DataFrame, optional
        A solution table (see :func:`planlib.schedule.dispatch.dispatch`): ``op`` (row of
        ``problem.ops``), ``machine_id``, ``ws, wr, we`` (minutes of the machine's working clock
        at which setup, run start and end fall), ``changeover_min`` [min], ``prev_op``.
        Given to CP-SAT as its solution hint.

    Returns
    -------
    SolveResult
        ``solution`` as from :func:`planlib.schedule.dispatch.dispatch` (empty if CP-SAT found
        nothing), ``status`` (OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN of the last level),
        ``objective`` and ``bound`` of the first level, wall ``seconds``, ``stages`` (per level:
        name, status, objective, bound, seconds), ``restricted`` (the model was limited to a
        neighbourhood of the hint, see :class:`~planlib.schedule.problem.ScheduleSettings`).
    """
    settings = settings or ScheduleSettings()
    t0 = time.perf_counter()
    model, v = build_model(problem, settings, hint)
    stages = settings.objectives()
    large = len(problem.ops) > settings.large_ops
    budget = settings.time_limit_s
    if large and hint is not None and len(hint):
        budget = _complete_hint(model, v, stages[0][0], settings, budget)
    out, best, first = [], None, (None, None)
    status_name = "UNKNOWN"
    for level, (name, _) in enumerate(stages):
        expr = _objective(v, name, settings, extra_moves=level == 0)
        model.minimize(expr)
        solver = _level_solver(settings, budget / len(stages), large)
        ts = time.perf_counter()
        status = solver.solve(model)
        status_name = solver.status_name(status)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        out.append(_stage(name, status_name, solver, found, time.perf_counter() - ts))
        if not found:
            break
        best = extract(problem, v, solver)
        if level == 0:
            first = (solver.objective_value, solver.best_objective_bound)
        if level + 1 < len(stages):
            model.add(expr <= int(round(solver.objective_value)))
            add_hint(model, problem, v, best)
    sol = best if best is not None else pd.DataFrame(columns=SOLUTION_COLUMNS)
    return SolveResult(sol, status_name, first[0], first[1], time.perf_counter() - t0, out, v.restricted)


def _complete_hint(model: cp_model.CpModel, v: ModelVars, name: str, settings: ScheduleSettings,
                   budget: float) -> float:
    """Complete a partial hint of a large model by propagation; returns the time budget left [s].

    Every variable with a hinted value is fixed to it and CP-SAT (a third of ``budget`` at
    most) finds values for the others; if it does, every variable is hinted, so that the
    search starts from a full solution.
    """
    ts = time.perf_counter()
    model.minimize(_objective(v, name, settings, extra_moves=True))
    fill = cp_model.CpSolver()
    fill.parameters.fix_variables_to_their_hinted_value = True
    fill.parameters.cp_model_probing_level = 0
    fill.parameters.num_workers = int(settings.workers)
    fill.parameters.random_seed = int(settings.seed)
    fill.parameters.max_time_in_seconds = float(budget) / 3
    if fill.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        model.clear_hints()
        for k in range(len(model.proto.variables)):
            var = model.get_int_var_from_proto_index(k)
            model.add_hint(var, fill.value(var))
    return max(1.0, budget - (time.perf_counter() - ts))


def _level_solver(settings: ScheduleSettings, limit: float, large: bool) -> cp_model.CpSolver:
    """A CP-SAT solver for one objective level: ``limit`` seconds (deterministic work units when
    ``settings.deterministic``), the settings' workers and seed, no probing on a large model."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    if large:
        p.cp_model_probing_level = 0  # probing a large model costs most of a minute
    p.num_workers = int(settings.workers)
    p.random_seed = int(settings.seed)
    p.log_search_progress = bool(settings.log)
    if settings.deterministic:
        p.interleave_search = True
        p.max_deterministic_time = float(limit)
        p.max_time_in_seconds = float(20 * limit)  # only a safety net: a loaded machine must not change the answer
    else:
        p.max_time_in_seconds = float(limit)
    return solver


def _stage(name: str, status: str, solver: cp_model.CpSolver, found: bool, seconds: float) -> dict:
    """One row of ``SolveResult.stages``: objective and bound are None when nothing was found."""
    return {"name": name, "status": status, "objective": solver.objective_value if found else None,
            "bound": solver.best_objective_bound if found else None, "seconds": seconds}


def extract(problem: Problem, v: ModelVars, solver: cp_model.CpSolver) -> pd.DataFrame:
    """The solver's assignment as a solution table.

    Returns
    -------
    DataFrame
        Columns ``op, machine_id, ws, wr, we`` [working-clock min of the machine],
        ``changeover_min, prev_op``, one row per operation in ``op`` order (see :func:`sequence`).
    """
    alts = problem.alts
    rows = []
    for j, lit in v.present.items():
        if solver.boolean_value(lit):
            s, p = int(alts.setup_min.iat[j]), int(alts.run_min.iat[j])
            ws = int(solver.value(v.ws[j]))
            rows.append([int(alts.op.iat[j]), alts.machine_id.iat[j], ws, ws + s, ws + s + p])
    sol = pd.DataFrame(rows, columns=SOLUTION_COLUMNS[:5]).sort_values(["machine_id", "ws", "we"], kind="stable")
    return sequence(problem, sol)


def sequence(problem: Problem, sol: pd.DataFrame) -> pd.DataFrame:
    """Add ``prev_op`` and ``changeover_min`` from the order of operations on each machine.

    Parameters
    ----------
    sol : DataFrame
        Columns ``op, machine_id, ws, wr, we`` [working-clock min].

    Returns
    -------
    DataFrame
        Columns ``op, machine_id, ws, wr, we, changeover_min`` [min], ``prev_op`` (-1 for the
        first operation on its machine), in ``op`` order.
    """
    fam = problem.ops.family.to_numpy()
    sol = sol.sort_values(["machine_id", "ws", "we"], kind="stable").copy()
    prev = sol.groupby("machine_id").op.shift().fillna(-1).astype(int).to_numpy()
    change = []
    for i, m, p in zip(sol.op, sol.machine_id, prev):
        table = problem.changeover.get(m)
        change.append(table.get((fam[p], fam[i]), 0) if table and p >= 0 else 0)
    sol["prev_op"] = prev
    sol["changeover_min"] = change
    return sol.sort_values("op")[SOLUTION_COLUMNS].reset_index(drop=True)


def evaluate(problem: Problem, sol: pd.DataFrame, name: str, settings: ScheduleSettings) -> float:
    """Objective value of a solution, as the model computes it.

    Parameters
    ----------
    sol : DataFrame
        A solution table (:func:`planlib.schedule.dispatch.dispatch`): ``op, machine_id, ws, wr, we``
        [working-clock min], ``changeover_min``.
    name : {"tardiness", "makespan", "setup"}
        The objective term, unless ``settings.objective_weights`` weighs them.

    Returns
    -------
    float
        Weighted tardiness [weight * min], makespan [min from plan start] or changeover [min],
        plus ``move_penalty`` per moved operation when rescheduling; infinity for an empty solution.
    """
    if len(sol) == 0:
        return float("inf")
    ops, tls = problem.ops, problem.timelines
    end = np.array([tls[m].end_at(int(we)) for m, we in zip(sol.machine_id, sol.we)])
    end = pd.Series(end, index=sol.op.to_numpy()).sort_index()
    last = ops.groupby("order_id", sort=False).tail(1)
    terms = {
        "tardiness": float((np.maximum(end.loc[last.index].to_numpy() - last.due.to_numpy(), 0)
                            * last.weight.to_numpy()).sum()),
        "makespan": float(end.max()),
        "setup": float(sol.changeover_min.sum()),
    }
    value = (float(sum(w * terms[n] for n, w in settings.objective_weights)) if settings.objective_weights
             else terms[name])
    if problem.previous is not None and len(problem.previous):
        where = dict(zip(sol.op, zip(sol.machine_id, sol.wr)))
        moved = 0
        for i, m, start in zip(problem.previous.op, problem.previous.machine_id, problem.previous.start):
            new_m, wr = where[i]
            if new_m != m or abs(tls[m].start_at(int(wr)) - int(start)) > settings.move_tolerance_min:
                moved += 1
        value += settings.move_penalty * moved
    return value
