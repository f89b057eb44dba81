"""The dask cluster of a sweep: a local process cluster or a running scheduler, and its health.

Local workers listen on 127.0.0.1 only and ignore Ctrl-C (the parent saves finished runs and
closes them). distributed's logging of closed connections is silenced: the sweep says itself, in
one message, what happened. :class:`Watchdog` notices a cluster with no worker (or no scheduler).
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import math
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any

from distributed import Client, LocalCluster

_SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")

#: Seconds without any connected worker (or without the scheduler) after which a sweep stops.
DEFAULT_STALL_TIMEOUT = 120.0
#: Seconds to wait for a TCP connection to a given scheduler before giving up (nothing written yet).
SCHEDULER_CONNECT_TIMEOUT = 10.0
#: Seconds between two probes of the scheduler (whether a worker is connected); also how long a
#: stopping sweep waits to fetch a run that had finished.
HEALTH_SECONDS = 1.0


class ClusterStalled(RuntimeError):
    """The cluster had no worker, or the scheduler was unreachable, for too long (no result lost)."""


def check_cluster_options(workers: int | None, scheduler: str | None, dashboard: bool = False) -> None:
    """Refuse both options together, fewer than one worker, a malformed scheduler address, or a
    dashboard that cannot be served.

    Raises:
        ValueError: naming the option and what is expected.
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either --workers (a local cluster) or --scheduler (a running one), not both")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be >= 1, got {workers}")
    if scheduler is not None:
        _scheduler_host_port(scheduler)
    if dashboard and scheduler is not None:
        raise ValueError("--dashboard is for the local cluster; a running scheduler (--scheduler) serves its own")
    if dashboard and importlib.util.find_spec("bokeh") is None:
        raise ValueError("--dashboard: the dask dashboard needs the bokeh package: pip install 'bokeh>=3.1'")


def _scheduler_host_port(address: str) -> tuple[str, int]:
    """(host, port) of ``tcp://host:port`` (or tls://); ValueError naming the expected form."""
    match = _SCHEDULER_ADDRESS.match(address)
    if not match or not 0 < int(match[3]) < 65536:
        raise ValueError(
            f"--scheduler {address!r}: expected tcp://host:port with a port 1-65535 "
            "(e.g. tcp://127.0.0.1:8786, as printed by `dask scheduler`)"
        )
    return match[2].strip("[]"), int(match[3])


def _connect(address: str) -> Client:
    """A Client of the scheduler at ``address``; ValueError if it cannot be reached in time.

    A plain TCP connection is tried first, so a refused port fails at once instead of after
    dask's connection retries.
    """
    host, port = _scheduler_host_port(address)
    hint = "start one with `dask scheduler`, or leave out --scheduler to use local worker processes"
    try:
        socket.create_connection((host, port), timeout=SCHEDULER_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ValueError(f"cannot reach the dask scheduler at {address}: {exc.strerror or exc}; {hint}") from None
    try:
        with quiet_logs():
            return Client(address, timeout=f"{SCHEDULER_CONNECT_TIMEOUT}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"cannot connect to the dask scheduler at {address}: {exc}; {hint}") from None


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while worker processes are spawned, so they inherit "ignore".

    Ctrl-C in a terminal goes to the whole process group; the workers would die with tracebacks
    while this process is still saving finished runs. This process handles Ctrl-C and closes them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be changed from the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


@contextmanager
def remember_interrupts() -> Iterator[list[BaseException]]:
    """Record what the installed SIGINT/SIGTERM/SIGHUP handlers raise, so the polling loop can
    raise it again if Python swallowed it (an exception raised inside a ``__del__`` method or a
    weakref callback is only printed as "Exception ignored in ...").

    Only handlers that are Python callables are wrapped (the default KeyboardInterrupt one, or the
    command line's); the block yields the list of exceptions raised so far.
    """
    caught: list[BaseException] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous: dict[int, Any] = {}

    def relay(signum: int, frame: Any) -> None:
        try:
            previous[signum](signum, frame)
        except BaseException as exc:
            caught.append(exc)
            raise

    for signum in _STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if callable(handler):
            previous[signum] = handler
            signal.signal(signum, relay)
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


#: Loggers that report a closing or lost connection as an error with a traceback (CommClosedError,
#: "Task exception was never retrieved"); expected when a sweep stops or its cluster goes away.
_NOISY_LOGGERS = ("distributed", "asyncio", "tornado")


@contextmanager
def quiet_logs(level: int = logging.CRITICAL + 1, families: Sequence[str] = _NOISY_LOGGERS) -> Iterator[None]:
    """Raise the level of the loggers of ``families`` (distributed's, asyncio's...) to ``level``.

    The default silences them entirely: this process says itself, in one message, what happened.
    """
    # distributed's logging config sets levels on child loggers (distributed.client, ...), which
    # then ignore their parent's level: raise every existing one of the family.
    names = [
        name for name in [*families, *logging.root.manager.loggerDict]
        if name.split(".")[0] in families
    ]
    loggers = [logging.getLogger(name) for name in dict.fromkeys(names)]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, old in zip(loggers, previous, strict=True):
            logger.setLevel(old)


def local_cluster(workers: int | None, dashboard: bool) -> LocalCluster:
    """A cluster of single-threaded worker processes that listens on 127.0.0.1 only.

    One thread per worker: a run is pure Python/numpy and holds the GIL. The dashboard is off
    unless asked for. The scheduler always runs a small HTTP server (health and metrics routes):
    on 127.0.0.1 and a free port, so concurrent sweeps do not compete for dask's default 8787.
    """
    try:
        with _sigint_ignored():
            return LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0" if dashboard else None, worker_dashboard_address=None,
                scheduler_kwargs={"dashboard": dashboard, "dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,  # cancelled-task warnings on Ctrl-C are expected
            )
    except (OSError, TimeoutError, RuntimeError) as exc:
        raise ValueError(f"cannot start a local dask cluster: {exc}") from None


@contextmanager
def dask_client(
    workers: int | None = None, scheduler: str | None = None, dashboard: bool = False
) -> Iterator[Client]:
    """A dask Client: on a new LocalCluster of ``workers`` single-threaded processes on 127.0.0.1
    (None: one per core), or connected to a running scheduler at ``scheduler`` (``tcp://host:port``).

    Args:
        dashboard: serve the dask dashboard of a local cluster on 127.0.0.1 (``client.dashboard_link``).

    Raises:
        ValueError: both given, workers < 1, a malformed address, or the scheduler cannot be reached.
    """
    check_cluster_options(workers, scheduler, dashboard)
    cluster = None
    if scheduler is not None:
        client = _connect(scheduler)
    else:
        cluster = local_cluster(workers, dashboard)
        try:
            client = Client(cluster)
        except BaseException:
            with quiet_logs():
                cluster.close()
            raise
    try:
        # asyncio's "Task exception was never retrieved" is always distributed's internal noise
        with quiet_logs(logging.ERROR, ("distributed", "tornado")), quiet_logs(families=("asyncio",)):
            yield client
    finally:
        _close_quietly(client, cluster)


def _close_quietly(client: Client, cluster: LocalCluster | None) -> None:
    """Close the client and cluster without distributed's connection-closed tracebacks.

    Ends with a garbage collection while still quiet: asyncio reports a failed task that nobody
    awaited ("Task exception was never retrieved", e.g. a gather cut short) only when it is freed.
    """
    with quiet_logs():
        try:
            client.close(timeout=10)
        except Exception:  # noqa: BLE001 - a failing close must not hide why the sweep stopped
            pass
        if cluster is not None:
            try:
                cluster.close(timeout=20)
            except Exception:  # noqa: BLE001
                pass
        gc.collect()


class Watchdog:
    """Notices a cluster that can make no progress: no worker connected, or the scheduler gone.

    Busy workers are healthy however long a run takes; only the absence of any worker (or of the
    scheduler) for ``timeout`` seconds counts as a stall.
    """

    def __init__(self, client: Client, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        self.last_healthy = time.monotonic()
        self.next_probe = 0.0
        self.problem = "no worker is connected"

    def healthy(self) -> None:
        """Record that the cluster just delivered a run."""
        self.last_healthy = time.monotonic()

    def check(self) -> None:
        """Probe the scheduler (at most once per second).

        Raises:
            ClusterStalled: the client was closed (scheduler lost for good), or the cluster has
                been unhealthy for longer than ``timeout``.
        """
        now = time.monotonic()
        if now >= self.next_probe:
            self.next_probe = now + HEALTH_SECONDS
            problem = _cluster_problem(self.client)
            if problem is None:
                self.last_healthy = now
                return
            self.problem = problem
            if self.client.status in ("closing", "closed"):
                raise ClusterStalled(f"lost the connection to the dask scheduler ({problem})")
        if now - self.last_healthy > self.timeout:
            raise ClusterStalled(
                f"the dask cluster stalled: {self.problem} for {self.timeout:g} s (the stall timeout)"
            )


def _cluster_problem(client: Client) -> str | None:
    """Why the cluster cannot run anything now, or None if a worker is connected."""
    address = getattr(client.scheduler, "address", "?")
    if client.status != "running":
        return f"the scheduler at {address} is unreachable"
    try:
        info = client.sync(client.scheduler.identity, n_workers=0, callback_timeout=HEALTH_SECONDS * 5)
    except (OSError, TimeoutError, CancelledError):
        return f"the scheduler at {address} does not answer"
    if not info.get("n_workers"):
        return f"no worker is connected to the scheduler at {address}"
    return None


def check_stall_timeout(seconds: float) -> None:
    """Raise ValueError unless the stall timeout is a finite number of seconds > 0."""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"--stall-timeout must be a number of seconds > 0, got {seconds!r}")
