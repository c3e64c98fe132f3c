"""Running a sweep: design points × networks → one tidy CSV row each (docs/sweeps.md).

Points stream from the spec (never a materialised grid) in chunks of consecutive indices to a
bounded number of workers: the current process (``jobs=1``), local processes
(``concurrent.futures``), or a Dask distributed cluster.  Each worker holds the networks once and
keeps the simulator's per-layer caches warm across the points of its chunks (consecutive points
of a grid share their array geometry, so array costs are reused); the caches are cleared when the
worker's memory grows past a budget.

Rows are appended and flushed as chunks finish, so killing a sweep loses only the chunks in
flight; ``resume`` skips the (point, network) pairs already in the file, identified by the
network and the axis values.  When every point is done the file is rewritten in sweep order, so
the same spec always gives a byte-identical file whatever the scheduling.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from ..errors import MappingError, SweepError
from ..network.graph import Network
from ..result import summary_keys
from .spec import SweepSpec, format_value

METRICS = summary_keys()    # every summary entry, layer counts per dataflow from the registry
COUNTS = tuple(m for m in METRICS if m.startswith("layers_"))   # absent means zero
LAYER_METRICS = ("cycles", "energy", "utilization", "dataflow")   # for the spec's `layers`
WORKER_MEMORY_MB = int(os.environ.get("SQNXT_SWEEP_WORKER_MB", "1024"))


def columns(spec: SweepSpec) -> list[str]:
    """The results file's header: identity, axis values, metrics, error."""
    return ["point", "network", *spec.keys, *METRICS,
            *(f"{layer}.{m}" for layer in spec.layers for m in LAYER_METRICS), "error"]


@dataclass(frozen=True)
class Payload:
    """What every worker needs, shipped once: the spec and the loaded networks."""

    spec: SweepSpec
    networks: tuple[Network, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.networks)


def prepare(spec: SweepSpec) -> Payload:
    """Load every network (located errors in the network files) before any work starts."""
    from ..network.yaml_io import load_network

    nets = tuple(load_network(p) for p in spec.networks)
    seen: dict[str, str] = {}
    for path, net in zip(spec.networks, nets):
        if net.name in seen:
            raise SweepError(f"networks {seen[net.name]!r} and {path!r} have the same name "
                             f"{net.name!r} (a results row is identified by it)",
                             file=spec.source, field="networks", line=1)
        seen[net.name] = path
    for layer in spec.layers:
        if not any(n.name == layer for net in nets for n in net.compute_nodes):
            raise SweepError(f"layer {layer!r} is not a compute layer of any network",
                             file=spec.source, line=spec.layers_line, field="layers")
    return Payload(spec, nets)


# -- the work ----------------------------------------------------------------------------------
Task = tuple[int, tuple[int, ...]]          # (point index, positions of the networks to run)


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def run_chunk(payload: Payload, tasks: list[Task]) -> list[list[str]]:
    """Simulate a chunk of points (in a worker); rows as lists of strings."""
    from ..simulate import simulate

    spec = payload.spec
    rows = []
    for index, nets in tasks:
        point = spec.point(index)
        acc = spec.accelerator_for(point)
        ident = [str(index)]
        axis = [format_value(v) for _, v in point.values]
        for pos in nets:
            net = payload.networks[pos]
            try:
                result = simulate(net, acc)
                s = result.summary
                metrics = [_fmt(s.get(m, 0 if m in COUNTS else None)) for m in METRICS]
                if spec.layers:
                    by_name = {r.name: r for r in result.records}
                    for layer in spec.layers:
                        r = by_name.get(layer)
                        metrics += [_fmt(getattr(r, m) if r else None) for m in LAYER_METRICS]
                error = ""
            except MappingError as e:   # e.g. a buffer too small for a layer: a result, too
                metrics = [""] * (len(METRICS) + len(LAYER_METRICS) * len(spec.layers))
                error = " ".join(str(e).split())
            rows.append([*ident, net.name, *axis, *metrics, error])
    _bound_memory()
    return rows


def _rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _bound_memory() -> None:
    """Per-layer caches help only while their geometry recurs; past the budget, start over."""
    rss = _rss_mb()
    if rss is not None and rss > WORKER_MEMORY_MB:
        from ..simulate import clear_caches
        clear_caches()


_WORKER: dict = {}


def _init_worker(payload: Payload) -> None:
    _WORKER["payload"] = payload


def _run_local(tasks: list[Task]) -> list[list[str]]:
    return run_chunk(_WORKER["payload"], tasks)


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    it = iter(tasks)
    while chunk := list(islice(it, size)):
        yield chunk


def _serial(payload: Payload, chunks: Iterator[list[Task]]) -> Iterator[tuple[int, list]]:
    for chunk in chunks:
        yield len(chunk), run_chunk(payload, chunk)


def _processes(payload: Payload, chunks: Iterator[list[Task]], jobs: int
               ) -> Iterator[tuple[int, list]]:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(payload,)) as pool:
        pending: dict = {}
        try:
            for chunk in islice(chunks, 2 * jobs):          # bounded work in flight
                pending[pool.submit(_run_local, chunk)] = len(chunk)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    n = pending.pop(fut)
                    yield n, fut.result()
                    for chunk in islice(chunks, 1):
                        pending[pool.submit(_run_local, chunk)] = len(chunk)
        finally:
            for fut in pending:
                fut.cancel()


def _dask(payload: Payload, chunks: Iterator[list[Task]], jobs: int, scheduler: str
          ) -> Iterator[tuple[int, list]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise SweepError("--scheduler needs Dask distributed: pip install 'sqnxt-sim[dask]'",
                         field="scheduler") from None
    import logging

    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as e:
                raise SweepError(f"cannot reach Dask scheduler {scheduler!r}: {e}",
                                 field="scheduler") from None
        with client:
            workers = max(1, len(client.scheduler_info().get("workers", {})) or jobs)
            shared = client.scatter(payload, broadcast=True)
            ac = as_completed()
            sizes: dict = {}

            def submit(chunk):
                fut = client.submit(run_chunk, shared, chunk, pure=False)
                sizes[fut.key] = len(chunk)
                ac.add(fut)

            for chunk in islice(chunks, 2 * workers):
                submit(chunk)
            for fut in ac:
                rows = fut.result()
                n = sizes.pop(fut.key)
                fut.release()
                yield n, rows
                for chunk in islice(chunks, 1):
                    submit(chunk)
    finally:
        if cluster is not None:
            cluster.close()


# -- results file ----------------------------------------------------------------------------
def _csv_text(rows: Iterable[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _drop_partial_line(path: str) -> None:
    """A sweep killed mid-write may leave half a row; cut the file back to the last newline."""
    with open(path, "rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        pos = size
        block = 4096
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            data = fh.read(pos - start)
            nl = data.rfind(b"\n")
            if nl >= 0:
                fh.truncate(start + nl + 1)
                return
            pos = start
        fh.truncate(0)


def read_done(path: str, header: list[str], n_axes: int) -> set[tuple[str, ...]]:
    """(network, *axis values) of every row already in ``path`` (for --resume)."""
    _drop_partial_line(path)
    done = set()
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        first = next(reader, None)
        if first is None:
            return done
        if first != header:
            raise SweepError(f"cannot resume: its columns ({', '.join(first[:6])}…) are not this "
                             f"sweep's ({', '.join(header[:6])}…); use another --out",
                             file=path, line=1)
        for row in reader:
            if len(row) == len(header):
                done.add(tuple(row[1:2 + n_axes]))
    return done


def sort_file(path: str, names: tuple[str, ...]) -> None:
    """Rewrite ``path`` in sweep order (point index, then the spec's network order)."""
    order = {n: i for i, n in enumerate(names)}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        rows = list(reader)
    if header is None:
        return
    rows.sort(key=lambda r: (int(r[0]), order.get(r[1], len(order)), r[1]))
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        fh.write(_csv_text([header]))
        fh.write(_csv_text(rows))
    os.replace(tmp, path)


# -- driver ----------------------------------------------------------------------------------
@dataclass
class SweepStats:
    points: int = 0            # design points run now
    rows: int = 0              # rows written now
    skipped: int = 0           # (point, network) pairs already done (resume)
    errors: int = 0            # rows whose error column is set
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def tasks_for(payload: Payload, done: set[tuple[str, ...]] | None = None) -> Iterator[Task]:
    """(point, networks still to run) for every accepted point, streamed."""
    spec = payload.spec
    names = payload.names
    everything = tuple(range(len(names)))
    for index in spec.indices():
        if not done:
            yield index, everything
            continue
        axis = tuple(format_value(v) for _, v in spec.point(index).values)
        nets = tuple(i for i, n in enumerate(names) if (n, *axis) not in done)
        if nets:
            yield index, nets


def run_sweep(spec: SweepSpec, out: str, *, jobs: int | None = None,
              scheduler: str | None = None, resume: bool = False, chunk: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> SweepStats:
    """Run ``spec`` and write its rows to the CSV file ``out``.

    ``jobs``: local processes (default: every core; 1 runs in this process) or Dask workers for
    ``scheduler="local"``.  ``scheduler``: a Dask scheduler address, or ``"local"`` for a
    LocalCluster.  ``progress(done, total)`` is called as points finish (``total`` counts the
    points still to run; it needs one pass over the filters, so it is only computed when a
    progress callback is given).
    """
    t0 = time.perf_counter()
    payload = prepare(spec)
    header = columns(spec)
    jobs = jobs or default_jobs()
    stats = SweepStats()

    done: set[tuple[str, ...]] = set()
    fresh = not (resume and os.path.exists(out) and os.path.getsize(out) > 0)
    if not fresh:
        done = read_done(out, header, len(spec.keys))
        stats.skipped = len(done)
    total = sum(1 for _ in tasks_for(payload, done)) if progress else 0
    if progress:
        progress(0, total)

    if chunk is None:
        # big enough that per-chunk overhead vanishes, small enough to balance and to lose
        # little when killed
        n = total or min(spec.space_size, spec.sample_n or spec.space_size)  # no filter pass
        chunk = max(1, min(16, n // (4 * jobs) if jobs > 1 else 16))
    chunks = _chunks(tasks_for(payload, done), chunk)
    if scheduler:
        stream = _dask(payload, chunks, jobs, scheduler)
    elif jobs == 1:
        stream = _serial(payload, chunks)
    else:
        stream = _processes(payload, chunks, jobs)

    with open(out, "w" if fresh else "a", newline="", encoding="utf-8") as fh:
        if fresh:
            fh.write(_csv_text([header]))
            fh.flush()
        for npoints, rows in stream:
            fh.write(_csv_text(rows))
            fh.flush()
            stats.points += npoints
            stats.rows += len(rows)
            stats.errors += sum(1 for r in rows if r[-1])
            if progress:
                progress(stats.points, total)
    sort_file(out, payload.names)
    stats.seconds = time.perf_counter() - t0
    return stats
