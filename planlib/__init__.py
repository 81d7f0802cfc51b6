"""planlib: a planning workbench for production planners.

Modules, one per planning concept (see docs/glossary.md for the vocabulary):

Data in:

- :mod:`planlib.contract`  the data contract: tables, columns, rules
- :mod:`planlib.dataset`   :class:`Dataset`, the tables of one plant
- :mod:`planlib.data`      loading and writing datasets (CSV folder, Excel, SQL)
- :mod:`planlib.validate`  checks of a dataset, all problems at once
- :mod:`planlib.factory`   seeded generator of sample and benchmark factories
- :mod:`planlib.params`    planning parameters (:class:`PlanParams`)
- :mod:`planlib.buckets`   weeks and months: bucket starts, numbers and indices
- :mod:`planlib.calendar`  working time of machines and work centers

Planning, in the order of the weekly run (:mod:`planlib.steps` defines each step once):

- :mod:`planlib.forecast`, :mod:`planlib.inventory`  demand forecast, safety stock
- :mod:`planlib.mrp` (package)  MPS, ATP and multi-level MRP: netting, lot sizes
  (:mod:`planlib.lotsizing`), pegging, exceptions, capacity, cost
- :mod:`planlib.schedule` (package)  finite-capacity scheduling on CP-SAT, rescheduling
- :mod:`planlib.promise`, :mod:`planlib.actions`, :mod:`planlib.peg`  promise dates,
  the exceptions worklist, pegging trees

Scenarios, comparisons and the weekly run:

- :mod:`planlib.scenario` (package)  scenario files, changes, applying and planning them
- :mod:`planlib.compare`   a scenario against the base, a week against the last
- :mod:`planlib.pipeline`, :mod:`planlib.archive`  the weekly run and its archive
- :mod:`planlib.report`, :mod:`planlib.charts`, :mod:`planlib.labels`  pages planners read
- :mod:`planlib.cli`       the ``planlib`` command, a thin layer over the above
"""
__version__ = "0.1.0"

from planlib.data import load, write_dataset
from planlib.dataset import Dataset
from planlib.params import PlanParams

__all__ = ["Dataset", "PlanParams", "__version__", "load", "write_dataset"]
