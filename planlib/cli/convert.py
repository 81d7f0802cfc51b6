"""``planlib convert SOURCE DEST``: copy a dataset between CSV, Excel and SQL."""
from __future__ import annotations

from planlib.cli.common import add_source
from planlib.data import load, write_dataset
from planlib.problems import mask_source


def add_parser(sub) -> None:
    """Register ``planlib convert SOURCE DEST`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser("convert", help="copy a dataset to a CSV folder, an .xlsx workbook or a database",
                       description="Load SOURCE (checked as by validate) and write it to DEST. A workbook or "
                                   "SQLite file gets the permissions the umask gives new files.")
    add_source(p)
    p.add_argument("dest", metavar="DEST", help="folder, .xlsx workbook or database URL")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``planlib convert SOURCE DEST`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code (0 success; bad input raises :class:`~planlib.problems.InputError`,
        which :func:`planlib.cli.main` turns into exit code 2).
    """
    ds = load(args.source)
    dest = write_dataset(ds, args.dest)
    print(f"wrote {len(ds.present)} tables to {mask_source(dest)}")
    return 0
