"""The scenario of a sweep, read once, and the run function that workers call with it.

The scenario file is read once, by the calling process, and validated there; its text travels with
every task (:class:`ScenarioSource`), so workers never open the file: editing it while a sweep runs
cannot change the sweep, and a remote cluster needs no shared filesystem.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from marketsim.config import ScenarioError, resolve_scenario_text, toml_syntax_problem, scenario_from_dict
from marketsim.experiments.batch.parameters import RunSpec
from marketsim.experiments.run import run_scenario
from marketsim.sim import check_strategies

if TYPE_CHECKING:
    from marketsim.config import Scenario


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario file's text as the calling process read it, once: what every run of a sweep uses.

    Workers receive this object with each task (a few kB), never the path, so the file on disk can
    change or be missing on a remote machine without affecting the sweep.

    Attributes:
        path: the file's absolute path (named in messages and recorded in sweep.json).
        text: its contents, UTF-8.
    """

    path: str
    text: str

    @property
    def sha256(self) -> str:
        """Hex sha256 of the file's bytes (recorded in sweep.json; a resume compares it)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def name(self) -> str:
        """The file's stem, e.g. ``baseline`` (labels only)."""
        return Path(self.path).stem

    def load(self, overrides: Sequence[str] = ()) -> Scenario:
        """Parse and validate the text with ``overrides`` (as :func:`marketsim.config.load_scenario`).

        Raises:
            ScenarioError: TOML syntax error (line, column), nesting too deep, or invalid content.
        """
        try:
            data = tomllib.loads(self.text)
            loaded = scenario_from_dict(data, source=self.path, overrides=overrides)
        except tomllib.TOMLDecodeError as err:
            raise ScenarioError(self.path, [toml_syntax_problem(err)]) from None
        except RecursionError:
            raise ScenarioError(
                self.path, ["arrays or tables are nested too deeply to read; a scenario needs at most a few levels"]
            ) from None
        problems = check_strategies(loaded)  # the schema cannot know the registry: checked before any run
        if problems:
            raise ScenarioError(self.path, problems)
        return loaded


def read_scenario(path: str | Path) -> ScenarioSource:
    """Read a scenario file once (text only; :meth:`ScenarioSource.load` validates it).

    Raises:
        ScenarioError: the file is missing, a folder, unreadable (permissions, I/O) or not UTF-8.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), ["no such file"]) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), ["is a directory, not a scenario file"]) from None
    except PermissionError:
        raise ScenarioError(str(path), ["cannot read the file: permission denied"]) from None
    except OSError as err:
        raise ScenarioError(str(path), [f"cannot read the file: {err.strerror or err}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(str(path), [f"byte {err.start}: not UTF-8 text"]) from None
    # a file that extends another travels resolved: workers never open its parents either
    return ScenarioSource(str(file.resolve()), resolve_scenario_text(text, str(file.resolve())))


#: A run function: (scenario, overrides "key.path=value", seed) -> (per-period table, headline
#: numbers). It runs on a dask worker, so it must be picklable (a module-level function), and it
#: must take the scenario from its argument, never from the file.
RunFn = Callable[[ScenarioSource, Sequence[str], int], "tuple[pd.DataFrame, Mapping[str, Any]]"]


def run_one(scenario: ScenarioSource, overrides: Sequence[str], seed: int) -> tuple[pd.DataFrame, dict]:
    """Validate the shipped scenario with overrides and run it once (no progress bar: on a worker).

    Returns:
        The model table (one row per period, model.csv columns) and the summary numbers.
    """
    result = run_scenario(scenario.load(overrides), seed=seed, progress=False)
    return result.model, dict(result.summary)


def validate_overrides(
    scenario: ScenarioSource, specs: Sequence[RunSpec], overrides: Sequence[str] = ()
) -> None:
    """Validate the scenario with each distinct set of overrides, and with the largest seed, so a
    bad key, value or seed stops the sweep before any cluster starts (raises ScenarioError)."""
    for combo in {tuple(s.overrides) for s in specs}:
        scenario.load([*overrides, *combo])
    if specs:
        scenario.load([*overrides, f"meta.seed={max(s.seed for s in specs)}"])


def scenario_seed(scenario: ScenarioSource, overrides: Sequence[str] = ()) -> int:
    """The scenario's meta.seed (after overrides): the first seed of a sweep given a seed count."""
    return int(scenario.load(list(overrides)).meta.seed)
