"""The data contract: every table planlib reads, its columns, types and rules.

One declarative place per table. The loader (:mod:`planlib.data`) uses it to
parse and type the raw cells; the validator (:mod:`planlib.validate`) uses it
to check values and references. ``docs/data-contract.md`` documents the same
tables for people; ``tests/test_contract.py`` keeps the two in step.

Column kinds
------------
``str``       text, surrounding blanks stripped
``int``       whole number
``float``     number
``date``      calendar date (ISO ``2026-11-23`` recommended; Excel dates work)
``datetime``  date and time (``2026-11-23 06:00``)
``time``      time of day ``HH:MM`` (``24:00`` allowed as an end time)
``weekday``   ``Mon`` .. ``Sun`` or 0 .. 6 (Monday = 0), stored as 0 .. 6
``bool``      ``true/false``, ``yes/no``, ``1/0``
"""
from __future__ import annotations

from dataclasses import dataclass

LOT_RULES = ("L4L", "FOQ", "POQ", "EOQ", "WW", "SM", "LUC", "PPB")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``required`` columns must be present in the file; ``nullable=False``
    columns must also have a value in every row. ``default`` fills empty
    cells (and absent optional columns). ``choices`` lists the allowed values
    of an enum; ``min``/``max`` bound a number (``min_exclusive`` makes the
    lower bound strict). ``ref`` names ``"table.column"`` that must hold the
    value. ``aliases`` are other headers read as this column when it is
    absent (e.g. statsforecast's ``unique_id, ds, y`` for demand history).
    """

    name: str
    kind: str = "str"
    required: bool = True
    nullable: bool = True
    default: object = None
    choices: tuple | None = None
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    ref: str | None = None
    doc: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    doc: str = ""
    optional: bool = False  # optional for a full plan (absent means empty)

    @property
    def column_names(self) -> list[str]:
        """The names of the table's columns, in the contract's order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The :class:`Column` named ``name``; KeyError if the table has none."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


#: Largest quantity or amount of money in any cell [uom or currency]: a billion. Larger values are
#: typing errors (1e308 overflows the plan's arithmetic) and are refused by validation.
QTY_MAX = 1e9
#: Longest lead time [days]: ten years.
LEAD_TIME_MAX_DAYS = 3650
#: Longest setup or run time of one operation per order or unit [min]: 100,000 (69 days).
MINUTES_MAX = 1e5


def _qty(name, doc, **kw):
    return Column(name, "float", min=0, max=kw.pop("max", QTY_MAX), **kw, doc=doc)


TABLES: dict[str, Table] = {}


def _table(*args, **kw) -> Table:
    t = Table(*args, **kw)
    TABLES[t.name] = t
    return t


_table(
    "items",
    (
        Column("item_id", nullable=False, doc="Item code, unique."),
        Column("description", required=False, default="", doc="Name a planner recognises."),
        Column("item_type", nullable=False, choices=("make", "buy"),
               doc="`make`: produced on a routing from a BOM; `buy`: purchased from a supplier."),
        Column("uom", required=False, default="ea", doc="Unit of measure of every quantity of the item."),
        Column("lead_time_days", "float", nullable=False, min=0, max=LEAD_TIME_MAX_DAYS,
               doc="Planned lead time in calendar days (production or purchase)."),
        _qty("safety_stock", "Fixed safety stock [uom].", required=False, default=0.0),
        Column("lot_rule", required=False, default="L4L", choices=LOT_RULES,
               doc="Lot-sizing rule: L4L lot for lot, FOQ fixed order quantity, POQ period order "
                   "quantity, EOQ economic order quantity, WW Wagner-Whitin, SM Silver-Meal, "
                   "LUC least unit cost, PPB part-period balancing."),
        _qty("lot_size", "FOQ: the fixed quantity [uom]; POQ: the number of periods covered.",
             required=False),
        _qty("min_order_qty", "Smallest order [uom]; 0 for none.", required=False, default=0.0),
        _qty("order_multiple", "Orders are rounded up to a multiple of this [uom]; 0 for none.",
             required=False, default=0.0),
        _qty("max_order_qty", "Largest single order [uom]; empty for no limit.", required=False),
        _qty("unit_cost", "Standard cost per unit [currency/uom].", required=False, default=0.0),
        _qty("order_cost", "Fixed cost per order or setup [currency].", required=False, default=0.0),
        Column("holding_cost_rate", "float", required=False, default=0.25, min=0, max=1000,
               doc="Holding cost per year as a fraction of unit_cost (0.25 = 25 %/year; above 5 is "
                   "reported as a warning)."),
        Column("scrap_pct", "float", required=False, default=0.0, min=0, max=100,
               doc="Percent of production or receipt lost as scrap (yield loss), 0 to <100."),
        Column("supplier_id", required=False, ref="suppliers.supplier_id",
               doc="Default supplier of a buy item."),
        Column("family", required=False, default="",
               doc="Setup family (changeovers) and report group."),
        Column("service_level", "float", required=False, min=0, max=0.9999, min_exclusive=True,
               doc="Target cycle service level, e.g. 0.95; empty for the plan default."),
    ),
    key=("item_id",),
    doc="Item master: every finished good, subassembly, component and raw material.",
)

_table(
    "bom",
    (
        Column("parent_id", nullable=False, ref="items.item_id", doc="Item made."),
        Column("component_id", nullable=False, ref="items.item_id", doc="Item consumed."),
        Column("qty_per", "float", nullable=False, min=0, min_exclusive=True, max=1e6,
               doc="Component units per parent unit [component uom]."),
        Column("scrap_pct", "float", required=False, default=0.0, min=0, max=100,
               doc="Percent extra of the component lost when making the parent."),
        Column("valid_from", "date", required=False,
               doc="First date the line is used (inclusive); empty for always."),
        Column("valid_to", "date", required=False,
               doc="Date from which the line is no longer used (exclusive); empty for open-ended."),
    ),
    key=("parent_id", "component_id", "valid_from"),
    doc="Bill of materials, one line per parent and component, with effectivity dates.",
)

_table(
    "inventory",
    (
        Column("item_id", nullable=False, ref="items.item_id"),
        _qty("on_hand", "Stock on hand [uom].", nullable=False),
        _qty("allocated", "On hand already promised to orders [uom].", required=False, default=0.0),
        Column("as_of", "date", required=False,
               doc="Date of the snapshot (stock, open orders and progress as at 00:00 that day), the same "
                   "in every row; empty: the plan start. Execution records dated on or after it are "
                   "applied on top (docs/weekly-loop.md)."),
    ),
    key=("item_id",),
    doc="Stock on hand per item.",
    optional=True,
)

_table(
    "scheduled_receipts",
    (
        Column("order_id", nullable=False, doc="Purchase or production order number, unique."),
        Column("item_id", nullable=False, ref="items.item_id"),
        Column("order_type", nullable=False, choices=("purchase", "production")),
        Column("qty", "float", nullable=False, min=0, min_exclusive=True, max=QTY_MAX,
               doc="Open quantity [uom]."),
        Column("due_date", "date", nullable=False, doc="Date the receipt is expected."),
        Column("release_date", "date", required=False, doc="Date the order was or will be released."),
        Column("status", required=False, default="firm", choices=("firm", "released", "in_progress")),
        Column("supplier_id", required=False, ref="suppliers.supplier_id"),
        Column("planned_order", required=False, default="",
               doc="The planned order (of the plan that proposed it) this order was released from; "
                   "attainment follows it to the published schedule."),
    ),
    key=("order_id",),
    doc="Open supply: purchase orders and production orders not yet received.",
    optional=True,
)

_table(
    "demand",
    (
        Column("order_id", nullable=False, doc="Customer order line, unique."),
        Column("customer_id", required=False, default=""),
        Column("item_id", nullable=False, ref="items.item_id"),
        Column("qty", "float", nullable=False, min=0, min_exclusive=True, max=QTY_MAX,
               doc="Open quantity [uom]."),
        Column("due_date", "date", nullable=False, doc="Date promised to the customer."),
        Column("priority", "int", required=False, default=3, min=1, max=9,
               doc="1 is the most urgent, 9 the least."),
    ),
    key=("order_id",),
    doc="Open customer order lines (finished goods and spare parts).",
    optional=True,
)

_table(
    "demand_history",
    (
        Column("item_id", nullable=False, aliases=("unique_id",)),
        Column("date", "date", nullable=False, doc="Transaction date, or the first day of a bucket.",
               aliases=("ds",)),
        Column("qty", "float", nullable=False, min=-QTY_MAX, max=QTY_MAX,
               doc="Quantity shipped [uom]; negative for a return.",
               aliases=("y",)),
    ),
    doc="Past demand: daily transactions or bucket totals. The long format of statsforecast "
        "(`unique_id, ds, y`) is read as `item_id, date, qty`.",
    optional=True,
)

_table(
    "forecast_overrides",
    (
        Column("item_id", nullable=False, ref="items.item_id"),
        Column("period_start", "date", nullable=False, doc="First day of the bucket overridden."),
        _qty("qty", "Replace the statistical forecast by this quantity [uom].", required=False),
        Column("pct", "float", required=False, min=-100, max=10000,
               doc="Or change it by this percent (+20 = 20 % more)."),
        Column("reason", required=False, default="", doc="Why (promotion, customer news...)."),
    ),
    key=("item_id", "period_start"),
    doc="Planner overrides on top of the statistical forecast.",
    optional=True,
)

_table(
    "suppliers",
    (
        Column("supplier_id", nullable=False),
        Column("name", required=False, default=""),
        Column("lead_time_days", "float", required=False, min=0, max=LEAD_TIME_MAX_DAYS,
               doc="Quoted lead time [days]."),
        Column("contact_name", required=False, default="", doc="Person to call about open orders."),
        Column("email", required=False, default="", doc="Their e-mail address (follow-up mail drafts)."),
        Column("phone", required=False, default="", doc="Their phone number."),
    ),
    key=("supplier_id",),
    doc="Suppliers of buy items.",
    optional=True,
)

_table(
    "work_centers",
    (
        Column("work_center_id", nullable=False),
        Column("description", required=False, default=""),
        Column("calendar_id", nullable=False, ref="calendars.calendar_id",
               doc="Shift pattern of the work center's machines."),
        Column("efficiency", "float", required=False, default=1.0, min=0, max=2, min_exclusive=True,
               doc="Share of calendar time that is productive (1.0 = 100 %)."),
        Column("cost_per_hour", "float", required=False, default=0.0, min=0, max=1e6,
               doc="Machine cost per running hour [currency/h]."),
        Column("labour_cost_per_hour", "float", required=False, default=0.0, min=0, max=1e6,
               doc="Cost of one operator per hour [currency/h]."),
    ),
    key=("work_center_id",),
    doc="Work centers: groups of interchangeable machines.",
    optional=True,
)

_table(
    "machines",
    (
        Column("machine_id", nullable=False),
        Column("work_center_id", nullable=False, ref="work_centers.work_center_id"),
        Column("calendar_id", required=False, ref="calendars.calendar_id",
               doc="Overrides the work center's calendar; empty to inherit it."),
        Column("speed_factor", "float", required=False, default=1.0, min=0, min_exclusive=True, max=100,
               doc="Run time is divided by this (1.2 = 20 % faster)."),
    ),
    key=("machine_id",),
    doc="Machines; the machines of a work center are alternatives for its operations.",
    optional=True,
)

_table(
    "routings",
    (
        Column("item_id", nullable=False, ref="items.item_id"),
        Column("op_seq", "int", nullable=False, min=0, max=1_000_000,
               doc="Operation number; run in increasing order."),
        Column("work_center_id", nullable=False, ref="work_centers.work_center_id"),
        Column("setup_min", "float", required=False, default=0.0, min=0, max=MINUTES_MAX,
               doc="Setup per order [min]."),
        Column("run_min_per_unit", "float", nullable=False, min=0, max=MINUTES_MAX,
               doc="Run time per unit [min]."),
        Column("crew_size", "float", required=False, default=0.0, min=0, max=1000,
               doc="Operators needed while the operation runs; 0 for unmanned."),
        Column("uninterruptible", "bool", required=False, default=False,
               doc="True if the operation may not pause over a shift end."),
    ),
    key=("item_id", "op_seq"),
    doc="Routings: the operations that make an item.",
    optional=True,
)

_table(
    "calendars",
    (
        Column("calendar_id", nullable=False),
        Column("weekday", "weekday", nullable=False, doc="Mon .. Sun (or 0 .. 6, Monday = 0)."),
        Column("start_time", "time", nullable=False, doc="Shift start HH:MM."),
        Column("end_time", "time", nullable=False,
               doc="Shift end HH:MM; earlier than start_time for a shift past midnight."),
    ),
    key=("calendar_id", "weekday", "start_time"),
    doc="Shift patterns: working periods per weekday.",
    optional=True,
)

_table(
    "calendar_exceptions",
    (
        Column("calendar_id", required=False, ref="calendars.calendar_id",
               doc="Calendar concerned (or give machine_id)."),
        Column("machine_id", required=False, ref="machines.machine_id",
               doc="Machine concerned (or give calendar_id)."),
        Column("start", "datetime", nullable=False),
        Column("end", "datetime", nullable=False),
        Column("kind", nullable=False, choices=("holiday", "maintenance", "breakdown", "overtime"),
               doc="`overtime` adds working time; the others remove it."),
        Column("description", required=False, default=""),
    ),
    doc="Holidays, maintenance, breakdowns (time off) and overtime (extra time).",
    optional=True,
)

_table(
    "setup_matrix",
    (
        Column("work_center_id", nullable=False, ref="work_centers.work_center_id"),
        Column("from_family", nullable=False),
        Column("to_family", nullable=False),
        Column("setup_min", "float", nullable=False, min=0, max=MINUTES_MAX,
               doc="Changeover time from the one family to the other [min]."),
    ),
    key=("work_center_id", "from_family", "to_family"),
    doc="Sequence-dependent changeover times by item family.",
    optional=True,
)

_table(
    "operations_progress",
    (
        Column("order_id", nullable=False, ref="scheduled_receipts.order_id"),
        Column("op_seq", "int", nullable=False, min=0, max=1_000_000),
        Column("status", nullable=False, choices=("done", "running")),
        Column("machine_id", required=False, ref="machines.machine_id"),
        Column("actual_start", "datetime", required=False),
        _qty("qty_done", "Units finished so far [uom].", required=False, default=0.0),
    ),
    key=("order_id", "op_seq"),
    doc="Shop-floor progress of released production orders.",
    optional=True,
)


# --------------------------------------------------------------------------- execution: what happened

_table(
    "production_reports",
    (
        Column("order_id", nullable=False, doc="Production order reported on (`scheduled_receipts`)."),
        Column("op_seq", "int", nullable=False, min=0, max=1_000_000, doc="Operation of the order's routing."),
        Column("machine_id", required=False, ref="machines.machine_id", doc="Machine it ran on."),
        Column("report_date", "date", nullable=False, doc="Day (or shift's day) the report covers."),
        Column("start", "datetime", required=False, doc="When the work reported started."),
        Column("end", "datetime", required=False, doc="When it stopped."),
        _qty("qty_good", "Good units made [uom].", required=False, default=0.0),
        _qty("qty_scrap", "Units scrapped [uom].", required=False, default=0.0),
        Column("scrap_reason", required=False, default="", doc="Why they were scrapped."),
        Column("labour_hours", "float", required=False, default=0.0, min=0, max=1e5,
               doc="Operator hours booked [h]."),
        Column("downtime_min", "float", required=False, default=0.0, min=0, max=MINUTES_MAX,
               doc="Machine stopped while the operation was due to run [min]."),
        Column("downtime_reason", required=False, default="", doc="Why it stopped."),
    ),
    doc="What the shop floor reported: one row per operation and shift or day.",
    optional=True,
)

_table(
    "goods_receipts",
    (
        Column("receipt_id", nullable=False, doc="Receipt number, unique."),
        Column("order_id", nullable=False, doc="Purchase order received against (`scheduled_receipts`)."),
        Column("item_id", nullable=False, ref="items.item_id"),
        _qty("qty", "Quantity received [uom].", nullable=False),
        Column("received_date", "date", nullable=False),
    ),
    key=("receipt_id",),
    doc="Goods received from suppliers against purchase orders.",
    optional=True,
)

_table(
    "material_issues",
    (
        Column("order_id", nullable=False, doc="Production order the material went to (`scheduled_receipts`)."),
        Column("item_id", nullable=False, ref="items.item_id", doc="Component issued."),
        Column("qty", "float", nullable=False, min=-QTY_MAX, max=QTY_MAX,
               doc="Quantity issued [uom]; negative for a return to stock."),
        Column("issue_date", "date", nullable=False),
    ),
    doc="Components issued from stock to production orders.",
    optional=True,
)

_table(
    "supplier_confirmations",
    (
        Column("order_id", nullable=False, doc="Purchase order confirmed (`scheduled_receipts`)."),
        Column("confirmed_date", "date", required=False,
               doc="Date the supplier says it will deliver; empty: no date given."),
        _qty("confirmed_qty", "Quantity the supplier confirms [uom]; empty: the open quantity.",
             required=False),
        Column("confirmed_on", "date", nullable=False, doc="When the supplier said it."),
        Column("note", required=False, default="", doc="What the supplier said."),
    ),
    doc="Suppliers' delivery confirmations; the latest `confirmed_on` of an order counts.",
    optional=True,
)

_table(
    "staffing",
    (
        Column("work_center_id", nullable=False, ref="work_centers.work_center_id"),
        Column("weekday", "weekday", nullable=False, doc="Mon .. Sun (or 0 .. 6, Monday = 0)."),
        Column("start_time", "time", nullable=False, doc="Shift start HH:MM."),
        Column("end_time", "time", nullable=False,
               doc="Shift end HH:MM; earlier than start_time for a shift past midnight."),
        Column("operators", "float", nullable=False, min=0, max=10000,
               doc="Operators on the shift at the work center (headcount)."),
    ),
    key=("work_center_id", "weekday", "start_time"),
    doc="Operators per work center and shift.",
    optional=True,
)


# --------------------------------------------------------------------------- documentation

def bound_text(value: float) -> str:
    """A bound as a person reads it: 3650, 1,000,000,000, 0.9999."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


_KIND_WORDS = {"str": "text", "int": "whole number", "float": "number", "date": "date", "datetime": "date and time",
               "time": "time HH:MM", "weekday": "weekday", "bool": "true/false"}


def contract_markdown() -> str:
    """The tables of the contract as Markdown (the generated part of docs/data-contract.md)."""
    out = []
    for t in TABLES.values():
        key = f" Key: `{', '.join(t.key)}`." if t.key else ""
        need = "optional table" if t.optional else "table"
        out.append(f"### `{t.name}`\n\n{t.doc} ({need}.{key})\n")
        out.append("| column | kind | required | default | rule | meaning |")
        out.append("|---|---|---|---|---|---|")
        for c in t.columns:
            rules = []
            if c.choices:
                rules.append(" \\| ".join(c.choices))
            if c.min is not None:
                rules.append(f"{'>' if c.min_exclusive else '>='} {bound_text(c.min)}")
            if c.max is not None:
                rules.append(f"<= {bound_text(c.max)}")
            if c.ref:
                rules.append(f"in `{c.ref}`")
            required = "yes, never empty" if not c.nullable else ("yes" if c.required else "no")
            if c.default is None or c.default == "":
                default = ""
            elif isinstance(c.default, float):
                default = f"`{c.default:g}`"
            else:
                default = f"`{str(c.default).lower() if isinstance(c.default, bool) else c.default}`"
            doc = c.doc + (f" (also read from `{'`, `'.join(c.aliases)}`)" if c.aliases else "")
            out.append(f"| `{c.name}` | {_KIND_WORDS[c.kind]} | {required} | {default} | {'; '.join(rules)} | "
                       f"{doc.strip()} |")
        out.append("")
    return "\n".join(out)


_BEGIN = "<!-- generated by `python -m planlib.contract docs/data-contract.md`: begin -->"
_END = "<!-- generated: end -->"


def update_doc(path: str) -> bool:
    """Rewrite the generated part of ``path``; True if it changed."""
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    head, rest = text.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    new = f"{head}{_BEGIN}\n\n{contract_markdown()}\n{_END}{tail}"
    if new != text:
        Path(path).write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    import sys

    update_doc(sys.argv[1] if len(sys.argv) > 1 else "docs/data-contract.md")
