"""``--force`` replaces only folders marketsim wrote; bad output paths and stop signals end cleanly.

Every case goes through the command line (exit 2 and one message, no traceback) and checks that
nothing was touched. Signal tests run ``python -m marketsim`` in a subprocess with bounded waits.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from _cli import invoke as cli
from _cli import marked_folder
from _synthetic import write_mini_scenario
from marketsim.experiments import safety
from marketsim.experiments.outputs import (
    MANIFEST_NAME,
    OutputExistsError,
    OutputPathError,
    UnsafeOutputError,
    atomic_output_dir,
    check_output_dir,
    is_marketsim_output,
    read_manifest,
    remove_output_dir,
    remove_stale_temp_dirs,
    write_manifest,
    write_table,
)



def marked(path: Path, *files: str) -> Path:
    """A folder carrying the manifest (as if marketsim wrote it), with files saying "keep me"."""
    return marked_folder(path, *files, text="keep me")


def assert_refused(result, *fragments: str) -> None:
    """Exit 2, an ``error:`` line naming the reason, and no Python traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stderr.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def assert_invalid_scenario(result, *fragments: str) -> None:
    """Exit 2, a scenario error line (``FILE: key = value: must be ...``) and no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert ".toml: " in result.stderr and "must be" in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "Traceback" not in result.output


@pytest.fixture
def scenario(tmp_path) -> Path:
    (tmp_path / "scen").mkdir()
    return write_mini_scenario(tmp_path / "scen")


def run_into(scenario: Path, out: str | Path, cwd: Path, *extra: str):
    return cli("run", str(scenario), "--quiet", "--no-figures", "--out", str(out), *extra, cwd=cwd)


# --- the manifest ----------------------------------------------------------------------------------


def test_manifest_names_command_version_seed_and_time(tmp_path):
    import marketsim

    path = write_manifest(tmp_path, "sweep", seed=4, extra={"grid": ["a"], "command": "ignored"})
    data = json.loads(path.read_text())
    assert path.name == MANIFEST_NAME == "marketsim-manifest.json"
    assert data["written_by"] == "marketsim" and data["command"] == "sweep"
    assert data["version"] == marketsim.__version__ and data["seed"] == 4 and data["grid"] == ["a"]
    assert data["time"].endswith("+00:00")  # UTC, ISO 8601
    assert is_marketsim_output(tmp_path) and read_manifest(tmp_path) == data


def test_only_a_real_folder_with_a_valid_manifest_counts(tmp_path):
    real = marked(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(real)
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / MANIFEST_NAME).write_text('{"written_by": "someone else"}')
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / MANIFEST_NAME).write_text("not json")
    linked_manifest = tmp_path / "linked-manifest"
    linked_manifest.mkdir()
    (linked_manifest / MANIFEST_NAME).symlink_to(real / MANIFEST_NAME)
    assert is_marketsim_output(real)
    for path in (link, forged, broken, linked_manifest, real / MANIFEST_NAME, tmp_path / "missing"):
        assert not is_marketsim_output(path), path


def test_a_committed_run_folder_carries_the_manifest(tmp_path, scenario):
    result = run_into(scenario, "out", tmp_path, "--seed", "5")
    assert result.exit_code == 0, result.output
    manifest = read_manifest(tmp_path / "out")
    assert manifest is not None and manifest["command"] == "run" and manifest["seed"] == 5


# --- every --force case, through the command line --------------------------------------------------


def test_force_refuses_a_regular_file(tmp_path, scenario):
    target = tmp_path / "notes.txt"
    target.write_text("my notes")
    result = run_into(scenario, target, tmp_path, "--force")
    assert_refused(result, f"refusing to replace {target} with --force: it is a file", "nothing was changed")
    assert target.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "scen"]


def test_force_refuses_a_device_file_and_leaves_it_a_device(tmp_path, scenario):
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    result = run_into(scenario, "/dev/null", tmp_path, "--force")
    assert_refused(result, "refusing to replace /dev/null with --force: it is a device file")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert not any(p.name.startswith(".null.") for p in Path("/dev").iterdir())


def test_force_refuses_a_fifo(tmp_path, scenario):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run_into(scenario, fifo, tmp_path, "--force")
    assert_refused(result, "it is a named pipe")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_force_refuses_a_symlink_even_to_a_marked_folder(tmp_path, scenario):
    folder = marked(tmp_path / "real", "data.csv")
    link = tmp_path / "link"
    link.symlink_to(folder)
    result = run_into(scenario, link, tmp_path, "--force")
    assert_refused(result, f"refusing to replace {link} with --force: it is a symlink (to {folder})")
    assert link.is_symlink() and (folder / "data.csv").read_text() == "keep me"


def test_force_refuses_a_folder_without_the_manifest_and_keeps_its_files(tmp_path, scenario):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("keep me")
    result = run_into(scenario, folder, tmp_path, "--force")
    assert_refused(result, f"it has no {MANIFEST_NAME}, so marketsim did not write it")
    assert sorted(p.name for p in folder.iterdir()) == ["chapter1.tex"]
    assert (folder / "chapter1.tex").read_text() == "keep me"
    # without --force the message does not suggest a --force that would be refused
    plain = run_into(scenario, folder, tmp_path)
    assert_refused(plain, "already exists; --force would not replace it")


def test_force_refuses_the_root_folder(tmp_path, scenario):
    result = run_into(scenario, "/", tmp_path, "--force")
    assert_refused(result, "refusing to replace / with --force")


def test_force_refuses_the_home_folder_even_when_marked(tmp_path, scenario, monkeypatch):
    home = marked(tmp_path / "home", ".bashrc")
    monkeypatch.setenv("HOME", str(home))
    result = run_into(scenario, home, tmp_path, "--force")
    assert_refused(result, "it is the home folder")
    assert (home / ".bashrc").read_text() == "keep me"


def test_force_refuses_the_current_folder_and_its_ancestors(tmp_path, scenario):
    work = marked(tmp_path / "work", "draft.txt")
    inner = marked(work / "inner")
    for out, cwd, why in ((".", work, "it is the current working folder"),
                          ("..", inner, "it contains the current working folder")):
        result = run_into(scenario, out, cwd, "--force")
        assert_refused(result, why)
    assert (work / "draft.txt").read_text() == "keep me" and is_marketsim_output(inner)


def test_force_replaces_a_folder_marketsim_wrote(tmp_path, scenario):
    first = run_into(scenario, "out", tmp_path)
    assert first.exit_code == 0, first.output
    (tmp_path / "out" / "stale.txt").write_text("from an older run")
    again = run_into(scenario, "out", tmp_path)
    assert_refused(again, "already exists; pass --force to replace it")
    replaced = run_into(scenario, "out", tmp_path, "--force", "--seed", "9")
    assert replaced.exit_code == 0, replaced.output
    assert not (tmp_path / "out" / "stale.txt").exists()
    assert read_manifest(tmp_path / "out")["seed"] == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "scen"]  # no .tmp / .old left


def test_compare_follows_the_same_force_rules(tmp_path, scenario):
    from marketsim.experiments.compare import compare_scenarios, write_comparison
    from marketsim.config import load_scenario

    other = write_mini_scenario(tmp_path / "scen", "other")
    folder = tmp_path / "cmp"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    refused = cli("compare", str(scenario), str(other), "--quiet", "--out", "cmp", "--force", cwd=tmp_path)
    assert_refused(refused, "did not write it")
    assert sorted(p.name for p in folder.iterdir()) == ["mine.txt"]
    # the writer itself (no figure writer: fast): marked on creation, replaceable with force
    results = compare_scenarios([load_scenario(scenario), load_scenario(other)], seed=2)
    with pytest.raises(UnsafeOutputError):
        write_comparison(results, folder, force=True)
    assert sorted(p.name for p in folder.iterdir()) == ["mine.txt"]
    fresh = write_comparison(results, tmp_path / "cmp2")
    assert read_manifest(fresh)["command"] == "compare" and read_manifest(fresh)["seed"] == 2
    (fresh / "extra.txt").write_text("old")
    write_comparison(results, fresh, force=True)
    assert not (fresh / "extra.txt").exists() and is_marketsim_output(fresh)


def test_commit_puts_back_a_folder_swapped_in_while_writing(tmp_path):
    out = marked(tmp_path / "out")
    with pytest.raises(UnsafeOutputError):
        with atomic_output_dir(out, force=True) as tmp:
            (tmp / "new.txt").write_text("new")
            (out / MANIFEST_NAME).unlink()  # someone replaced the contents meanwhile
            (out / "theirs.txt").write_text("keep me")
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_remove_output_dir_removes_only_marked_folders(tmp_path):
    mine = marked(tmp_path / "mine", "a.csv")
    remove_output_dir(mine)
    assert not mine.exists()
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    with pytest.raises(UnsafeOutputError):
        remove_output_dir(theirs)
    assert theirs.is_dir()
    remove_output_dir(tmp_path / "never-existed")  # nothing to do


def test_check_output_dir_error_classes(tmp_path):
    mine = marked(tmp_path / "mine")
    with pytest.raises(OutputExistsError):
        check_output_dir(mine, force=False)
    check_output_dir(mine, force=True)
    check_output_dir(tmp_path / "new", force=False)
    with pytest.raises(UnsafeOutputError) as info:
        check_output_dir(Path("/dev/null"), force=True)
    assert isinstance(info.value, OutputExistsError)


# --- output paths that cannot be written ------------------------------------------------------------


def test_out_under_a_regular_file(tmp_path, scenario):
    (tmp_path / "file.txt").write_text("x")
    result = run_into(scenario, tmp_path / "file.txt" / "sub" / "out", tmp_path)
    assert_refused(result, f"{tmp_path / 'file.txt'} is a file, not a folder")
    assert (tmp_path / "file.txt").read_text() == "x"


@pytest.mark.parametrize("length", [300, 250])
def test_out_with_a_name_too_long(tmp_path, scenario, length):
    result = run_into(scenario, tmp_path / ("x" * length), tmp_path)
    assert_refused(result, "must be at most")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scen"]


def test_a_300_character_scenario_name_writes_to_a_refused_default_folder(tmp_path):
    path = write_mini_scenario(tmp_path, "n")
    path.write_text(path.read_text().replace('name = "n"', f'name = "{"n" * 300}"'))
    result = cli("run", str(path), "--quiet", "--no-figures", cwd=tmp_path)
    # refused by the scenario schema, before any folder is named after it
    assert_invalid_scenario(result, "meta.name", "1 to 100 characters")
    assert not (tmp_path / "outputs").exists()


def test_unwritable_parent_is_refused_before_the_run(tmp_path, scenario, monkeypatch):
    # tests run as root, where permission bits do not bite: make access() say no
    real_access = os.access
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(safety.os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    result = run_into(scenario, locked / "out", tmp_path)
    assert_refused(result, f"the folder {locked} is not writable by this user")


def test_a_permission_error_while_writing_is_a_message(tmp_path, scenario, monkeypatch):
    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", denied)
    result = run_into(scenario, tmp_path / "a" / "out", tmp_path)
    assert_refused(result, f"error: {tmp_path / 'a'}: Permission denied")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scen"]


def test_scenario_name_without_letters_is_a_message(tmp_path):
    path = write_mini_scenario(tmp_path, "///")
    result = cli("run", str(path), "--quiet", "--no-figures", cwd=tmp_path)
    assert_invalid_scenario(result, 'meta.name = "///"', "at least one letter or digit")
    assert not (tmp_path / "outputs").exists()


def test_a_name_that_looks_like_rich_markup_is_printed_as_text(tmp_path):
    path = write_mini_scenario(tmp_path, "n")
    path.write_text(path.read_text().replace('name = "n"', 'name = "[/bad]"'))
    result = cli("run", str(path), "--no-figures", "--out", "out", cwd=tmp_path)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "[/bad] (seed 3)" in result.stdout
    assert (tmp_path / "out" / "model.csv").exists()


# --- missing values are empty cells, never nan ---------------------------------------------------------


def test_write_table_writes_empty_cells_for_missing_and_infinite_values(tmp_path):
    table = pd.DataFrame({"best_loss": [2.5, float("nan"), float("inf"), -float("inf")],
                          "leader": ["a", None, float("nan"), "b"]})
    write_table(table, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text()
    assert text == "best_loss,leader\n2.5,a\n,\n,\n,b\n"
    assert "nan" not in text.lower() and "inf" not in text.lower()


def test_a_run_with_nothing_on_sale_writes_no_nan(tmp_path, scenario):
    # at a fixed price 0 the profit-seeking firm never trains, so it has no model and no loss (a firm
    # that sets its own price would price above cost and train)
    result = run_into(scenario, "out", tmp_path, "--set", "firms.0.pricing=fixed", "--set", "firms.0.price=0",
                      "--set", "firms.1.price=0")
    assert result.exit_code == 0, result.output
    for name in ("model.csv", "firms.csv"):
        lines = (tmp_path / "out" / name).read_text().splitlines()[1:]
        cells = {cell.strip().lower() for line in lines for cell in line.split(",")}
        assert not cells & {"nan", "inf", "-inf", "+inf"}, name
    json.loads((tmp_path / "out" / "summary.json").read_text(), parse_constant=pytest.fail)
    firms = pd.read_csv(tmp_path / "out" / "firms.csv")
    assert firms.loc[firms["firm"] == "Alpha", "loss"].isna().all()  # empty cells read back as missing


# --- stale temporary folders --------------------------------------------------------------------------


def dead_pid() -> int:
    """The id of a process that has exited (reaped), so nothing runs under it."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def leftover(out: Path, pid: int, marked_: bool = True) -> Path:
    """A ``.NAME.tmp-*`` folder as a killed writer with process id ``pid`` leaves it."""
    tmp = out.parent / f".{out.name}.tmp-deadbeef{pid}"
    tmp.mkdir(parents=True)
    (tmp / "half.csv").write_text("1,")
    if marked_:
        write_manifest(tmp, "run")
        (tmp / safety._WRITER_NAME).write_text(json.dumps({"pid": pid, "host": safety.socket.gethostname()}))
    return tmp


def test_stale_temporary_folders_of_dead_writers_are_removed_and_reported(tmp_path, scenario):
    out = tmp_path / "out"
    stale = leftover(out, dead_pid())
    live = leftover(out, os.getppid())  # a running process: a concurrent writer
    foreign = leftover(out, dead_pid(), marked_=False)  # no manifest: not ours to remove
    result = run_into(scenario, out, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"removed {stale}, a temporary folder left by an interrupted marketsim run" in result.stderr
    assert not stale.exists() and live.is_dir() and foreign.is_dir()
    assert remove_stale_temp_dirs(out) == []


def test_stale_folder_names_with_glob_characters_match_literally(tmp_path):
    out = tmp_path / "run[1]"
    stale = leftover(out, dead_pid())
    other = leftover(tmp_path / "run1", dead_pid())
    assert remove_stale_temp_dirs(out) == [stale]
    assert other.is_dir()


def test_output_path_error_is_a_value_error():
    assert issubclass(OutputPathError, ValueError)


# --- signals: SIGTERM and SIGHUP behave like Ctrl-C -------------------------------------------------------


def start_slow_run(tmp_path: Path, scenario: Path, out: Path) -> subprocess.Popen:
    """``marketsim run`` in a subprocess; its writing (mostly figures) takes a second or more."""
    return subprocess.Popen(
        [sys.executable, "-m", "marketsim", "run", str(scenario), "--quiet", "--out", str(out)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for_temp(out: Path, proc: subprocess.Popen, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(out.parent.glob(f".{out.name}.tmp-*"))
        if found and (found[0] / MANIFEST_NAME).exists():
            return found[0]
        if proc.poll() is not None:
            pytest.fail(f"the run ended before writing started: {proc.communicate()}")
        time.sleep(0.01)
    proc.kill()
    pytest.fail("no temporary folder appeared in time")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_while_writing_leaves_nothing(tmp_path, scenario, signum):
    out = tmp_path / "out"
    proc = start_slow_run(tmp_path, scenario, out)
    wait_for_temp(out, proc)
    proc.send_signal(signum)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the run did not stop after the signal")
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, (proc.returncode, stderr)
    assert stderr.strip() == f"marketsim: stopped by {name}; unfinished output was discarded"
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scen"]


@pytest.mark.slow
def test_after_a_sigkill_the_next_run_removes_the_leftover_and_says_so(tmp_path, scenario):
    out = tmp_path / "out"
    proc = start_slow_run(tmp_path, scenario, out)
    tmp = wait_for_temp(out, proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert tmp.is_dir() and is_marketsim_output(tmp)  # SIGKILL cannot be handled
    result = subprocess.run(
        [sys.executable, "-m", "marketsim", "run", str(scenario), "--quiet", "--no-figures", "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"removed {tmp}, a temporary folder left by an interrupted marketsim run" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "scen"]


def test_atomic_output_dir_removes_stale_leftovers_for_api_callers_too(tmp_path, caplog):
    out = tmp_path / "out"
    stale = leftover(out, dead_pid())
    with caplog.at_level("WARNING", logger="marketsim.experiments.outputs"):
        with atomic_output_dir(out) as tmp:
            (tmp / "x.csv").write_text("1\n")
    assert not stale.exists() and (out / "x.csv").exists()
    assert f"removed {stale}" in caplog.text
    assert not (out / safety._WRITER_NAME).exists()  # the writer record never reaches the result


def test_stop_handlers_are_installed_only_while_a_command_runs_and_respect_ignored_signals():
    from marketsim.cli.errors import Stopped, signals_as_interrupts

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    previous_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with signals_as_interrupts() as state:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            with pytest.raises(Stopped, match="stopped by SIGTERM"):
                signal.raise_signal(signal.SIGTERM)
            assert state.signum == signal.SIGTERM
    finally:
        signal.signal(signal.SIGHUP, previous_hup)
    assert {s: signal.getsignal(s) for s in before} == before
