"""Running a sweep: design points × networks → one tidy CSV row each (docs/sweeps.md).

Points stream from the spec (never a materialised grid) in chunks of consecutive indices to a
bounded number of workers: the current process (``jobs=1``), local processes
(``concurrent.futures``), or a Dask distributed cluster.  Each worker holds the networks once and
keeps the simulator's per-layer caches warm across the points of its chunks (consecutive points
of a grid share their array geometry, so array costs are reused); the caches are cleared when the
worker's memory grows past a budget.

Rows are appended and flushed to ``FILE.part`` as chunks finish, so killing a sweep loses only
the chunks in flight and never touches the results file ``FILE``; ``resume`` checks every row
already written and skips the (point, network) pairs present, identified by the network and the
axis values.  When every point is done ``FILE`` is replaced, atomically, by the rows in sweep
order, so the same spec always gives a byte-identical file whatever the scheduling.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from ..errors import MappingError, OutputError, SweepError
from ..network.graph import Network
from ..result import summary_keys
from .space import SweepSpec, format_value

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
    with _rare_collections():
        rows = _run_points(payload, tasks)
    _bound_memory()
    return rows


# A young collection every this many new objects (Python's default is 700).  A sweep worker
# keeps its per-layer memos alive (hundreds of thousands of small objects), and at the default
# pace the collector's scans of them were a quarter of a sweep's CPU (2,000 points of
# benchmarks/bench_sweep.py in one process: 1,159 young, 105 middle and 9 full collections,
# 4.8-5.3 CPU-s; at 10,000: 103, 9 and none, 3.8 CPU-s).  Garbage in reference cycles, if
# any, is still collected, only later; memory stays bounded by _bound_memory.  The setting is
# restored after each chunk (a sweep run from a notebook leaves the process as it was).
SWEEP_GC_THRESHOLD = 10_000


@contextmanager
def _rare_collections():
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], SWEEP_GC_THRESHOLD), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _run_points(payload: Payload, tasks: list[Task]) -> list[list[str]]:
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
                result = simulate(net, acc, spec.batch)
                s = result.summary.as_dict()
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
    _die_with_parent()


def _die_with_parent(period: float = 0.5) -> None:
    """A worker must not outlive its sweep: a SIGKILLed parent cannot tell its pool to stop,
    and the worker would finish every chunk it holds (minutes).  A daemon thread notices the
    parent is gone (the worker is re-parented, so getppid() changes) and ends the process."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(period)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="sqnxt-parent-watch", daemon=True).start()


def _run_local(tasks: list[Task]) -> list[list[str]]:
    return run_chunk(_WORKER["payload"], tasks)


def _chunks(tasks: Iterable[Task], size: int, block: int = 1) -> Iterator[list[Task]]:
    """``tasks`` in chunks of at most ``size`` or, with ``block`` > 1, of as many whole blocks
    (runs of ``block`` consecutive indices of the space) as fit in ``size``, at least one."""
    if block == 1:
        it = iter(tasks)
        while chunk := list(islice(it, size)):
            yield chunk
        return
    chunk: list[Task] = []
    current = None
    for task in tasks:
        b = task[0] // block
        if b != current:
            if chunk and len(chunk) + block > size:
                yield chunk
                chunk = []
            current = b
        chunk.append(task)
    if chunk:
        yield chunk


def _block(spec, size: int) -> int:
    """The longest run of consecutive indices over which only the last axes vary (the product
    of their lengths) that is at most ``size``, or 1.  The last axes are the ones a spec lists
    last — typically the cheap ones (DRAM bandwidth), while the fields that decide the tiling
    fronts (array, RF, buffer) come first — so a chunk of whole blocks keeps the points that
    share those fronts on one worker."""
    block = 1
    for axis in reversed(spec.axes):
        if block * len(axis) > size:
            break
        block *= len(axis)
    return block


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


def check_scheduler_address(address: str) -> None:
    """A malformed --scheduler address is a clean error before any connection is tried."""
    try:
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        raise SweepError("--scheduler needs Dask distributed: pip install 'sqnxt-sim[dask]'",
                         field="--scheduler") from None
    try:
        scheme, loc = parse_address(address, strict=True)
        if scheme in ("tcp", "tls"):
            parse_host_port(loc)
    except (ValueError, TypeError) as e:
        msg = " ".join(str(e).split())[:200]
        raise SweepError(f"--scheduler: malformed address {address!r} ({msg}); expected e.g. "
                         f"tcp://host:8786, tls://host:8786 or 'local'",
                         field="--scheduler") from None


def dask_security(ca_file: str | None = None, cert: str | None = None,
                  key: str | None = None):
    """Dask's TLS settings from the --tls-* options (None when none is given).

    The client checks the scheduler against ``ca_file`` and presents ``cert``/``key`` (one PEM
    file may hold both); encryption is then required, so a ``tcp://`` address is refused.
    """
    if not (ca_file or cert or key):
        return None
    for name, path in (("--tls-ca-file", ca_file), ("--tls-cert", cert), ("--tls-key", key)):
        if path is not None and not os.path.isfile(path):
            raise SweepError(f"{name}: no such file {path!r}", field=name)
    if key and not cert:
        raise SweepError("--tls-key needs --tls-cert", field="--tls-key")
    try:
        from distributed.security import Security
    except ImportError:
        raise SweepError("--tls-* options need Dask distributed: pip install 'sqnxt-sim[dask]'",
                         field="scheduler") from None
    return Security(tls_ca_file=ca_file, tls_client_cert=cert, tls_client_key=key,
                    require_encryption=True)


def _dask(payload: Payload, chunks: Iterator[list[Task]], jobs: int, scheduler: str,
          security=None) -> Iterator[tuple[int, list]]:
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
            check_scheduler_address(scheduler)
            try:
                client = Client(scheduler, timeout="10s", security=security)
            except (OSError, ValueError, TypeError) as e:
                msg = " ".join(str(e).split())[:200]
                raise SweepError(f"cannot reach Dask scheduler {scheduler!r}: {msg}",
                                 field="--scheduler") from None
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


def partial_path(out: str) -> str:
    """Where a running sweep appends its rows: the results file is only replaced (atomically,
    in sweep order) when every point is done, so a failed or killed sweep never damages it."""
    return f"{out}.part"


def _read_rows(path: str) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """(header, [(line number, row)]) of a results file; a last line without its newline (a
    sweep killed mid-write) is dropped."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise SweepError(f"cannot read results file: {e.strerror}", file=path) from None
    cut = data.rfind(b"\n")
    complete = data[:cut + 1]
    if data and cut < 0:
        raise SweepError("cannot resume: the file has no complete header line (not a "
                         "results file, or cut off while its header was written); use "
                         "another --out", file=path, line=1)
    try:
        text = complete.decode("utf-8")
    except UnicodeDecodeError as e:
        line = complete[:e.start].count(b"\n") + 1
        raise SweepError(f"cannot resume: not UTF-8 text ({e.reason})", file=path,
                         line=line) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise SweepError(f"cannot resume: malformed CSV ({e})", file=path) from None
    if not rows:
        return None, []
    return rows[0], list(enumerate(rows[1:], start=2))


def read_done(path: str, header: list[str], spec: SweepSpec, names: tuple[str, ...]
              ) -> tuple[set[tuple[str, ...]], list[list[str]]]:
    """(network, *axis values) of every row already in ``path`` and the rows themselves (for
    --resume).  Every row must be one this sweep could have written: a foreign or damaged row
    is a located error, never silently kept or skipped."""
    first, rows = _read_rows(path)
    done: set[tuple[str, ...]] = set()
    kept: list[list[str]] = []
    if first is None:
        return done, kept
    if first != header:
        raise SweepError(f"cannot resume: its columns ({', '.join(first[:6])}…) are not this "
                         f"sweep's ({', '.join(header[:6])}…); use another --out",
                         file=path, line=1)
    n_axes = len(spec.keys)
    size = spec.space_size
    for line, row in rows:
        def bad(msg: str, line=line) -> SweepError:
            return SweepError(f"cannot resume: {msg}; use another --out", file=path,
                              line=line)
        if len(row) != len(header):
            raise bad(f"the row has {len(row)} fields, the header {len(header)}")
        if not row[0].isdigit() or len(row[0]) > 20 or int(row[0]) >= size:
            raise bad(f"point {row[0][:40]!r} is not an index of this sweep's space "
                      f"(0 to {size - 1})")
        if row[1] not in names:
            raise bad(f"network {row[1][:40]!r} is not one of this sweep's")
        want = [format_value(v) for _, v in spec.point(int(row[0])).values]
        if row[2:2 + n_axes] != want:
            raise bad(f"the axis values of point {row[0]} are not this sweep's")
        key = tuple(row[1:2 + n_axes])
        if key in done:
            raise bad(f"point {row[0]} of network {row[1]!r} appears twice")
        done.add(key)
        kept.append(row)
    return done, kept


def _sorted_rows(rows: list[list[str]], names: tuple[str, ...]) -> list[list[str]]:
    order = {n: i for i, n in enumerate(names)}
    return sorted(rows, key=lambda r: (int(r[0]), order.get(r[1], len(order)), r[1]))


def sort_file(src: str, dest: str, names: tuple[str, ...]) -> None:
    """Write the rows of ``src`` to ``dest`` in sweep order (point index, then the spec's network
    order), atomically."""
    from ..report.outputs import atomic_open

    header, rows = _read_rows(src)
    with atomic_open(dest) as fh:
        if header is not None:
            fh.write(_csv_text([header]))
            fh.write(_csv_text(_sorted_rows([r for _, r in rows], names)))


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


def tasks_for(payload: Payload, done: set[tuple[str, ...]] | None = None,
              indices: Iterable[int] | None = None) -> Iterator[Task]:
    """(point, networks still to run) for every accepted point, streamed."""
    spec = payload.spec
    names = payload.names
    everything = tuple(range(len(names)))
    for index in (spec.indices() if indices is None else indices):
        if not done:
            yield index, everything
            continue
        axis = tuple(format_value(v) for _, v in spec.point(index).values)
        nets = tuple(i for i, n in enumerate(names) if (n, *axis) not in done)
        if nets:
            yield index, nets


def run_sweep(spec: SweepSpec, out: str, *, jobs: int | None = None,
              scheduler: str | None = None, resume: bool = False, chunk: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              security=None) -> SweepStats:
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

    from ..report.outputs import atomic_open

    part = partial_path(out)
    done: set[tuple[str, ...]] = set()
    kept: list[list[str]] = []
    if resume:
        # rows of a killed run (its .part file) or of the finished file, checked row by row
        for source in (part, out):
            if os.path.exists(source) and os.path.getsize(source) > 0:
                done, kept = read_done(source, header, spec, payload.names)
                break
        stats.skipped = len(done)
    # a sample is drawn now, before any file is touched: a filter nothing satisfies is an
    # error here, not after the first points ran
    drawn = (spec.sample_indices()
             if spec.sample_n is not None and spec.sample_n < spec.space_size else None)
    total = sum(1 for _ in tasks_for(payload, done, drawn)) if progress else 0
    if progress:
        progress(0, total)

    # the .part file starts as the header and the rows kept (a rewrite, atomic); new rows are
    # appended and flushed as chunks finish, so a killed sweep loses only the chunks in flight
    with atomic_open(part) as fh:
        fh.write(_csv_text([header]))
        fh.write(_csv_text(kept))
    del kept

    if chunk is None:
        # big enough that per-chunk overhead vanishes and that consecutive points — which
        # share the array, RF and buffer and so the tiling fronts — stay on one worker (with
        # chunks of 16, two workers each rebuilt many of the same fronts: 25 CPU-s instead of
        # 19.5 for benchmarks/bench_sweep.py), small enough to balance (four chunks a worker)
        # and to lose little when killed (a few seconds of work)
        # ... and, where the space allows, made of whole blocks of the last axes (_block):
        # chunks of 256 split the 200 points of each array of benchmarks/bench_sweep.py
        # between the two workers, which both worked out its layouts and cycle tables (4.1
        # CPU-s; in blocks of 200, 3.5)
        n = total or min(spec.space_size, spec.sample_n or spec.space_size)  # no filter pass
        chunk = max(1, min(256, n // (4 * jobs) if jobs > 1 else 256))
        block = _block(spec, chunk)
    else:
        block = 1
    chunks = _chunks(tasks_for(payload, done, drawn), chunk, block)
    if scheduler:
        stream = _dask(payload, chunks, jobs, scheduler, security)
    elif jobs == 1:
        stream = _serial(payload, chunks)
    else:
        stream = _processes(payload, chunks, jobs)

    try:
        fh = open(part, "a", newline="", encoding="utf-8")
    except OSError as e:
        raise OutputError(f"cannot write output file: {e.strerror}", file=part) from None
    with fh:
        for npoints, rows in stream:
            try:
                fh.write(_csv_text(rows))
                fh.flush()
            except OSError as e:
                raise OutputError(f"cannot write output file: {e.strerror}",
                                  file=part) from None
            stats.points += npoints
            stats.rows += len(rows)
            stats.errors += sum(1 for r in rows if r[-1])
            if progress:
                progress(stats.points, total)
    sort_file(part, out, payload.names)     # the results file is replaced only now
    os.unlink(part)
    stats.seconds = time.perf_counter() - t0
    return stats
