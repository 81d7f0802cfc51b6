"""The named steps of the CP-SAT model (planlib.schedule.model) and of the dispatching heuristic
(planlib.schedule.dispatch), each on a case small enough to work out by hand, and the invariant
that ties them together: the heuristic's schedule, given as a fixed hint, satisfies every
constraint the model's steps add (calendars, changeovers, precedences).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from planlib.schedule.dispatch import _atcs_scales, _first_overload, _options, dispatch
from planlib.schedule.jobshop import to_problem
from planlib.schedule.model import _arc_candidates, _lookups, _setup_start_range, build_model, extract
from planlib.schedule.problem import Problem, ScheduleSettings
from planlib.schedule.timeline import Timeline

T0 = pd.Timestamp("2026-11-23")


def _problem(n_ops: int, machines: dict, runs: dict, uninterruptible=False, earliest=0) -> Problem:
    """``n_ops`` operations of one order each; ``runs``: ``(op, machine) -> (setup, run)`` [min]."""
    ops = pd.DataFrame(dict(order_id=[f"O{i}" for i in range(n_ops)], item_id="X", op_seq=10, work_center_id="WC",
                            family="", qty=1.0, earliest=earliest, due=10_000, weight=1, crew_size=0.0,
                            uninterruptible=uninterruptible, status="planned", pred=-1))
    alts = pd.DataFrame([dict(op=i, machine_id=m, setup_min=s, run_min=p) for (i, m), (s, p) in runs.items()])
    return Problem(ops=ops, alts=alts, timelines=machines, plan_start=T0)


# --------------------------------------------------------------------------- model steps

def test_setup_start_range_in_the_neighbourhood_window():
    """Machine M works [0, 480) and [1440, 1920) (960 working minutes); N only [0, 300). The hint runs
    the operation on M at working minute 500, real time 1440 + 20 = 1460, so with a 6-hour
    neighbourhood its run stays within real [1100, 1820]: on M's working clock 1100 (a pause) reads
    480 and 1820 reads 480 + 380 = 860, so the setup (10 min) starts in [470, 850]. N's clock ends
    at 300: no start fits the window there."""
    m = Timeline.from_pairs([(0, 480), (1440, 1920)])
    n = Timeline.from_pairs([(0, 300)])
    p = _problem(1, {"M": m, "N": n}, {(0, "M"): (10, 60), (0, "N"): (10, 60)})
    hint = pd.DataFrame(dict(op=[0], machine_id=["M"], ws=[490], wr=[500], we=[560], changeover_min=[0], prev_op=[-1]))
    ix = _lookups(p, ScheduleSettings(large_ops=0, neighbourhood_days=0.25), hint)
    assert ix.window == {0: (1100, 1820)}
    assert _setup_start_range(ix, 0, m, 10, 60) == (470, 850, True)
    assert _setup_start_range(ix, 0, n, 10, 60) == (230, 230, False)
    # without a window: from 0 to the last start that ends in the calendar
    ix = _lookups(p, ScheduleSettings(), hint)
    assert ix.window == {}
    assert _setup_start_range(ix, 0, m, 10, 60) == (0, 960 - 70, True)


def test_alternative_outside_the_window_is_never_used():
    """The same case through build_model: the solver must put the operation on M."""
    m = Timeline.from_pairs([(0, 480), (1440, 1920)])
    n = Timeline.from_pairs([(0, 300)])
    p = _problem(1, {"M": m, "N": n}, {(0, "M"): (10, 60), (0, "N"): (10, 1)})
    hint = pd.DataFrame(dict(op=[0], machine_id=["M"], ws=[490], wr=[500], we=[560], changeover_min=[0], prev_op=[-1]))
    model, v = build_model(p, ScheduleSettings(large_ops=0, neighbourhood_days=0.25), hint)
    assert v.restricted
    model.minimize(v.terms["makespan"])
    solver = cp_model.CpSolver()
    assert solver.solve(model) == cp_model.OPTIMAL
    sol = extract(p, v, solver)
    assert sol.machine_id.tolist() == ["M"] and sol.ws.iat[0] == 470  # earliest start in the window


def test_arc_candidates_all_pairs_or_the_window_and_the_hint_sequence():
    """Four operations on M. Without an order every ordered pair gets an arc (12). With the hint's
    order 0, 1, 2, 3 and a window of one place, neighbours only (6), plus the hint's own sequence
    3 -> 0 on M, which the window would have cut."""
    tl = Timeline.always(10_000)
    p = _problem(4, {"M": tl}, {(i, "M"): (0, 10) for i in range(4)})
    hint = pd.DataFrame(dict(op=[0, 1, 2, 3], machine_id="M", ws=[30, 0, 10, 20], wr=[30, 0, 10, 20],
                             we=[40, 10, 20, 30], changeover_min=0, prev_op=[3, -1, 1, 2]))
    ix = _lookups(p, ScheduleSettings(sequence_window=1), hint)
    nodes = [0, 1, 2, 3]
    assert sorted(_arc_candidates(ix, "M", nodes, None)) == [(a, b) for a in range(4) for b in range(4) if a != b]
    assert _arc_candidates(ix, "M", nodes, [0, 1, 2, 3]) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 0), (3, 2)]
    # the hint's order on the machine is what the window counts in
    assert _arc_candidates(ix, "M", nodes, [1, 2, 3, 0]) == [(0, 3), (1, 2), (2, 1), (2, 3), (3, 0), (3, 2)]


def test_uninterruptible_run_waits_for_a_segment_it_fits_in():
    """M works [0, 100) and [200, 400). A run of 80 min from minute 50 does not fit before the pause:
    uninterruptible, it starts at 200 (working minute 100) and ends at 280; allowed to pause, it
    starts at 50 and ends at 230 (50 minutes before the pause, 30 after)."""
    tl = Timeline.from_pairs([(0, 100), (200, 400)])
    for unbroken, (start, end) in ((True, (200, 280)), (False, (50, 230))):
        p = _problem(1, {"M": tl}, {(0, "M"): (0, 80)}, uninterruptible=unbroken, earliest=50)
        model, v = build_model(p)
        tags = {tag for _, _, tag in v.seg}
        assert ({"ur", "ue"} <= tags) == unbroken  # run start and end segments only where it must stay in one
        model.minimize(v.terms["makespan"])
        solver = cp_model.CpSolver()
        assert solver.solve(model) == cp_model.OPTIMAL
        sol = extract(p, v, solver)
        assert (tl.start_at(int(sol.wr.iat[0])), tl.end_at(int(sol.we.iat[0]))) == (start, end)
        assert solver.value(v.terms["makespan"]) == end


# --------------------------------------------------------------------------- dispatch steps

def test_atcs_scales_by_hand():
    """Job 0: 3 min on M0, then 4 on M1 or 6 on M0; job 1: 5 on M1. Work remaining from each
    operation (fastest machine): 3 + 4 = 7, 4, 5; mean operation 4; no changeovers: scale 1."""
    p = to_problem([[[(0, 3)], [(1, 4), (0, 6)]], [[(1, 5)]]])
    rem, p_mean, s_mean = _atcs_scales(p, _options(p.alts, len(p.ops)))
    assert rem.tolist() == [7.0, 4.0, 5.0]
    assert (p_mean, s_mean) == (4.0, 1.0)
    p.changeover = {"M0": {("A", "B"): 30, ("B", "A"): 10}}
    assert _atcs_scales(p, _options(p.alts, len(p.ops)))[2] == 20.0


def test_first_overload_of_a_crew():
    """Two operators busy [0, 100) and [50, 150), one each. An operation from minute 20 needing one
    more: with 2 operators it fits at 20 but not at 50 (3 > 2), so it must wait until 100, when the
    first use ends; with 3 operators it fits."""
    busy = [(0, 100, 1.0), (50, 150, 1.0)]
    assert _first_overload(busy, 20, 1.0, 2.0) == 100
    assert _first_overload(busy, 20, 1.0, 3.0) is None


def test_crew_limit_delays_the_second_operation():
    """Two one-hour operations on two machines of one work center with one operator: the heuristic
    runs them one after the other."""
    tl = Timeline.always(10_000)
    p = _problem(2, {"M1": tl, "M2": tl}, {(0, "M1"): (0, 60), (1, "M2"): (0, 60)})
    p.ops["crew_size"] = 1.0
    p.crews = {"WC": 1}
    sol = dispatch(p, "edd")
    assert sorted(zip(sol.wr, sol.we)) == [(0, 60), (60, 120)]
    p.crews = {"WC": 2}
    assert sorted(zip(dispatch(p, "edd").wr, dispatch(p, "edd").we)) == [(0, 60), (0, 60)]


# --------------------------------------------------------------------------- the steps together

@st.composite
def plants(draw):
    """Orders of 1-3 operations on 1-3 machines with shifts, families and changeovers."""
    n_machines = draw(st.integers(1, 3))
    machines = {}
    for m in range(n_machines):
        shift, pause = draw(st.integers(60, 200)), draw(st.integers(0, 120))
        machines[f"M{m}"] = Timeline.from_pairs([(k * (shift + pause), k * (shift + pause) + shift)
                                                 for k in range(400)])
    op_rows, alt_rows = [], []
    for o in range(draw(st.integers(1, 5))):
        family = draw(st.sampled_from("AB"))
        pred = -1
        for seq in range(draw(st.integers(1, 3))):
            i = len(op_rows)
            op_rows.append(dict(order_id=f"O{o}", item_id=f"I{o}", op_seq=seq, work_center_id="WC", family=family,
                                qty=1.0, earliest=draw(st.integers(0, 300)) if pred < 0 else 0,
                                due=draw(st.integers(0, 2000)), weight=draw(st.integers(1, 9)), crew_size=0.0,
                                uninterruptible=draw(st.booleans()), status="planned", pred=pred))
            for m in draw(st.lists(st.sampled_from(sorted(machines)), min_size=1, max_size=n_machines, unique=True)):
                alt_rows.append(dict(op=i, machine_id=m, setup_min=draw(st.integers(0, 10)),
                                     run_min=draw(st.integers(1, 50))))
            pred = i
    change = {m: {("A", "B"): draw(st.integers(0, 30)), ("B", "A"): draw(st.integers(0, 30))}
              for m in machines if draw(st.booleans())}
    return Problem(ops=pd.DataFrame(op_rows), alts=pd.DataFrame(alt_rows), timelines=machines, changeover=change,
                   plan_start=T0)


@hyp_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plants(), st.sampled_from(["atcs", "edd", "mwkr"]))
def test_the_heuristic_schedule_satisfies_every_model_step(problem, rule):
    """Invariant: the dispatching rule's schedule, hinted and fixed (CP-SAT may only fill in what the
    hint leaves open), is a solution of the model (every step's constraints hold), the solution read
    back is the hint, and the model's tardiness is the schedule's."""
    hint = dispatch(problem, rule)
    model, v = build_model(problem, ScheduleSettings(), hint)
    model.minimize(v.terms["tardiness"])
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    sol = extract(problem, v, solver)
    cols = ["op", "machine_id", "ws", "wr", "we", "prev_op"]
    pd.testing.assert_frame_equal(sol[cols], hint[cols].astype({c: sol[c].dtype for c in cols}))
    # tardiness as the model counts it equals the schedule's, from real end times
    ends = np.array([problem.timelines[m].end_at(int(we)) for m, we in zip(hint.machine_id, hint.we)])
    last = problem.ops.groupby("order_id", sort=False).tail(1)
    tard = (np.maximum(ends[last.index] - last.due.to_numpy(), 0) * last.weight.to_numpy()).sum()
    assert solver.objective_value == tard
