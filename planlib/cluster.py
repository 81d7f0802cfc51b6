"""Running planlib's heavy steps on a Dask cluster: the forecast and scenario batches.

A cluster is named by a text, as ``--dask`` takes it:

* ``tcp://host:8786``: a running Dask scheduler (``dask scheduler`` on one machine,
  ``dask worker tcp://host:8786`` on each of the others);
* ``local:N``: a cluster of N worker processes on this machine, started for the
  run and stopped after it (one thread each: statsforecast's models hold the GIL).

:func:`open_cluster` turns the text into the address of a running scheduler (it
starts the local cluster) and :func:`client` connects to it, once per process and
address. The forecast goes through statsforecast's own distributed backend (Fugue
on Dask, :func:`distributed_run`): items are partitioned by ``item_id`` and every
item is fitted exactly as the local run fits it, so the numbers are the same to
the last bit (statsforecast's backend declares its output as 32-bit floats; here
they stay 64-bit, as the local run returns them). Deployment (scheduler, workers,
where the data lives, several sites, 1,000,000 items): ``docs/dask.md``.
"""
from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator

import pandas as pd

from planlib.problems import InputError, Problems

__all__ = ["ClusterError", "client", "distributed_run", "open_cluster", "parse_cluster"]

_LOCAL = re.compile(r"^local:(\d+)$")
_clients: dict = {}


class ClusterError(InputError):
    """The ``--dask`` text names no usable cluster (bad text, scheduler unreachable)."""


def _problem(value, problem: str, fix: str) -> pd.DataFrame:
    p = Problems()
    p.add("(settings)", "", "--dask", value, problem, fix)
    return p.frame()


def parse_cluster(spec: str) -> tuple[str, int | str]:
    """Read a ``--dask`` text.

    Parameters
    ----------
    spec : str
        ``local:N`` (N worker processes on this machine, N >= 1) or a scheduler
        address ``tcp://host:port`` (also ``tls://``, ``ws://``, ``wss://``, ``inproc://``).

    Returns
    -------
    (str, int or str)
        ``("local", N)`` or ``("address", spec)``.

    Raises
    ------
    ClusterError
        The text is neither.
    """
    text = str(spec).strip()
    m = _LOCAL.match(text)
    if m and int(m.group(1)) >= 1:
        return "local", int(m.group(1))
    if re.match(r"^(tcp|tls|ws|wss|inproc|ucx)://\S+$", text):
        return "address", text
    raise ClusterError(f"--dask {spec!r} is not a cluster", _problem(
        spec, "not a Dask cluster: give a scheduler address or local:N",
        "write --dask tcp://host:8786 (a running dask scheduler) or --dask local:2 (2 worker processes here)"))


@contextlib.contextmanager
def open_cluster(spec: str | None, timeout_s: float = 10.0) -> Iterator[str]:
    """The scheduler address of a ``--dask`` text, with the cluster running while the block runs.

    ``local:N`` starts N worker processes (one thread each) on this machine and stops
    them at the end of the block; an address is checked by connecting to it. An empty
    ``spec`` yields ``""`` (run locally).

    Raises
    ------
    ClusterError
        Bad text, or no scheduler answers at the address within ``timeout_s`` seconds.
    """
    if not spec:
        yield ""
        return
    kind, value = parse_cluster(spec)
    if kind == "address":
        client(value, timeout_s)  # fails here, before any work, when nobody answers
        yield value
        return
    from distributed import LocalCluster

    with LocalCluster(n_workers=int(value), threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as cluster:
        try:
            yield cluster.scheduler_address
        finally:
            c = _clients.pop(cluster.scheduler_address, None)
            if c is not None:
                c.close()


def client(address: str, timeout_s: float = 10.0):
    """A ``distributed.Client`` connected to ``address`` (one per process and address).

    Raises
    ------
    ClusterError
        No scheduler answers at ``address`` within ``timeout_s`` seconds.
    """
    c = _clients.get(address)
    if c is not None and c.status == "running":
        return c
    from distributed import Client

    try:
        c = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"no Dask scheduler answers at {address}", _problem(
            address, f"no Dask scheduler answers within {timeout_s:g} s ({type(exc).__name__})",
            "start one (`dask scheduler`, then `dask worker ADDRESS` on each worker machine), check the host "
            "and port, or run on this machine with --dask local:2 or without --dask")) from None
    _clients[address] = c
    return c


def _float64_backend():
    """statsforecast's Fugue backend, with 64-bit float outputs (the local run's)."""
    import numpy as np
    from statsforecast.distributed.fugue import FugueBackend
    from triad import Schema

    class Float64Backend(FugueBackend):
        def _get_output_schema(self, **kwargs) -> Schema:
            schema = super()._get_output_schema(**kwargs)
            return Schema([(f.name, np.float64 if str(f.type) == "float" else f.type) for f in schema.fields])

        def _cv(self, df: pd.DataFrame, *, models, fallback_model, **kwargs) -> pd.DataFrame:
            # fresh model objects for every group of items: the same objects fitted for one
            # group and carried forward (refit=False) would leak into the next group
            return super()._cv(df, models=[copy.deepcopy(m) for m in models],
                               fallback_model=copy.deepcopy(fallback_model), **kwargs)

    return Float64Backend


def distributed_run(address: str, kind: str, df: pd.DataFrame, models: list, freq: str, fallback_model,
                    h: int, level=None, n_windows: int = 1, step_size: int = 1, refit=True) -> pd.DataFrame:
    """statsforecast cross-validation (``kind="cv"``) or forecast on the cluster at ``address``.

    Parameters
    ----------
    df : DataFrame
        ``unique_id, ds, y`` (statsforecast's long format).
    models, freq, fallback_model, h, level, n_windows, step_size, refit
        As for :class:`statsforecast.StatsForecast` and its ``cross_validation`` / ``forecast``.

    Returns
    -------
    DataFrame
        What ``StatsForecast.cross_validation`` / ``forecast`` return locally, sorted by
        ``unique_id, cutoff, ds`` (cv) or ``unique_id, ds``: ``unique_id, ds, [cutoff, y,]``
        one column per model and ``<model>-lo-<level>``, ``<model>-hi-<level>`` [as ``y``].
    """
    from fugue_dask import DaskExecutionEngine

    engine = DaskExecutionEngine(dask_client=client(address))
    backend = _float64_backend()(engine)
    common = dict(df=df, freq=freq, models=models, fallback_model=fallback_model, h=h, level=level,
                  fitted=False, prediction_intervals=None, id_col="unique_id", time_col="ds", target_col="y")
    if kind == "cv":
        out = backend.cross_validation(n_windows=n_windows, step_size=step_size, test_size=None,
                                       input_size=None, refit=refit, **common)
    else:
        out = backend.forecast(X_df=None, **common)
    if hasattr(out, "compute"):
        out = out.compute()
    elif not isinstance(out, pd.DataFrame):
        out = out.as_pandas()
    keys = ["unique_id", "cutoff", "ds"] if kind == "cv" else ["unique_id", "ds"]
    # the local run's types: Fugue hands back Arrow-backed types (microsecond dates, nullable floats)
    for col in out.columns:
        like = df[col] if col in df.columns else df["ds"] if col == "cutoff" else None
        out[col] = out[col].astype(like.dtype) if like is not None else out[col].astype("float64")
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
