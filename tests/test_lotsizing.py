"""Lot-sizing rules: textbook examples with published answers, optimality, invariants."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib import lotsizing as ls

RULES = {
    "L4L": lambda r, K, h: ls.lot_for_lot(r),
    "WW": ls.wagner_whitin,
    "SM": ls.silver_meal,
    "LUC": ls.least_unit_cost,
    "PPB": ls.part_period_balancing,
    "POQ": lambda r, K, h: ls.period_order_quantity(r, 3),
    "FOQ": lambda r, K, h: ls.fixed_order_quantity(r, 25),
}


def assert_lot_plan(rule, orders, net):
    """The consistency check every lot-sizing rule goes through.

    Orders are non-negative, cover the net requirements of every period on
    time (cumulative orders >= cumulative net), are placed only in periods
    with a net requirement, and - except FOQ, which rounds up - order exactly
    the total net requirement, each order covering a run of whole periods.
    """
    orders = np.asarray(orders, dtype=float)
    net = np.asarray(net, dtype=float)
    assert (orders >= -1e-9).all(), rule
    assert (np.cumsum(orders) >= np.cumsum(net) - 1e-6).all(), rule
    placed = orders > 1e-9
    assert (net[placed] > 0).all(), f"{rule}: order in a period without need"
    if rule == "FOQ":
        return
    assert orders.sum() == pytest.approx(net.sum()), rule
    # each order is the sum of the net requirements from its period to the next order
    starts = np.flatnonzero(placed)
    bounds = list(starts[1:]) + [len(net)]
    for s, e in zip(starts, bounds):
        assert orders[s] == pytest.approx(net[s:e].sum()), rule


# --------------------------------------------------------------------------- textbook cases

NAHMIAS = {"net": [18, 30, 42, 5, 20], "order_cost": 80.0, "holding_cost": 2.0}


def test_nahmias_silver_meal():
    """Nahmias, Production and Operations Analysis, MRP lot-sizing example (Example 7.5 in the
    edition quoted by course notes): r = (18, 30, 42, 5, 20), K = $80, h = $2 per unit per period.
    Published Silver-Meal answer y = (48, 0, 47, 0, 20)."""
    y = ls.silver_meal(**NAHMIAS)
    assert y.tolist() == [48, 0, 47, 0, 20]
    assert ls.plan_cost(y, NAHMIAS["net"], 80, 2) == 310


def test_nahmias_part_period_balancing():
    """Same example: published PPB answer y = (48, 0, 67, 0, 0), setup and holding costs $310."""
    y = ls.part_period_balancing(**NAHMIAS)
    assert y.tolist() == [48, 0, 67, 0, 0]
    assert ls.plan_cost(y, NAHMIAS["net"], 80, 2) == 310


def test_nahmias_least_unit_cost_and_wagner_whitin():
    """Same example. LUC by its definition (hand check: from period 1 the unit costs are
    4.44, 2.92, 3.42 -> cover 2 periods; from 3: 1.905, 1.915 -> 1 period; from 4: 16, 4.8 ->
    2 periods) gives (48, 0, 42, 25, 0) at $340; Wagner-Whitin is optimal at $310 (PPB and
    Silver-Meal are optimal here, as the text remarks of this example)."""
    y = ls.least_unit_cost(**NAHMIAS)
    assert y.tolist() == [48, 0, 42, 25, 0]
    assert ls.plan_cost(y, NAHMIAS["net"], 80, 2) == 340
    w = ls.wagner_whitin(**NAHMIAS)
    assert ls.plan_cost(w, NAHMIAS["net"], 80, 2) == 310
    assert w.tolist() == [48, 0, 67, 0, 0]  # fewest orders among the optimal plans


HEIZER = {"r": [0, 30, 40, 0, 10, 40, 30, 0, 30, 55], "K": 100.0, "h": 1.0}


def test_heizer_render_speaker_kits():
    """Heizer & Render, Operations Management, MRP chapter, lot-sizing examples (Speaker Kits,
    Inc.): gross 35, 30, 40, 0, 10, 40, 30, 0, 30, 55 with 35 on hand -> the net requirements
    above; setup $100, holding $1 per unit per week. Published total costs: lot-for-lot $700,
    part period balancing $490, Wagner-Whitin $455 (edition and page not checked here)."""
    r, K, h = HEIZER["r"], HEIZER["K"], HEIZER["h"]
    assert ls.plan_cost(ls.lot_for_lot(r), r, K, h) == 700
    ppb = ls.part_period_balancing(r, K, h)
    assert ppb.tolist() == [0, 80, 0, 0, 0, 100, 0, 0, 0, 55]
    assert ls.plan_cost(ppb, r, K, h) == 490
    ww = ls.wagner_whitin(r, K, h)
    assert ww.tolist() == [0, 80, 0, 0, 0, 70, 0, 0, 85, 0]
    assert ls.plan_cost(ww, r, K, h) == 455
    # EOQ from the average weekly demand 27 (1,404 a year) with H = $52 a year: 73 units
    assert ls.economic_order_quantity(27 * 52, 100, 52) == 73


JACOBS_CHASE = {"net": [50, 60, 70, 60, 95, 75, 60, 55], "order_cost": 47.0, "holding_cost": 0.05}


def test_jacobs_chase_core_ch9_pages_284_285():
    """Jacobs & Chase, *Operations and Supply Chain Management: The Core* (McGraw-Hill), ch. 9,
    Exhibits 9.16 (p. 284) and 9.17 (p. 285) - pages read on a public scan (yumpu.com document
    67423651, viewer pages 309-310, printed headers "284 OPERATIONS AND SUPPLY CHAIN MANAGEMENT"
    and "MATERIAL REQUIREMENTS PLANNING chapter 9 285"); edition not printed there, not verified.
    Net 50, 60, 70, 60, 95, 75, 60, 55; S = $47; h = $0.05 per unit per week on ending stock.
    Published: least total cost (= planlib's PPB) 335 + 190 at $140.50, least unit cost 410 + 115
    at $153.50, lot-for-lot $376, EOQ $171.05 (p. 284)."""
    r, K, h = JACOBS_CHASE["net"], JACOBS_CHASE["order_cost"], JACOBS_CHASE["holding_cost"]
    ltc = ls.part_period_balancing(**JACOBS_CHASE)
    assert ltc.tolist() == [335, 0, 0, 0, 0, 190, 0, 0]
    assert ls.plan_cost(ltc, r, K, h) == pytest.approx(140.50)
    luc = ls.least_unit_cost(**JACOBS_CHASE)
    assert luc.tolist() == [410, 0, 0, 0, 0, 0, 115, 0]
    assert ls.plan_cost(luc, r, K, h) == pytest.approx(153.50)
    assert ls.plan_cost(ls.lot_for_lot(r), r, K, h) == pytest.approx(376.00)
    # EOQ from the 8-week average (3,412.5 a year) and H = 52 x $0.05: sqrt(123,375) = 351.2
    q = ls.economic_order_quantity(sum(r) / len(r) * 52, K, h * 52)
    assert q == 351
    eoq = ls.fixed_order_quantity(r, q)
    assert eoq.tolist() == [351, 0, 0, 0, 0, 351, 0, 0]
    assert ls.plan_cost(eoq, r, K, h) == pytest.approx(171.05)
    # not in the book: Wagner-Whitin finds the optimum, $131, below the book's best ($140.50)
    ww = ls.wagner_whitin(**JACOBS_CHASE)
    assert ls.plan_cost(ww, r, K, h) == pytest.approx(131.0)
    assert _brute_force_cost(r, K, h) == pytest.approx(131.0)


def test_southampton_wagner_whitin_exercise():
    """University of Southampton OR exercise (edshare document 4121): demand 40, 20, 10, 30, 20,
    set-up 100, holding 2 per unit per period: published optimum 70, 0, 0, 50, 0 at 320."""
    y = ls.wagner_whitin([40, 20, 10, 30, 20], 100, 2)
    assert y.tolist() == [70, 0, 0, 50, 0]
    assert ls.plan_cost(y, [40, 20, 10, 30, 20], 100, 2) == 320


def test_fixed_and_period_order_quantity():
    r = [10, 0, 35, 5, 0, 60]
    assert ls.fixed_order_quantity(r, 25).tolist() == [25, 0, 25, 0, 0, 75]
    assert ls.period_order_quantity(r, 2).tolist() == [10, 0, 40, 0, 0, 60]


def test_economic_order_quantity():
    # sqrt(2 * 100 * 1000 / 5) = 200
    assert ls.economic_order_quantity(1000, 100, 5) == 200
    assert ls.economic_order_quantity(0, 100, 5) == 0
    assert ls.economic_order_quantity(1000, 100, 0) == 0


# --------------------------------------------------------------------------- properties

def _brute_force_cost(r, K, h):
    """Least cost over every set of order periods (an order covers up to the next one)."""
    n = len(r)
    need = [t for t in range(n) if r[t] > 0]
    if not need:
        return 0.0
    best = np.inf
    first = need[0]
    others = [t for t in range(first + 1, n)]
    for k in range(len(others) + 1):
        for extra in itertools.combinations(others, k):
            starts = [first, *extra]
            y = np.zeros(n)
            for s, e in zip(starts, starts[1:] + [n]):
                y[s] = sum(r[s:e])
            best = min(best, ls.plan_cost(y, r, K, h))
    return best


demands = st.lists(st.integers(0, 60), min_size=1, max_size=7)
costs = st.floats(1, 300, allow_nan=False), st.floats(0.05, 5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(demands, *costs)
def test_wagner_whitin_is_optimal(r, K, h):
    cost = ls.plan_cost(ls.wagner_whitin(r, K, h), r, K, h)
    assert cost == pytest.approx(_brute_force_cost(r, K, h), rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 80), min_size=1, max_size=16), *costs)
def test_every_rule_is_a_valid_plan_and_ww_is_cheapest(r, K, h):
    ww = ls.plan_cost(ls.wagner_whitin(r, K, h), r, K, h)
    for rule, f in RULES.items():
        y = f(r, K, h)
        assert_lot_plan(rule, y, r)
        if rule != "FOQ":
            assert ls.plan_cost(y, r, K, h) >= ww - 1e-6


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=9, max_size=9), min_size=1, max_size=6),
       st.sampled_from(ls.DYNAMIC_RULES))
def test_vectorised_windows_equal_single_item(rows, rule):
    net = np.array(rows, dtype=float)
    K = np.linspace(40, 140, len(rows))
    h = np.linspace(0.5, 2.0, len(rows))
    many = ls.dynamic_windows(rule, net, K, h)
    for k in range(len(rows)):
        one = ls.dynamic_windows(rule, net[k:k + 1], K[k:k + 1], h[k:k + 1])[0]
        assert (many[k][net[k] > 0] == one[net[k] > 0]).all()


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        ls.dynamic_windows("XYZ", np.zeros((1, 3)), np.ones(1), np.ones(1))
