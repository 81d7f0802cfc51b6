"""planlib: a planning workbench for production planners.

Modules, one per planning concept (see docs/glossary.md for the vocabulary):

- :mod:`planlib.contract`  the data contract: tables, columns, rules
- :mod:`planlib.data`      loading and writing datasets (CSV folder, Excel, SQL)
- :mod:`planlib.validate`  checks of a dataset, all problems at once
- :mod:`planlib.factory`   seeded generator of sample and benchmark factories
- :mod:`planlib.params`    planning parameters (:class:`PlanParams`)
- :mod:`planlib.cli`       the ``planlib`` command, a thin layer over the above
"""
__version__ = "0.1.0"

from planlib.data import Dataset, load, write_dataset
from planlib.params import PlanParams

__all__ = ["Dataset", "PlanParams", "__version__", "load", "write_dataset"]
