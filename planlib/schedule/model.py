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
    """Handles into a built model."""

    present: dict = field(default_factory=dict)   # alt row -> literal
    ws: dict = field(default_factory=dict)        # alt row -> working-clock setup start (expression)
    wr_vars: dict = field(default_factory=dict)   # (op, group) -> working-clock run start variable
    we_vars: dict = field(default_factory=dict)   # (op, group) -> run end variable (alternatives' runs differ)
    seg: dict = field(default_factory=dict)       # (op, group, tag) -> (segment index var, timeline)
    start: dict = field(default_factory=dict)     # op -> real run start
    end: dict = field(default_factory=dict)       # op -> real end
    arcs: dict = field(default_factory=dict)      # machine -> [(i_alt, j_alt, literal, changeover)]
    terms: dict = field(default_factory=dict)     # objective name -> linear expression
    moved: dict = field(default_factory=dict)     # op -> literal (rescheduling)
    wclock: dict = field(default_factory=dict)    # op -> {calendar group: (literal, wr, we)}
    restricted: bool = False                      # sequence arcs limited to a window of the hint


def _real_time(model, tl, w, lo_k, name, is_end, hi_k=None):
    """Real time of working-clock expression ``w`` on timeline ``tl`` (a start or an end)."""
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


def build_model(problem: Problem, settings: ScheduleSettings | None = None,
                hint: pd.DataFrame | None = None) -> tuple[cp_model.CpModel, ModelVars]:
    """Build the CP-SAT model of ``problem`` (the objective is set by :func:`solve`).

    Machines with identical calendars share one working clock, so an operation
    whose alternatives all share it has one working-clock start and end, and
    precedence between two such operations needs no conversion to real time.
    Real times (element constraints) are built only where needed: due dates of
    the last operations, precedence across different calendars, crews.

    Parameters
    ----------
    problem : Problem
    settings : ScheduleSettings
    hint : DataFrame, optional
        A solution (see :func:`planlib.schedule.dispatch.dispatch`) given as solution hint.

    Returns
    -------
    (CpModel, ModelVars)
    """
    settings = settings or ScheduleSettings()
    ops, alts, tls = problem.ops, problem.alts, problem.timelines
    model = cp_model.CpModel()
    v = ModelVars()
    horizon = problem.horizon
    earliest = ops.earliest.to_numpy()
    unbroken = ops.uninterruptible.to_numpy()
    group_of = _timeline_groups(tls)
    group_tl = {g: tls[m] for m, g in group_of.items()}
    frozen = {}
    if problem.frozen is not None:
        frozen = {int(i): (m, int(w)) for i, m, w in zip(problem.frozen.op, problem.frozen.machine_id,
                                                          problem.frozen.ws)}
    by_op = {i: list(g.index) for i, g in alts.groupby("op")}
    intervals = {m: [] for m in tls}
    # large problems: each run stays within neighbourhood_days of the heuristic's time
    window = {}
    if hint is not None and len(hint) and len(ops) > settings.large_ops and settings.neighbourhood_days:
        delta = int(settings.neighbourhood_days * 1440)
        for i, m, wr in zip(hint.op, hint.machine_id, hint.wr):
            t = tls[m].start_at(int(wr)) or 0
            window[int(i)] = (max(int(earliest[i]), t - delta), t + delta)
        v.restricted = True
    # per alternative: its presence literal and the working-clock window of its setup start
    bounds = {}  # alt row -> (lo, hi) of the setup start
    for j, (i, m, s, p) in enumerate(zip(alts.op, alts.machine_id, alts.setup_min, alts.run_min)):
        if i in frozen and frozen[i][0] != m:
            continue
        tl = tls[m]
        lit = model.new_bool_var(f"x{j}")
        if len(by_op[i]) == 1 or i in frozen:
            model.add(lit == 1)
        lo = tl.work_at(problem.not_before) if problem.not_before and i not in frozen else 0
        hi = max(0, tl.total - s - p)
        if i in window and i not in frozen:
            lo = max(lo, tl.work_at(window[i][0]) - s)
            hi = min(hi, tl.work_at(window[i][1]) - s)
            if lo > hi:  # this machine cannot run it inside the window
                model.add(lit == 0)
                lo = hi = max(0, min(lo, tl.total - s - p))
        if i in frozen:
            lo = hi = frozen[i][1]
        bounds[j] = (min(lo, hi), hi)
        v.present[j] = lit

    def krange(i, g, which):
        """Segments the run start (0) or end (1) of operation ``i`` can fall in on group ``g``."""
        tl = group_tl[g]
        lo_k = int(np.searchsorted(tl.b, earliest[i], side="right")) if len(tl.b) else 0
        if i not in window:
            return lo_k, None
        runs = [int(alts.run_min.iat[j]) for j in by_op[i] if group_of[alts.machine_id.iat[j]] == g]
        w_lo, w_hi = tl.work_at(window[i][0]), tl.work_at(window[i][1])
        if which == 0:
            return max(lo_k, tl.segment_of_start(w_lo)), tl.segment_of_start(w_hi)
        return max(lo_k, tl.segment_of_end(w_lo + min(runs))), tl.segment_of_end(min(tl.total, w_hi + max(runs)))

    # working-clock run start and end per (operation, calendar group): the alternatives on machines
    # of one group share them (as the alternatives of the OR-Tools flexible job-shop example share
    # the task's start), so an alternative adds a literal and an interval but no time variable
    wclock = {}   # i -> {g: (lit, wr, we)}
    v.wclock = wclock
    for i, rows in by_op.items():
        rows = [j for j in rows if j in v.present]
        if len(rows) > 1:
            model.add_exactly_one(v.present[j] for j in rows)
        groups: dict = {}
        for j in rows:
            groups.setdefault(group_of[alts.machine_id.iat[j]], []).append(j)
        wclock[i] = {}
        for g, js in groups.items():
            tl = group_tl[g]
            setup = {j: int(alts.setup_min.iat[j]) for j in js}
            run = {j: int(alts.run_min.iat[j]) for j in js}
            r_lo = min(bounds[j][0] + setup[j] for j in js)
            r_hi = max(bounds[j][1] + setup[j] for j in js)
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
            for j in js:
                lo, hi = bounds[j]
                if lo + setup[j] > r_lo:
                    model.add(wr >= lo + setup[j]).only_enforce_if(v.present[j])
                if hi + setup[j] < r_hi:
                    model.add(wr <= hi + setup[j]).only_enforce_if(v.present[j])
                if (i, g) in v.we_vars:
                    model.add(we == wr + run[j]).only_enforce_if(v.present[j])
                v.ws[j] = wr - setup[j]
                iv = model.new_optional_fixed_size_interval_var(wr - setup[j], setup[j] + run[j], v.present[j],
                                                                f"iv{j}")
                intervals[alts.machine_id.iat[j]].append((j, iv))
            if earliest[i] > 0 and i not in frozen:
                model.add(wr >= tl.work_at(int(earliest[i]))).only_enforce_if(lit)
            if unbroken[i] and not tl.continuous and max(run.values()) > 0:
                # the run stays inside one segment: start and end read in the same segment
                (lr, hr), (le, he) = krange(i, g, 0), krange(i, g, 1)
                _, kr = _real_time(model, tl, wr, lr, f"ur{i}_{g}", is_end=False, hi_k=hr)
                _, ke = _real_time(model, tl, we, le, f"ue{i}_{g}", is_end=True, hi_k=he)
                model.add(kr == ke).only_enforce_if(lit)
                v.seg[(i, g, "ur")] = (kr, tl)
                v.seg[(i, g, "ue")] = (ke, tl)
            wclock[i][g] = (lit, wr, we)

    zero_run = (alts.groupby("op").run_min.max() <= 0).reindex(range(len(ops)), fill_value=False).to_numpy()

    def real(i, which):
        """Real run start (``which == 0``) or end (1) of operation ``i``, built once."""
        cache = v.start if which == 0 else v.end
        if i in cache:
            return cache[i]
        if which == 1 and zero_run[i]:  # a run of zero minutes ends where it starts
            cache[i] = real(i, 0)
            return cache[i]
        parts = []
        for g, (lit, wr, we) in wclock[i].items():
            tl = group_tl[g]
            lo_k, hi_k = krange(i, g, which)
            tag = "r" if which == 0 else "e"
            t, k = _real_time(model, tl, wr if which == 0 else we, lo_k, f"{tag}{i}_{g}", is_end=which == 1,
                              hi_k=hi_k)
            if k is not None:
                v.seg[(i, g, tag)] = (k, tl)
            parts.append((lit, t))
        if len(parts) == 1:
            cache[i] = parts[0][1]
        else:
            x = model.new_int_var(0, horizon, f"{'R' if which == 0 else 'E'}{i}")
            for lit, t in parts:
                model.add(x == t).only_enforce_if(lit)
            cache[i] = x
        return cache[i]

    # precedences: the previous operation of the order, and the make orders supplying the
    # operation's material (links; their last operation must end before the run starts)
    pairs = [(i, int(p)) for i, p in enumerate(ops.pred.to_numpy()) if p >= 0]
    if problem.links is not None and len(problem.links):
        pairs += [(int(i), int(j)) for i, j in zip(problem.links.op, problem.links.supply_op)]
    for i, pred in pairs:
        if i in frozen:
            continue
        gp, gs = wclock[pred], wclock[i]
        if len(gp) == 1 and len(gs) == 1 and list(gp) == list(gs):
            g = next(iter(gs))
            model.add(gs[g][1] >= gp[g][2])
        else:
            model.add(real(i, 0) >= real(pred, 1))

    family = ops.family.to_numpy()
    setup_terms = []
    hint_start = None
    if hint is not None and len(hint):
        hint_start = {int(i): tls[m].start_at(int(wr)) or 0 for i, m, wr in zip(hint.op, hint.machine_id, hint.wr)}
    for m, items in intervals.items():
        if len(items) > 1:
            model.add_no_overlap(iv for _, iv in items)
        table = problem.changeover.get(m)
        if not table or len(items) < 2:
            continue
        arcs, v.arcs[m] = [(0, 0, model.new_bool_var(f"idle_{m}"))], []  # the machine may stay unused
        pos_of = None
        if hint_start is not None and len(items) > settings.full_sequence_max:
            # large machine: arcs only between operations close in the hint's order (see ScheduleSettings)
            order = sorted(range(len(items)), key=lambda a: (hint_start.get(alts.op.iat[items[a][0]], 0), a))
            pos_of = {a: pos for pos, a in enumerate(order)}
            v.restricted = True
        for node, (j, _) in enumerate(items, start=1):
            arcs.append((0, node, model.new_bool_var(f"first{j}")))
            arcs.append((node, 0, model.new_bool_var(f"last{j}")))
            arcs.append((node, node, ~v.present[j]))
        alt_op = alts.op.to_numpy()
        alt_size = (alts.setup_min + alts.run_min).to_numpy()
        order_of = ops.order_id.to_numpy()
        nodes = [j for j, _ in items]
        if pos_of is None:
            pairs = ((a, b) for a in range(len(nodes)) for b in range(len(nodes)) if a != b)
        else:
            by_pos = sorted(range(len(nodes)), key=lambda a: pos_of[a])
            w = settings.sequence_window
            pairs = {(by_pos[x], by_pos[y]) for x in range(len(nodes))
                     for y in range(max(0, x - w), min(len(nodes), x + w + 1)) if x != y}
            # and always the hint's own sequence on this machine, so that the hint stays feasible
            node_of = {int(alts.op.iat[j]): a for a, j in enumerate(nodes)}
            for i, pm, pv in zip(hint.op, hint.machine_id, hint.prev_op):
                if pm == m and pv >= 0 and int(i) in node_of and int(pv) in node_of:
                    pairs.add((node_of[int(pv)], node_of[int(i)]))
            pairs = sorted(pairs)
        floor = tls[m].work_at(problem.not_before) if problem.not_before else 0
        for a, b in pairs:
            ja, jb = nodes[a], nodes[b]
            ia, ib = int(alt_op[ja]), int(alt_op[jb])
            if order_of[ia] == order_of[ib] and ib < ia:
                continue  # an order's operations keep their sequence
            change = table.get((family[ia], family[ib]), 0)
            lit = model.new_bool_var(f"a{ja}_{jb}")
            arcs.append((a + 1, b + 1, lit))
            model.add(v.ws[jb] >= v.ws[ja] + int(alt_size[ja]) + change).only_enforce_if(lit)
            if floor and change and ib not in frozen:
                # the changeover itself may not start before the repair time
                model.add(v.ws[jb] >= floor + change).only_enforce_if(lit)
            v.arcs[m].append((ja, jb, lit, change))
            if change:
                setup_terms.append(change * lit)
        model.add_circuit(arcs)

    crew_iv = {}
    for i in ops.index[(ops.crew_size > 0) & ops.work_center_id.isin(list(problem.crews))]:
        r = model.new_int_var(0, horizon, f"cr{i}")
        e = model.new_int_var(0, horizon, f"ce{i}")
        model.add(r == real(i, 0))
        model.add(e == real(i, 1))
        size = model.new_int_var(0, horizon, f"cs{i}")
        civ = model.new_interval_var(r, size, e, f"civ{i}")
        crew_iv.setdefault(ops.work_center_id.iat[i], []).append(
            (civ, int(round(ops.crew_size.iat[i] * CREW_SCALE))))
    for wc, items in crew_iv.items():
        model.add_cumulative([iv for iv, _ in items], [d for _, d in items],
                             int(round(problem.crews[wc] * CREW_SCALE)))

    # objective terms
    last = ops.groupby("order_id", sort=False).tail(1)
    tard = []
    for i, due, w in zip(last.index, last.due, last.weight):
        t = model.new_int_var(0, horizon + max(0, -int(due)), f"T{i}")
        model.add(t >= real(i, 1) - int(due))
        tard.append(int(w) * t)
    v.terms["tardiness"] = sum(tard) if tard else 0
    mk = model.new_int_var(0, horizon, "makespan")
    if len(last):
        model.add_max_equality(mk, [real(i, 1) for i in last.index])
    v.terms["makespan"] = mk
    if all(tl.continuous for tl in tls.values()) and not frozen:
        # redundant energy bounds (machines that never stop): a machine's work ends by the makespan,
        # and all the work fits on all the machines
        loads = []
        for m, items in intervals.items():
            load = sum(int(alts.setup_min.iat[j] + alts.run_min.iat[j]) * v.present[j] for j, _ in items)
            if items:
                model.add(load <= mk)
                loads.append(load)
        if loads:
            model.add(sum(loads) <= len(loads) * mk)
    v.terms["setup"] = sum(setup_terms) if setup_terms else 0
    if problem.previous is not None and len(problem.previous):
        moved = []
        tol = settings.move_tolerance_min
        for i, m, start in zip(problem.previous.op, problem.previous.machine_id, problem.previous.start):
            i = int(i)
            if i in frozen or i not in by_op:
                continue
            rows = [j for j in by_op[i] if j in v.present and alts.machine_id.iat[j] == m]
            stay = model.new_bool_var(f"stay{i}")
            if not rows:
                model.add(stay == 0)
            else:
                j = rows[0]
                tl = tls[m]
                w0 = tl.work_at(int(start))
                wr = v.ws[j] + int(alts.setup_min.iat[j])
                model.add_implication(stay, v.present[j])
                model.add(wr >= tl.work_at(int(start) - tol)).only_enforce_if(stay)
                model.add(wr <= max(w0, tl.work_at(int(start) + tol))).only_enforce_if(stay)
            v.moved[i] = ~stay
            moved.append(1 - stay)
        v.terms["moves"] = sum(moved) if moved else 0

    if hint is not None and len(hint):
        add_hint(model, problem, v, hint)
    return model, v


def add_hint(model: cp_model.CpModel, problem: Problem, v: ModelVars, sol: pd.DataFrame) -> None:
    """Give a complete solution (``op, machine_id, ws, wr, we, prev_op``) as the CP-SAT hint."""
    model.clear_hints()
    alts, tls = problem.alts, problem.timelines
    chosen = dict(zip(sol.op, sol.machine_id))
    ws_of = dict(zip(sol.op, sol.ws))
    prev = dict(zip(sol.op, sol.prev_op))
    row_of = {}
    for j, (i, m) in enumerate(zip(alts.op, alts.machine_id)):
        if j not in v.present:
            continue
        on = chosen.get(i) == m
        model.add_hint(v.present[j], on)
        if on:
            row_of[i] = j
    group_of = _timeline_groups(tls)
    for (i, g), wr in v.wr_vars.items():
        j = row_of.get(i)
        if j is not None and group_of[alts.machine_id.iat[j]] == g:
            model.add_hint(wr, int(ws_of[i]) + int(alts.setup_min.iat[j]))
            if (i, g) in v.we_vars:
                model.add_hint(v.we_vars[(i, g)], int(ws_of[i]) + int(alts.setup_min.iat[j] + alts.run_min.iat[j]))
    for (i, g, tag), (k, tl) in v.seg.items():
        m = chosen.get(i)
        if m is None or group_of[m] != g:
            continue
        j = row_of[i]
        wr = int(ws_of[i]) + int(alts.setup_min.iat[j])
        we = wr + int(alts.run_min.iat[j])
        model.add_hint(k, tl.segment_of_start(wr) if tag in ("r", "ur") else tl.segment_of_end(we))
    for m, arcs in v.arcs.items():
        for ja, jb, lit, _ in arcs:
            ia, ib = alts.op.iat[ja], alts.op.iat[jb]
            model.add_hint(lit, row_of.get(ib) == jb and row_of.get(ia) == ja and prev.get(ib) == ia)


def _objective(v: ModelVars, name: str, settings: ScheduleSettings, extra_moves: bool):
    if settings.objective_weights:
        expr = sum(float(w) * v.terms[n] for n, w in settings.objective_weights)
    else:
        expr = v.terms[name]
    if extra_moves and "moves" in v.terms:
        expr = expr + settings.move_penalty * v.terms["moves"]
    return expr


@dataclass
class SolveResult:
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

    Returns
    -------
    SolveResult
        ``solution`` as from :func:`planlib.schedule.dispatch.dispatch` (empty if CP-SAT found
        nothing), ``status`` (OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN of the last level),
        ``objective`` and ``bound`` of the first level, wall ``seconds``, ``stages`` (per level:
        name, status, objective, bound, seconds).
    """
    settings = settings or ScheduleSettings()
    t0 = time.perf_counter()
    model, v = build_model(problem, settings, hint)
    stages = settings.objectives()
    out = []
    best = None
    objective = bound = None
    status_name = "UNKNOWN"
    large = len(problem.ops) > settings.large_ops
    budget = settings.time_limit_s
    if large and hint is not None and len(hint):
        # a large model: complete the partial hint by propagation (every variable fixed to its
        # hinted value where it has one), then hint every variable, so that the search starts
        # from a full solution
        ts = time.perf_counter()
        model.minimize(_objective(v, stages[0][0], settings, extra_moves=True))
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
        budget = max(1.0, budget - (time.perf_counter() - ts))
    for level, (name, _) in enumerate(stages):
        expr = _objective(v, name, settings, extra_moves=level == 0)
        model.minimize(expr)
        solver = cp_model.CpSolver()
        limit = budget / len(stages)
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
        ts = time.perf_counter()
        status = solver.solve(model)
        status_name = solver.status_name(status)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        out.append(dict(name=name, status=status_name,
                        objective=solver.objective_value if found else None,
                        bound=solver.best_objective_bound if found else None,
                        seconds=time.perf_counter() - ts))
        if not found:
            break
        best = extract(problem, v, solver)
        if level == 0:
            objective, bound = solver.objective_value, solver.best_objective_bound
        if level + 1 < len(stages):
            model.add(expr <= int(round(solver.objective_value)))
            add_hint(model, problem, v, best)
    sol = best if best is not None else pd.DataFrame(columns=SOLUTION_COLUMNS)
    return SolveResult(sol, status_name, objective, bound, time.perf_counter() - t0, out, v.restricted)


def extract(problem: Problem, v: ModelVars, solver: cp_model.CpSolver) -> pd.DataFrame:
    """The solver's assignment as a solution table (``op, machine_id, ws, wr, we, changeover_min, prev_op``)."""
    alts = problem.alts
    rows = []
    for j, lit in v.present.items():
        if solver.boolean_value(lit):
            s, p = int(alts.setup_min.iat[j]), int(alts.run_min.iat[j])
            ws = int(solver.value(v.ws[j]))
            rows.append([int(alts.op.iat[j]), alts.machine_id.iat[j], ws, ws + s, ws + s + p])
    sol = pd.DataFrame(rows, columns=SOLUTION_COLUMNS[:5]).sort_values(["machine_id", "ws"])
    return sequence(problem, sol)


def sequence(problem: Problem, sol: pd.DataFrame) -> pd.DataFrame:
    """Add ``prev_op`` and ``changeover_min`` from the order of operations on each machine."""
    fam = problem.ops.family.to_numpy()
    sol = sol.sort_values(["machine_id", "ws"]).copy()
    prev = sol.groupby("machine_id").op.shift().fillna(-1).astype(int).to_numpy()
    change = []
    for i, m, p in zip(sol.op, sol.machine_id, prev):
        table = problem.changeover.get(m)
        change.append(table.get((fam[p], fam[i]), 0) if table and p >= 0 else 0)
    sol["prev_op"] = prev
    sol["changeover_min"] = change
    return sol.sort_values("op")[SOLUTION_COLUMNS].reset_index(drop=True)
