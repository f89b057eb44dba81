"""How every command ends when something goes wrong: stop signals, file-system errors, fixable input.

Exit statuses: 2 a problem the user can fix (one ``error: ...`` line, no traceback); 1 some batch runs
failed; 3 a dask cluster stalled or was lost; 128 + the signal's number when stopped by a signal
(130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
"""

from __future__ import annotations

import errno
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

# --- process-wide handling: signals and file-system errors ----------------------------------

#: Signals that stop a command the way Ctrl-C does: the exception unwinds, so unfinished output
#: (a temporary folder) is removed and a sweep records what it finished.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(KeyboardInterrupt):
    """A stop signal arrived (SIGINT, SIGTERM or SIGHUP); a KeyboardInterrupt so code handles all alike."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


class StopState:
    """The first stop signal received while a command runs, and whether a message was printed."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.reported = False


#: The running command's stop state (None outside a command); ``stop_interrupted`` marks it reported.
_stop_state: StopState | None = None


@contextmanager
def signals_as_interrupts() -> Iterator[StopState]:
    """While a command runs, turn SIGINT, SIGTERM and SIGHUP into :class:`Stopped`; restore after.

    A signal the process was started ignoring (``nohup`` ignores SIGHUP) stays ignored. Outside
    the main thread (a test runner's worker) nothing is installed: Python allows it only there.
    """
    global _stop_state
    state = _stop_state = StopState()

    def stop(signum: int, frame: Any) -> None:
        if state.signum is None:
            state.signum = signum
        raise Stopped(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, stop)
    try:
        yield state
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop_state = None


def os_error_message(err: OSError) -> str:
    """``PATH: reason`` for an operating-system error (``str(err)`` for marketsim's own ones)."""
    if err.strerror is None or err.filename is None:
        return str(err)
    where = str(err.filename) + (f" -> {err.filename2}" if err.filename2 is not None else "")
    return f"{where}: {err.strerror}"


class MarketsimGroup(TyperGroup):
    """The command group: stop signals end a command cleanly, file-system errors exit 2 with a message."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with signals_as_interrupts() as state:
            try:
                return super().main(*args, **kwargs)
            except SystemExit:
                if state.signum is None:
                    raise
                name = signal.Signals(state.signum).name
                if not state.reported:
                    typer.echo(f"\nmarketsim: stopped by {name}; unfinished output was discarded", err=True)
                # 128 + signal number, the shell's convention (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)
                sys.exit(128 + state.signum)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as err:
            if err.errno == errno.EPIPE:
                raise  # typer handles a closed pipe (e.g. `marketsim ... | head`)
            fail(os_error_message(err))


# --- errors the user can fix, and interrupted batches ---------------------------------------


def fail(message: str) -> NoReturn:
    """Print ``error: message`` to stderr and exit with status 2 (a problem the user can fix)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@contextmanager
def research_errors() -> Iterator[None]:
    """Scenario problems print as the loader words them; other fixable errors as ``error: ...``; all exit 2."""
    from marketsim.config import ScenarioError, exit_on_scenario_error
    from marketsim.experiments.outputs import OutputExistsError

    with exit_on_scenario_error():
        try:
            yield
        except ScenarioError:
            raise
        except (ValueError, FileNotFoundError, OutputExistsError) as err:
            fail(str(err))


def stop_interrupted(stop: BaseException) -> NoReturn:
    """Ctrl-C (or SIGTERM, SIGHUP): say what was kept and how to resume; exit 130.

    The command group turns the code into 128 + the signal's number (143 for SIGTERM).
    """
    typer.echo(f"\n{stop}", err=True)
    if _stop_state is not None:
        _stop_state.reported = True
    raise typer.Exit(code=130)


@contextmanager
def batch_errors() -> Iterator[None]:
    """sweep / sensitivity: bad input exits 2, Ctrl-C 130 (finished runs kept), a stalled or lost
    dask cluster 3 (finished runs kept, the rest left to a rerun)."""
    from marketsim.experiments.batch.sweep import SweepIncomplete, SweepInterrupted

    with research_errors():
        try:
            yield
        except SweepInterrupted as stop:
            stop_interrupted(stop)
        except SweepIncomplete as stop:
            typer.echo(f"error: {stop}", err=True)
            raise typer.Exit(code=3) from None
