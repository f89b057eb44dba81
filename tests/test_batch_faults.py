"""Faults injected into sweep and sensitivity: bad arguments, output folders, an edited scenario,
signals, and a real `dask scheduler` / `dask worker` pair (started here on 127.0.0.1) losing its
worker or scheduler mid-sweep.

The toy run functions are module-level: dask pickles them by reference, so the worker processes
import this module (``PYTHONPATH`` points at tests/ for the ``dask worker`` subprocess; a local
cluster's workers inherit ``sys.path``). Every subprocess is started in its own session, waited
for with a deadline, and killed in a ``finally``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import psutil
import pytest
from typer.testing import CliRunner

from _synthetic import BATCH_SCENARIO_TOML

from marketsim.cli import app
from marketsim.experiments.outputs import MANIFEST_NAME, write_manifest
from marketsim.experiments.batch.sensitivity import SUMMARY_METRICS, sobol_sensitivity
from marketsim.experiments.batch.cluster import dask_client
from marketsim.experiments.batch.parameters import sweep_runs
from marketsim.experiments.batch.source import ScenarioSource, read_scenario
from marketsim.experiments.batch.store import SweepMismatchError, SweepOutputError
from marketsim.experiments.batch.sweep import SweepIncomplete, run_sweep
from marketsim.config import ScenarioError

TESTS = Path(__file__).parent

SMALL_SCENARIO = BATCH_SCENARIO_TOML.format(name="faults", count=100)


def toy_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """value = x + [toy] offset + seed, after sleeping [toy] sleep seconds (both from the shipped text)."""
    toy = tomllib.loads(scenario.text).get("toy", {})
    time.sleep(float(toy.get("sleep", 0.0)))
    x = float(dict(o.split("=", 1) for o in overrides).get("x", 0))
    value = x + float(toy.get("offset", 0.0)) + seed
    return pd.DataFrame({"step": [0], "value": [value]}), {"final_value": value}


def editing_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """toy_run, but the first run rewrites the scenario file on disk (offset 1000) as a user might."""
    path = Path(scenario.path)
    marker = Path(scenario.path + ".edited")
    if not marker.exists():
        marker.touch()
        path.write_text(path.read_text().replace("offset = 100", "offset = 1000"))
    return toy_run(scenario, overrides, seed)


def worker_killing_run(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """toy_run, but the run with x = 2 kills its worker process (as an out-of-memory kill would)."""
    if dict(o.split("=", 1) for o in overrides).get("x") == "2":
        os._exit(1)
    return toy_run(scenario, overrides, seed)


def write_toy(tmp_path: Path, **toy: float) -> Path:
    path = tmp_path / "toy.toml"
    path.write_text("[toy]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in toy.items()))
    return path


def small_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SCENARIO)
    return path


def finished_runs(out: Path) -> int:
    return len(list((out / "runs").glob("*.parquet")))


def wait_until(condition, timeout: float, what: str) -> None:
    """Poll ``condition`` every 0.05 s; fail the test (not hang) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


# --- a real dask scheduler and worker, as separate processes on 127.0.0.1 -----------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A `python -m dask ...` process in its own session (so killpg ends it and its children)."""
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *args], stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True, env=env,
    )


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL the process's whole session (the worker's nanny and its worker) and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


class DaskProcesses:
    """A `dask scheduler` and optionally one `dask worker` (1 thread), started by the test."""

    def __init__(self, tmp_path: Path, worker: bool) -> None:
        self.tmp_path = tmp_path
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.scheduler: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.want_worker = worker

    def start(self) -> None:
        port = self.address.rsplit(":", 1)[1]
        # Both import this module: the scheduler unpickles the task graph, the worker runs it.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
        self.scheduler = _start(["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                                self.tmp_path / "scheduler.log", env)
        wait_until(self._scheduler_answers, 60, f"the dask scheduler at {self.address}")
        if self.want_worker:
            self.worker = _start(["worker", self.address, "--nthreads", "1", "--nworkers", "1", "--host",
                                  "127.0.0.1", "--no-dashboard"], self.tmp_path / "worker.log", env)
            from distributed import Client

            with Client(self.address, timeout="30s") as client:
                client.wait_for_workers(1, timeout=90)

    def _scheduler_answers(self) -> bool:
        assert self.scheduler is not None and self.scheduler.poll() is None, "the scheduler died"
        try:
            socket.create_connection(("127.0.0.1", int(self.address.rsplit(":", 1)[1])), timeout=1).close()
        except OSError:
            return False
        return True

    def worker_process_ids(self) -> list[int]:
        """The nanny's children: the worker process(es) that run tasks."""
        assert self.worker is not None
        return [child.pid for child in psutil.Process(self.worker.pid).children(recursive=True)]

    def stop(self) -> None:
        for process in (self.worker, self.scheduler):
            if process is not None:
                _kill(process)


@contextmanager
def dask_processes(tmp_path: Path, worker: bool = True) -> Iterator[DaskProcesses]:
    processes = DaskProcesses(tmp_path, worker)
    try:
        processes.start()
        yield processes
    finally:
        processes.stop()


def kill_when(condition, action, timeout: float = 60) -> threading.Thread:
    """Run ``action`` in a thread as soon as ``condition`` holds (or give up after ``timeout`` s)."""

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


# --- 16.3: lost workers, lost scheduler, a stalled cluster --------------------------------------------

STALL = 4.0  # seconds; the documented default is 120


@pytest.mark.slow
def test_killing_the_only_worker_stops_with_a_stall_message_and_a_resume_completes(tmp_path: Path) -> None:
    scenario = write_toy(tmp_path, sleep=0.4, offset=100)
    out = tmp_path / "out"
    grid = {"x": [1, 2, 3, 4, 5, 6, 7, 8]}
    with dask_processes(tmp_path) as dask:
        killed_at: list[float] = []

        def kill_worker() -> None:
            killed_at.append(time.monotonic())
            _kill(dask.worker)

        watcher = kill_when(lambda: finished_runs(out) >= 2, kill_worker)
        with pytest.raises(SweepIncomplete) as err:
            run_sweep(scenario, grid, [0], out, scheduler=dask.address, progress=False, run_fn=toy_run,
                      stall_timeout=STALL)
        stopped_after = time.monotonic() - killed_at[0]
        watcher.join(timeout=5)
    message = str(err.value)
    assert "the dask cluster stalled: no worker is connected to the scheduler at tcp://127.0.0.1:" in message
    assert f"for {STALL:g} s" in message and "are not marked failed: rerun the same command" in message
    assert STALL <= stopped_after < STALL + 20, f"stall detected {stopped_after:.1f} s after the kill"
    done = finished_runs(out)
    counts = err.value.result.counts
    assert 2 <= done < 8 and counts == {"done": done, "missing": 8 - done}
    assert not list((out / "failures").glob("*.json")), "lost runs must not be recorded as failed"

    resumed = run_sweep(scenario, grid, [0], out, workers=1, progress=False, run_fn=toy_run, stall_timeout=60)
    assert (resumed.computed, resumed.skipped, resumed.failed) == (8 - done, done, 0)
    assert sorted(resumed.summary["final_value"]) == [x + 100.0 for x in grid["x"]]


@pytest.mark.slow
def test_killing_the_scheduler_marks_no_run_failed(tmp_path: Path) -> None:
    scenario = write_toy(tmp_path, sleep=0.4, offset=0)
    out = tmp_path / "out"
    grid = {"x": list(range(10))}
    with dask_processes(tmp_path) as dask:
        kill_when(lambda: finished_runs(out) >= 2, lambda: _kill(dask.scheduler))
        started = time.monotonic()
        with pytest.raises(SweepIncomplete) as err:
            run_sweep(scenario, grid, [0], out, scheduler=dask.address, progress=False, run_fn=toy_run,
                      stall_timeout=STALL)
        assert time.monotonic() - started < 60
    message = str(err.value)
    assert f"scheduler at {dask.address}" in message and "not marked failed" in message
    summary = pd.read_parquet(out / "summary.parquet")
    assert set(summary["status"]) <= {"done", "missing"} and (summary["status"] == "done").sum() >= 2
    assert not list((out / "failures").glob("*.json")), "FutureCancelledError is not a failed run"


@pytest.mark.slow
def test_a_worker_process_killed_once_is_restarted_and_its_run_retried(tmp_path: Path) -> None:
    """The nanny restarts a killed worker process; dask reschedules its run; nothing is lost or failed."""
    scenario = write_toy(tmp_path, sleep=0.3, offset=0)
    out = tmp_path / "out"
    grid = {"x": list(range(6))}
    with dask_processes(tmp_path) as dask:
        victims = dask.worker_process_ids()
        kill_when(lambda: finished_runs(out) >= 1, lambda: [os.kill(pid, signal.SIGKILL) for pid in victims])
        result = run_sweep(scenario, grid, [0], out, scheduler=dask.address, progress=False, run_fn=toy_run,
                           stall_timeout=60)
    assert (result.computed, result.failed, result.counts) == (6, 0, {"done": 6})
    assert sorted(result.summary["final_value"]) == [float(x) for x in grid["x"]]


@pytest.mark.slow
def test_a_run_that_kills_its_worker_is_lost_not_failed(tmp_path: Path) -> None:
    """KilledWorker (dask gave up on a run whose workers died) leaves the run missing, exit 3."""
    import dask

    scenario = write_toy(tmp_path)
    out = tmp_path / "out"
    grid = {"x": [1, 2, 3]}
    # the scheduler of a local cluster runs in this process; 0: the first death is final
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with pytest.raises(SweepIncomplete) as err:
            run_sweep(scenario, grid, [0], out, workers=1, progress=False, run_fn=worker_killing_run,
                      stall_timeout=60)
    assert "runs were lost to the cluster" in str(err.value) and "KilledWorker" in str(err.value)
    killer = sweep_runs(grid, [0])[1].run_id
    summary = pd.read_parquet(out / "summary.parquet").set_index("run_id")
    assert summary.loc[killer, "status"] == "missing" and "failed" not in set(summary["status"])
    assert err.value.result.lost >= 1
    resumed = run_sweep(scenario, grid, [0], out, workers=1, progress=False, run_fn=toy_run)
    assert resumed.counts == {"done": 3} and resumed.failed == 0


@pytest.mark.slow
def test_a_scheduler_without_workers_is_a_stall_not_a_hang(tmp_path: Path) -> None:
    scenario = write_toy(tmp_path)
    out = tmp_path / "out"
    with dask_processes(tmp_path, worker=False) as dask:
        started = time.monotonic()
        with pytest.raises(SweepIncomplete, match="no worker is connected"):
            run_sweep(scenario, {"x": [1, 2]}, [0], out, scheduler=dask.address, progress=False,
                      run_fn=toy_run, stall_timeout=2)
        assert time.monotonic() - started < 30
    assert pd.read_parquet(out / "summary.parquet")["status"].tolist() == ["missing", "missing"]


def _cli(args: list[str], cwd: Path) -> subprocess.Popen:
    """`marketsim ARGS` as a separate process (its own session), stdout and stderr captured."""
    return subprocess.Popen([sys.executable, "-m", "marketsim", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        _, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return process.returncode, stderr


NOISE = ("Traceback", "CommClosedError", "Task exception was never retrieved", "FutureCancelledError")


@pytest.mark.slow
def test_cli_scheduler_killed_mid_sweep_exits_3_without_tracebacks(tmp_path: Path) -> None:
    small_scenario(tmp_path)
    out = tmp_path / "out"
    with dask_processes(tmp_path) as dask:
        process = _cli(["sweep", "small.toml", "--grid", "firms.0.price=1,2,3,4,5,6,7,8,9,10",
                        "--set", "meta.years=3", "--scheduler", dask.address, "--out", "out",
                        "--stall-timeout", str(STALL)], tmp_path)
        try:
            wait_until(lambda: finished_runs(out) >= 1 or process.poll() is not None, 90, "a first run")
            _kill(dask.scheduler)
        finally:
            code, stderr = _finish(process)
    assert code == 3, stderr
    assert not any(noise in stderr for noise in NOISE), stderr
    assert "error: " in stderr and "are finished and saved in out" in stderr
    assert not (out / "failures").exists() or not list((out / "failures").iterdir())


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_signal_keeps_finished_runs_and_prints_no_traceback(tmp_path: Path, signum: int, code: int) -> None:
    small_scenario(tmp_path)
    out = tmp_path / "out"
    process = _cli(["sweep", "small.toml", "--grid", "firms.0.price=" + ",".join(map(str, range(1, 17))),
                    "--set", "meta.years=5", "--workers", "1", "--out", "out"], tmp_path)
    try:
        wait_until(lambda: finished_runs(out) >= 1 or process.poll() is not None, 120, "a first run")
        os.kill(process.pid, signum)
    finally:
        returned, stderr = _finish(process)
    assert returned == code, stderr
    assert not any(noise in stderr for noise in NOISE), stderr
    done = finished_runs(out)
    assert 1 <= done < 16
    assert f"sweep interrupted: {done} of 16 runs are finished and saved in out" in stderr
    assert (pd.read_parquet(out / "summary.parquet")["status"] == "done").sum() == done
    assert not list(out.rglob("*.tmp")) and not list(tmp_path.glob(".out.*"))


# --- 16.2: the local cluster listens on 127.0.0.1 only, without a dashboard ----------------------------


def _listening(process: psutil.Process) -> list[str]:
    """host:port of every TCP socket this process and its children listen on."""
    addresses = []
    for proc in [process, *process.children(recursive=True)]:
        for conn in proc.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN:
                addresses.append(f"{conn.laddr.ip}:{conn.laddr.port}")
    return addresses


@pytest.mark.slow
def test_local_cluster_binds_loopback_and_has_no_dashboard_unless_asked() -> None:
    """Every socket the cluster opens to listen (scheduler, nannies in this process, worker
    processes) is on 127.0.0.1; there is no dashboard unless asked for, and then on 127.0.0.1."""
    import importlib.util
    import urllib.error
    import urllib.request

    before = set(_listening(psutil.Process()))
    with dask_client(workers=1) as client:
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        info = client.scheduler_info()
        assert list(info["workers"]) and all(a.startswith("tcp://127.0.0.1:") for a in info["workers"])
        opened = set(_listening(psutil.Process())) - before
        assert opened and all(address.startswith("127.0.0.1:") for address in opened), opened
        # dask's HTTP server (health routes) is there, on a free port, but serves no dashboard
        http_port = info["services"]["dashboard"]
        assert http_port != 8787
        urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=10).close()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{http_port}/status", timeout=10)
        assert missing.value.code == 404
    if importlib.util.find_spec("bokeh") is None:  # the dashboard needs bokeh (not a dependency)
        with pytest.raises(ValueError, match="--dashboard: the dask dashboard needs the bokeh package"):
            with dask_client(workers=1, dashboard=True):
                pass
    else:
        with dask_client(workers=1, dashboard=True) as client:
            assert client.dashboard_link.startswith("http://127.0.0.1:")
            opened = set(_listening(psutil.Process())) - before
            assert all(address.startswith("127.0.0.1:") for address in opened), opened


# --- 16.1: the scenario is read once; a changed file refuses a resume -------------------------------


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with dask_client(workers=1) as client:
        yield client.scheduler.address


@pytest.mark.slow
def test_editing_the_scenario_mid_sweep_changes_no_run_and_refuses_the_resume(
    tmp_path: Path, scheduler: str
) -> None:
    scenario = write_toy(tmp_path, offset=100)
    out = tmp_path / "out"
    grid = {"x": [1, 2, 3, 4]}
    result = run_sweep(scenario, grid, [0], out, scheduler=scheduler, progress=False, run_fn=editing_run)
    assert "offset = 1000" in scenario.read_text(), "the first run edited the file"
    assert sorted(result.summary["final_value"]) == [101.0, 102.0, 103.0, 104.0], "all used the original"
    recorded = json.loads((out / "sweep.json").read_text())
    assert recorded["scenario_sha256"] != read_scenario(scenario).sha256

    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    with pytest.raises(SweepMismatchError) as err:
        run_sweep(scenario, grid, [0], out, scheduler=scheduler, progress=False, run_fn=toy_run)
    assert f"{scenario} has changed since the sweep in {out} started" in str(err.value)
    assert "pass --force to delete its 4 finished runs and start over" in str(err.value)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before, "nothing touched"

    again = run_sweep(scenario, grid, [0], out, scheduler=scheduler, progress=False, run_fn=toy_run, force=True)
    assert (again.computed, again.skipped) == (4, 0)
    assert sorted(again.summary["final_value"]) == [1001.0, 1002.0, 1003.0, 1004.0]
    assert json.loads((out / "sweep.json").read_text())["scenario_sha256"] == read_scenario(scenario).sha256


@pytest.mark.slow
def test_real_runs_use_the_scenario_as_read_when_the_file_changes_mid_sweep(tmp_path: Path) -> None:
    """The real run function, on a local cluster: the file is edited after the first run."""
    from marketsim.experiments.run import run_scenario
    from marketsim.config import load_scenario

    scenario = small_scenario(tmp_path)
    original = tmp_path / "original.toml"
    original.write_text(SMALL_SCENARIO)
    out = tmp_path / "out"
    grid = {"consumers.price_sensitivity": [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]}  # sets the markup
    overrides = ["meta.years=3"]
    edited_at: list[int] = []

    def edit() -> None:
        scenario.write_text(SMALL_SCENARIO.replace("growth_per_year = 1.3", "growth_per_year = 3.0")
                            .replace("count = 100", "count = 50"))
        edited_at.append(scenario.stat().st_mtime_ns)

    kill_when(lambda: finished_runs(out) >= 1, edit)
    result = run_sweep(scenario, grid, [5], out, workers=1, progress=False, overrides=overrides)
    assert result.counts == {"done": 6}
    assert edited_at, "the file was edited during the sweep"
    later = [p for p in (out / "runs").glob("*.parquet") if p.stat().st_mtime_ns > edited_at[0]]
    assert later, "some runs finished after the edit"
    for spec in sweep_runs(grid, [5]):
        alone = run_scenario(load_scenario(original, [*overrides, *spec.overrides]), seed=5)
        table = pd.read_parquet(out / "runs" / f"{spec.run_id}.parquet")
        pd.testing.assert_frame_equal(table.drop(columns=["run_id", "consumers.price_sensitivity", "seed"]), alone.model)


# --- point 5: output folder rules ------------------------------------------------------------------


def _snapshot(path: Path) -> dict[str, bytes | str]:
    """Everything under tmp_path except the scenario: names, file bytes and symlink targets."""
    state: dict[str, bytes | str] = {}
    for item in sorted(path.rglob("*")):
        if item.is_symlink():
            state[str(item)] = "-> " + os.readlink(item)
        elif item.is_file():
            state[str(item)] = item.read_bytes()
        else:
            state[str(item)] = "dir"
    return state


def _run_folder(path: Path) -> Path:
    path.mkdir()
    (path / "model.csv").write_text("step\n0\n")
    write_manifest(path, "run", seed=1)
    return path


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("precious\n"), "file"),
        (lambda p: (p.parent / "target").mkdir() or p.symlink_to(p.parent / "target"), "symlink"),
        (lambda p: p.mkdir() or (p / "notes.txt").write_text("mine\n"), MANIFEST_NAME),
        (lambda p: p.mkdir(), MANIFEST_NAME),
    ],
    ids=["file", "symlink", "foreign-folder", "empty-folder"],
)
def test_anything_marketsim_did_not_write_is_refused_and_untouched(
    tmp_path: Path, make, message: str, force: bool
) -> None:
    scenario = write_toy(tmp_path)
    out = tmp_path / "out"
    make(out)
    before = _snapshot(tmp_path)
    with pytest.raises(SweepOutputError, match=message) as err:
        run_sweep(scenario, {"x": [1]}, [0], out, workers=1, progress=False, run_fn=toy_run, force=force)
    assert "nothing was changed" in str(err.value)
    assert _snapshot(tmp_path) == before


def test_a_marked_symlink_to_a_sweep_is_refused_too(tmp_path: Path, scheduler: str) -> None:
    scenario = write_toy(tmp_path)
    real = tmp_path / "real"
    run_sweep(scenario, {"x": [1]}, [0], real, scheduler=scheduler, progress=False, run_fn=toy_run)
    link = tmp_path / "link"
    link.symlink_to(real)
    before = _snapshot(tmp_path)
    for force in (False, True):
        with pytest.raises(SweepOutputError, match="symlink"):
            run_sweep(scenario, {"x": [1]}, [0], link, scheduler=scheduler, progress=False, run_fn=toy_run,
                      force=force)
    assert _snapshot(tmp_path) == before


def test_another_commands_output_needs_force_and_then_is_replaced(tmp_path: Path, scheduler: str) -> None:
    scenario = write_toy(tmp_path, offset=1)
    out = _run_folder(tmp_path / "out")
    before = _snapshot(tmp_path)
    with pytest.raises(SweepMismatchError, match=r"holds the output of `marketsim run`, not a sweep"):
        run_sweep(scenario, {"x": [1]}, [0], out, scheduler=scheduler, progress=False, run_fn=toy_run)
    assert _snapshot(tmp_path) == before
    result = run_sweep(scenario, {"x": [1]}, [0], out, scheduler=scheduler, progress=False, run_fn=toy_run,
                       force=True)
    assert result.counts == {"done": 1}
    assert not (out / "model.csv").exists()
    assert json.loads((out / MANIFEST_NAME).read_text())["command"] == "sweep"
    assert not list(tmp_path.glob(".out.*")), "no temporary or old sibling left"


def test_resume_needs_the_manifest(tmp_path: Path, scheduler: str) -> None:
    """A sweep folder whose manifest was removed is not trusted: refused, even though sweep.json matches."""
    scenario = write_toy(tmp_path)
    out = tmp_path / "out"
    run_sweep(scenario, {"x": [1]}, [0], out, scheduler=scheduler, progress=False, run_fn=toy_run)
    (out / MANIFEST_NAME).unlink()
    with pytest.raises(SweepOutputError, match=f"a folder without {MANIFEST_NAME}"):
        run_sweep(scenario, {"x": [1]}, [0], out, scheduler=scheduler, progress=False, run_fn=toy_run)


def test_unreadable_scenario_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root a chmod does not stop reading, so the PermissionError is injected."""
    scenario = small_scenario(tmp_path)
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == scenario.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(ScenarioError, match="small.toml: cannot read the file: permission denied"):
        read_scenario(scenario)
    for command in (["sweep", str(scenario), "--grid", "firms.0.price=1,2"],
                    ["sensitivity", str(scenario), "--param", "firms.0.price=1:2", "--output", "final_hhi"]):
        result = CliRunner().invoke(app, [*command, "--out", str(tmp_path / "o")])
        assert result.exit_code == 2, result.output
        assert "cannot read the file: permission denied" in result.output
        assert "Traceback" not in result.output and not (tmp_path / "o").exists()


# --- 16.4, 10.6 and the audit: ~30 bad inputs, each a message, exit 2, nothing written --------------

TOO_LONG = "n" * 300

SWEEP_CASES = [
    (["--grid", "firms.0.price"], "--grid 'firms.0.price': expected key.path=v1,v2,..."),
    (["--grid", "firms.0.price="], "empty value in ''"),
    (["--grid", "firms.0.price=1,,2"], "empty value in '1,,2'"),
    (["--grid", "firms.0.price=1,1"], "a value is repeated"),
    (["--grid", "firms.0.price=1", "--grid", "firms.0.price=2"], "key 'firms.0.price' is given twice"),
    (["--grid", "firms.0.prize=1,2"], "firms[0].prize: unknown key"),
    (["--grid", "firms.3.price=1,2"], "no such entry"),
    (["--grid", "firms.0.price=-1,2"], "firms[0].price = -1"),
    (["--grid", "firms.0.price=nan,2"], "values must be finite numbers"),
    (["--grid", "meta.years=one,two"], "meta.years"),
    (["--set", "meta.nope=1"], "meta.nope: unknown key"),
    (["--seeds", "0"], "--seeds"),
    (["--seeds", "-3"], "--seeds"),
    (["--workers", "0"], "--workers"),
    (["--workers", "two"], "--workers"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "give either --workers (a local cluster) or --scheduler (a running one), not both"),
    (["--scheduler", "localhost"], "--scheduler 'localhost': expected tcp://host:port"),
    (["--scheduler", "tcp://127.0.0.1:99999"], "expected tcp://host:port with a port 1-65535"),
    (["--scheduler", "tcp://127.0.0.1:1"], "cannot reach the dask scheduler at tcp://127.0.0.1:1"),
    (["--stall-timeout", "0"], "--stall-timeout must be a number of seconds > 0, got 0.0"),
    (["--stall-timeout", "nan"], "--stall-timeout must be a number of seconds > 0"),
    (["--dashboard", "--scheduler", "tcp://127.0.0.1:1"], "--dashboard is for the local cluster"),
    (["--out", "{tmp}/afile/sub"], "is a file, not a folder"),
    (["--out", f"{{tmp}}/{TOO_LONG}"], "File name too long; choose another --out"),
    (["--out", "."], "already exists and is a folder without marketsim-manifest.json"),
    (["--out", ".", "--force"], "it is the current working folder"),
    (["--out", "/dev/null"], "is a special file (device, pipe or socket), not a folder"),
    (["--out", "/dev/null", "--force"], "it is a device file, not a folder marketsim wrote"),
    (["--seeds", "99999999999999999999"], "one sweep folder holds at most 1,000,000"),
    (["--set", "meta.seed=9223372036854775807", "--seeds", "2"], "meta.seed = 9223372036854775808"),
    (["--grid", "consumers.population=1e300"], "consumers.population = 1e+300"),
]

SENSITIVITY_CASES = [
    (["--param", "firms.0.price=2:1"], "need finite low < high"),
    (["--param", "firms.0.price=1:1"], "need finite low < high"),
    (["--param", "firms.0.price=a:b"], "low and high must be numbers"),
    (["--param", "firms.0.price=1"], "expected key.path=low:high"),
    (["--param", "firms.0.price=0:inf"], "need finite low < high"),
    (["--param", "meta.nope=1:2"], "--param 'meta.nope=1:2': meta.nope: meta has no field 'nope'"),
    (["--param", "firms.9.price=0:1"], "--param 'firms.9.price=0:1': firms.9.price: firms has 1 entry, no entry '9'"),
    (["--param", "meta.name=0:1"], "meta.name is text, not a number"),
    (["--param", "firms.0.price=-1:1"], "firms[0].price = -1"),
    (["--param", "consumers.count=1.1:1.4"], "consumers.count is a whole number and this range holds only 1"),
    (["--param", "firms.0.price=1:2", "--samples", "10"], "samples must be a power of 2 (>= 2), got 10"),
    (["--param", "firms.0.price=1:2", "--samples", "-4"], "samples must be a power of 2 (>= 2), got -4"),
    (["--param", "firms.0.price=1:2", "--output", "nope"], "--output 'nope': unknown metric"),
    (["--param", "firms.0.price=1:2", "--output", "final_leader"], "--output 'final_leader': unknown metric"),
    (["--param", "firms.0.price=1:2", "--scheduler", "tcp://127.0.0.1:1"], "cannot reach the dask scheduler"),
    (["--param", "firms.0.price=1:2", "--workers", "0"], "--workers"),
    (["--param", "firms.0.price=1:2", "--samples", "1099511627776"], "one sweep folder holds at most 1,000,000"),
    (["--param", "firms.0.price=1:2", "--stall-timeout", "-1"], "--stall-timeout must be a number"),
    (["--param", "firms.0.price=1:2", "--out", "{tmp}/afile"], "already exists and is a file, not a folder"),
]


@pytest.mark.parametrize(
    ("command", "extra", "message"),
    [("sweep", extra, message) for extra, message in SWEEP_CASES]
    + [("sensitivity", extra, message) for extra, message in SENSITIVITY_CASES],
)
def test_bad_input_is_a_message_exit_2_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, extra: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)  # "--out ." is the test's folder
    scenario = small_scenario(tmp_path)
    (tmp_path / "afile").write_text("a regular file\n")
    extra = [arg.replace("{tmp}", str(tmp_path)) for arg in extra]
    args = [command, str(scenario), *extra]
    if "--out" not in extra:
        args += ["--out", str(tmp_path / "out")]
    if command == "sensitivity" and "--output" not in extra:
        args += ["--output", "final_hhi"]
    before = _snapshot(tmp_path)
    started = time.monotonic()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert _snapshot(tmp_path) == before, "nothing may be written"
    assert time.monotonic() - started < 15, "refused before any run or cluster"
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize("command", [["sweep"], ["sensitivity", "--param", "a.b=0:1", "--output", "final_hhi"]])
def test_deeply_nested_scenario_is_a_message(tmp_path: Path, command: list[str]) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text('[meta]\nname = "deep"\nx = ' + "[" * 5000 + "]" * 5000 + "\n")
    result = CliRunner().invoke(app, [command[0], str(deep), *command[1:], "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "deep.toml: arrays or tables are nested too deeply to read" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_summary_metrics_are_the_numeric_keys_of_a_real_summary(tmp_path: Path) -> None:
    """The list `sensitivity --output` is checked against, against a real run's summary.json."""
    from marketsim.experiments.run import run_scenario
    from marketsim.config import load_scenario

    summary = run_scenario(load_scenario(small_scenario(tmp_path))).summary
    numeric = {k for k, v in summary.items()
               if k != "seed" and (v is None or isinstance(v, int | float)) and not isinstance(v, bool)}
    assert set(SUMMARY_METRICS) == numeric


def test_sensitivity_metric_checked_from_a_list_before_any_run(tmp_path: Path) -> None:
    """With a run function whose metrics are listed, a misspelt one is refused with nothing written."""
    scenario = write_toy(tmp_path)
    with pytest.raises(ValueError, match=r"--output 'final_valu': unknown metric; the numeric summary keys are: final_value"):
        sobol_sensitivity(scenario, {"x": (0.0, 1.0)}, 4, "final_valu", seeds=[0], workers=1,
                          out_dir=tmp_path / "out", run_fn=toy_run, integer=(), metrics=["final_value"],
                          progress=False)
    assert not (tmp_path / "out").exists()


def test_progress_bar_says_what_it_counts(tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture) -> None:
    from rich.console import Console

    import marketsim.experiments.batch.sweep as sweep_module

    consoles: list[Console] = []

    def recording_console(**kwargs) -> Console:
        console = Console(record=True, force_terminal=True, width=120, **kwargs)
        consoles.append(console)
        return console

    scenario = write_toy(tmp_path)
    original = sweep_module.Console
    sweep_module.Console = recording_console  # type: ignore[assignment]
    try:
        run_sweep(scenario, {"x": [1, 2]}, [0], tmp_path / "s", scheduler=scheduler, run_fn=toy_run)
        sobol_sensitivity(scenario, {"x": (0.0, 1.0)}, 2, "final_value", seeds=[0], scheduler=scheduler,
                          out_dir=tmp_path / "t", run_fn=toy_run, integer=(), metrics=["final_value"])
    finally:
        sweep_module.Console = original  # type: ignore[assignment]
    text = "\n".join(console.export_text() for console in consoles)
    assert "sweep toy:" in text and "2/2 runs (0 already done)" in text
    # 2 x (1 + 2) sample rows; with one parameter the A_B matrix repeats B, so 4 distinct runs
    assert "sensitivity toy:" in text and "4/4 Sobol' samples (0 already done)" in text
