"""``planlib convert SOURCE DEST``: copy a dataset between CSV, Excel and SQL."""
from __future__ import annotations

from planlib.cli.common import add_source
from planlib.data import load, mask_source, write_dataset


def add_parser(sub) -> None:
    p = sub.add_parser("convert", help="copy a dataset to a CSV folder, an .xlsx workbook or a database",
                       description="Load SOURCE (checked as by validate) and write it to DEST. A workbook or "
                                   "SQLite file gets the permissions the umask gives new files.")
    add_source(p)
    p.add_argument("dest", metavar="DEST", help="folder, .xlsx workbook or database URL")
    p.set_defaults(func=run)


def run(args) -> int:
    ds = load(args.source)
    dest = write_dataset(ds, args.dest)
    print(f"wrote {len(ds.present)} tables to {mask_source(dest)}")
    return 0
