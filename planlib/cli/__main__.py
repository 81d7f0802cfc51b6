from planlib.cli import entry

entry()
