"""Hostile input (issue 11): thousands of certainly-bad inputs, each must end in one located
error line and exit status 2 — never a traceback, a hang or a damaged output file.

The cases come from tests/hostile.py: mutations of every bundled network, accelerator, a SCALE-Sim
topology and a sweep spec, and every reproduction of issue 11.  By default a fixed seeded sample
of 1,000 (plus every reproduction) runs in-process through click's CliRunner; set
``SQNXT_HOSTILE=all`` for every case.  A few cases need a real process (a file-size limit, a
killed sweep) and run as subprocesses below.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import ROOT, SWEEP_BASE, TINY, Case, _dump, all_cases, sample, table_cases

from sqnxt_sim.cli import main

SAMPLE = 1000
PER_CASE_SECONDS = 20.0     # only to catch a hang: no case should come near it
OLD = b"an older output file\n"


def _check(case: Case, tmp: Path) -> str | None:
    """None if ``case`` failed cleanly; else what was wrong."""
    work = tmp / re.sub(r"[^A-Za-z0-9]+", "_", case.id)[:80]
    work.mkdir()
    for name, data in (case.files() if callable(case.files) else case.files):
        (work / name).write_bytes(data)
    if case.id == "issue:resume-foreign-row":   # this sweep's header, then a row from elsewhere
        from sqnxt_sim.sweep.run import columns
        from sqnxt_sim.sweep.spec import load_sweep
        spec = load_sweep(work / "spec.yaml")
        (work / "r.csv").write_text(",".join(columns(spec)) + "\nnot,a,row,of,this,sweep\n",
                                    encoding="utf-8")
    out = work / case.out if case.out else None
    if out is not None and not out.exists():
        out.write_bytes(OLD)
    before = out.read_bytes() if out is not None else None
    cwd = os.getcwd()
    os.chdir(work)
    t0 = time.perf_counter()
    try:
        res = CliRunner().invoke(main, list(case.argv))
    finally:
        os.chdir(cwd)
    took = time.perf_counter() - t0
    err = res.stderr
    problems = []
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        problems.append(f"exception {type(res.exception).__name__}: {res.exception}"[:300])
    if res.exit_code != 2:
        problems.append(f"exit status {res.exit_code}")
    lines = err.splitlines()
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr")
    if "Traceback" in err:
        problems.append("traceback")
    first = lines[0] if lines else ""
    if case.name not in first:
        problems.append(f"does not name {case.name}")
    elif case.line and not re.search(re.escape(case.name) + r":\d+: ", first):
        problems.append("no line number")
    if took > PER_CASE_SECONDS:
        problems.append(f"took {took:.1f} s")
    if out is not None and out.read_bytes() != before:
        problems.append("the pre-existing output file changed")
    if problems:
        return f"{case.id}: {'; '.join(problems)} :: {first[:200]}"
    return None


def test_hostile_inputs_fail_cleanly(tmp_path, capsys):
    cases = all_cases()
    assert len(cases) >= 1000, "the generator must give at least 1,000 distinct bad inputs"
    chosen = cases if os.environ.get("SQNXT_HOSTILE") == "all" else sample(cases, SAMPLE)
    failures = [f for c in chosen if (f := _check(c, tmp_path)) is not None]
    with capsys.disabled():
        print(f"\nhostile inputs: {len(cases)} generated, {len(chosen)} tried, "
              f"{len(chosen) - len(failures)} clean errors")
    assert not failures, f"{len(failures)} of {len(chosen)} not clean:\n" + "\n".join(
        failures[:40])


def test_every_bad_table_file_fails_cleanly(tmp_path):
    # energy/area table files and Accelergy ERTs (issue 13): few enough to run them all
    cases = table_cases()
    failures = [f for c in cases if (f := _check(c, tmp_path)) is not None]
    assert not failures, f"{len(failures)} of {len(cases)} not clean:\n" + "\n".join(
        failures[:40])


# -- the few that need a real process ---------------------------------------------------------
def _cli(*args, cwd, preexec=None, timeout=60):
    return subprocess.run([sys.executable, "-c", "from sqnxt_sim.cli import main; main()",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=preexec)


def test_file_size_limit_leaves_the_old_file(tmp_path):
    """`ulimit -f 4` (4 KiB): the write fails, one error line, and o.json is still "old"."""
    import resource

    out = tmp_path / "o.json"
    out.write_text("old\n", encoding="utf-8")

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    res = _cli("run", str(ROOT / "networks/alexnet.yaml"), "-f", "json", "-o", str(out),
               cwd=tmp_path, preexec=limit)
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "o.json" in res.stderr and "Traceback" not in \
        res.stderr
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"], "no temporary file left"


def _children(pid: int) -> list[int]:
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(d.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_of_a_killed_sweep_do_not_linger(tmp_path):
    """SIGKILL the sweep's own process only (not its group): its workers must end soon after,
    not run their chunks for minutes."""
    spec = dict(SWEEP_BASE)
    spec["networks"] = [str(ROOT / "networks/sqnxt23.yaml")]
    spec["grid"] = {"pe_array.rows": list(range(4, 40)), "pe_array.cols": list(range(4, 40))}
    (tmp_path / "spec.yaml").write_bytes(_dump(spec))
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", "from sqnxt_sim.cli import main; main()",
                             "sweep", "spec.yaml", "-o", "r.csv", "-j", "2", "--chunk", "1"],
                            cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        part = tmp_path / "r.csv.part"
        while time.monotonic() < deadline:      # until the workers have done some points
            if part.exists() and part.read_text(encoding="utf-8").count("\n") > 2:
                break
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert workers, "the sweep should have worker processes"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        end = time.monotonic() + 15   # generous: the watchdog looks every 0.5 s
        while time.monotonic() < end and any(_alive(w) for w in workers):
            time.sleep(0.1)
        lingering = [w for w in workers if _alive(w)]
        assert not lingering, f"workers {lingering} outlived the killed sweep"
    finally:
        for w in _children(proc.pid) + [proc.pid]:
            try:
                os.kill(w, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
