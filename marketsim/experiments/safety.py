"""Output folders that appear complete or not at all, and the rules of ``--force``.

Everything a command writes goes into a hidden temporary sibling folder (``.<name>.tmp-<random>``
next to the target), which is renamed into place only when every file is written. An interrupted
or failed run therefore leaves neither a half-written results folder nor a temporary one, and an
existing folder is replaced (with ``force``) only once its replacement is complete.

Every folder committed here carries a small manifest, ``marketsim-manifest.json`` (the command,
marketsim version, seed and UTC time that wrote it). That file is the only licence ``--force``
recognises: an existing path is replaced only if it is a real folder (not a symlink) holding a
valid manifest, and never if it is ``/``, the home folder, or the working folder or one of its
ancestors. Anything else (a regular file, a device, a symlink, somebody else's folder) is refused
with :class:`UnsafeOutputError` and left untouched.

A run killed outright (SIGKILL, power loss) cannot clean up its temporary folder; the next write
into the same target removes such ``.<name>.tmp-*`` folders, but only those that carry the
manifest and whose writing process (recorded on this machine) is no longer alive.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import socket
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from marketsim.experiments.files import write_json

__all__ = [
    "MANIFEST_NAME",
    "OutputExistsError",
    "OutputPathError",
    "UnsafeOutputError",
    "atomic_output_dir",
    "check_output_dir",
    "is_marketsim_output",
    "read_manifest",
    "remove_output_dir",
    "remove_stale_temp_dirs",
    "write_manifest",
]

#: The marker file in every folder marketsim commits; ``--force`` replaces only folders holding it.
MANIFEST_NAME = "marketsim-manifest.json"
#: Written into a temporary folder while it is being filled (process id and host), removed before
#: the commit; lets a later run tell a dead writer's leftovers from a live concurrent writer's.
_WRITER_NAME = ".marketsim-writer.json"
_WRITTEN_BY = "marketsim"
# Room the hidden siblings need beyond the target's own name: "." + ".tmp-" + 8 hex digits.
_SIBLING_EXTRA = len("..tmp-") + 8

log = logging.getLogger(__name__)


class OutputExistsError(FileExistsError):
    """The output folder exists and ``force`` was not given."""


class UnsafeOutputError(OutputExistsError):
    """``force`` was given but the existing path is not a folder marketsim wrote (or is protected)."""


class OutputPathError(ValueError):
    """The output path cannot be written (parent is a file, a name too long, ...); nothing was done."""


def write_manifest(
    folder: Path, command: str, seed: int | None = None, extra: Mapping[str, Any] | None = None
) -> Path:
    """Write ``folder/marketsim-manifest.json``, the marker that makes a folder replaceable by --force.

    Args:
        folder: an existing folder.
        command: the marketsim command writing it ("run", "compare", "sweep", ...).
        seed: the random seed of the run, if one seed describes the folder.
        extra: further JSON-serialisable fields (they do not override the standard ones).

    Returns:
        The manifest's path.
    """
    import marketsim

    data = {
        **dict(extra or {}),
        "written_by": _WRITTEN_BY,
        "command": command,
        "version": marketsim.__version__,
        "seed": seed,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    path = Path(folder) / MANIFEST_NAME
    write_json(data, path)
    return path


def read_manifest(folder: Path | str) -> dict[str, Any] | None:
    """The manifest of a folder marketsim wrote, or None (no folder, symlink, no/invalid manifest)."""
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    try:
        if not stat.S_ISDIR(folder.lstat().st_mode) or not stat.S_ISREG(path.lstat().st_mode):
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != _WRITTEN_BY:
        return None
    return data


def is_marketsim_output(path: Path | str) -> bool:
    """True if ``path`` is a real folder (not a symlink) holding a valid marketsim manifest."""
    return read_manifest(path) is not None


def _kind(path: Path) -> str:
    """What a path is, in words, without following a symlink ('symlink', 'device file', ...)."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _unsafe_reason(out: Path) -> str | None:
    """Why ``--force`` must not replace the existing ``out``, or None if it may."""
    kind = _kind(out)
    if kind == "symlink":
        return f"it is a symlink (to {os.readlink(out)}), not a folder marketsim wrote"
    if kind != "folder":
        return f"it is a {kind}, not a folder marketsim wrote"
    target = out.resolve()
    cwd = Path.cwd().resolve()
    if target == Path(target.anchor):
        return "it is the root folder"
    if target == Path.home().resolve():
        return "it is the home folder"
    if target == cwd:
        return "it is the current working folder"
    if target in cwd.parents:
        return "it contains the current working folder"
    if not is_marketsim_output(out):
        return f"it has no {MANIFEST_NAME}, so marketsim did not write it (remove it yourself if it is not needed)"
    return None


def _exists(path: Path) -> bool:
    """Exists, or is a symlink (even a dangling one)."""
    return path.exists() or path.is_symlink()


def _check_name_lengths(out: Path) -> None:
    """Refuse a path with a component too long for the file system (or for its temporary sibling).

    Raises:
        OutputPathError: naming the component and the limit.
    """
    name_max = 255  # NAME_MAX on Linux, macOS and Windows file systems alike
    for part in out.parts:
        if len(os.fsencode(part)) > name_max:
            raise OutputPathError(
                f"output path {out}: the name {part[:40]}... is {len(os.fsencode(part))} bytes long; "
                f"file names must be at most {name_max} bytes"
            )
    if len(os.fsencode(out.name)) + _SIBLING_EXTRA > name_max:
        raise OutputPathError(
            f"output path {out}: the folder name must be at most {name_max - _SIBLING_EXTRA} bytes "
            f"(room is needed for a temporary sibling .{out.name[:20]}....tmp-XXXXXXXX)"
        )


def _check_writable_path(out: Path) -> None:
    """Refuse a path that cannot become a folder, before any long run starts.

    Raises:
        OutputPathError: the nearest existing ancestor is not a folder (or not writable by this user).
    """
    ancestor = out.parent
    while not _exists(ancestor):
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputPathError(
            f"output path {out}: {ancestor} is a {_kind(ancestor)}, not a folder; choose another --out"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"output path {out}: the folder {ancestor} is not writable by this user; choose another --out"
        )


def check_output_dir(out_dir: Path | str, force: bool) -> None:
    """Check that ``out_dir`` may be written (and, with ``force``, replaced); touch nothing.

    Commands call this before a long run so that the user learns about a problem at once.

    Raises:
        OutputExistsError: ``out_dir`` exists and ``force`` is False.
        UnsafeOutputError: ``force`` is True but ``out_dir`` is not a folder marketsim wrote
            (a file, a device, a symlink, a folder without ``marketsim-manifest.json``) or is
            ``/``, the home folder, or the working folder or one of its ancestors.
        OutputPathError: ``out_dir`` does not exist and cannot be created (see
            :func:`_check_writable_path`).
    """
    out = Path(out_dir)
    _check_name_lengths(out)  # first: stat() itself fails on a name too long
    if not _exists(out):
        _check_writable_path(out)
        return
    unsafe = _unsafe_reason(out)
    if not force:
        hint = ("pass --force to replace it, or choose another folder with --out" if unsafe is None
                else f"--force would not replace it: {unsafe}; choose another folder with --out")
        raise OutputExistsError(f"output {_kind(out)} {out} already exists; {hint}")
    if unsafe is not None:
        raise UnsafeOutputError(
            f"refusing to replace {out} with --force: {unsafe}; nothing was changed; choose another --out"
        )


def remove_output_dir(out_dir: Path | str) -> None:
    """Delete a folder marketsim wrote (for ``--force`` on commands that write in place).

    Raises:
        UnsafeOutputError: as :func:`check_output_dir` with ``force`` (nothing is removed).
    """
    out = Path(out_dir)
    if not _exists(out):
        return
    check_output_dir(out, force=True)
    shutil.rmtree(out)


def _writer_is_alive(tmp: Path) -> bool:
    """True unless the temporary folder's writer is known to be gone (same host, pid not running)."""
    try:
        writer = json.loads((tmp / _WRITER_NAME).read_text(encoding="utf-8"))
        pid, host = int(writer["pid"]), str(writer["host"])
    except (OSError, ValueError, KeyError, TypeError):
        # no record: either a writer between removing it and the commit rename, or a foreign
        # folder; not provably stale, so leave it
        return True
    if host != socket.gethostname():
        return True  # cannot tell whether a process on another machine is running
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def remove_stale_temp_dirs(out_dir: Path | str) -> list[Path]:
    """Remove ``.<name>.tmp-*`` siblings of ``out_dir`` left by a killed marketsim process.

    Only folders that carry the marketsim manifest and whose recorded writer (a process on this
    machine) is no longer running are removed; anything else is left alone.

    Returns:
        The folders removed (the caller says so to the user).
    """
    out = Path(out_dir)
    if not out.parent.is_dir():
        return []
    removed = []
    for candidate in sorted(out.parent.glob(f".{_glob_escape(out.name)}.tmp-*")):
        if is_marketsim_output(candidate) and not _writer_is_alive(candidate):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
            # a warning, so that any caller (not only the CLI, which says so itself) shows it
            log.warning("removed %s, a temporary folder left by an interrupted marketsim run", candidate)
    return removed


def _glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped, for a literal match in :meth:`Path.glob`."""
    return re.sub(r"([*?\[\]])", r"[\1]", name)




def _missing_ancestors(path: Path) -> list[Path]:
    """Ancestors of ``path`` that do not exist yet, deepest first (removed again on failure)."""
    missing = []
    for parent in path.parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


def _make_sibling(out: Path, tag: str) -> Path:
    """Create an empty hidden folder ``.<name>.<tag>-<random>`` next to ``out``.

    ``Path.mkdir`` (not ``tempfile.mkdtemp``) so the folder gets the user's umask permissions
    rather than 0700, since it becomes the results folder.
    """
    while True:
        candidate = out.parent / f".{out.name}.{tag}-{secrets.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _commit(tmp: Path, out: Path, force: bool) -> None:
    """Move the finished ``tmp`` folder to ``out``; an old ``out`` goes only after the swap.

    The old ``out`` is removed only if it carries the marketsim manifest: checked before the swap,
    and again once it has been renamed aside (so a folder swapped in meanwhile is put back).
    """
    (tmp / _WRITER_NAME).unlink(missing_ok=True)
    if not _exists(out):
        # rename(2) would silently replace an empty directory created meanwhile; we checked.
        os.rename(tmp, out)
        return
    check_output_dir(out, force)  # someone created it while we worked
    old = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
    os.rename(out, old)
    if not is_marketsim_output(old):
        os.rename(old, out)
        raise UnsafeOutputError(f"refusing to replace {out}: it changed while marketsim was writing")
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    _remove(old)


def _start_temp(out: Path, command: str, seed: int | None) -> Path:
    """The temporary sibling, already marked: writer record first, then the manifest."""
    tmp = _make_sibling(out, "tmp")
    write_json({"pid": os.getpid(), "host": socket.gethostname()}, tmp / _WRITER_NAME)
    write_manifest(tmp, command, seed)
    return tmp


@contextmanager
def atomic_output_dir(
    out_dir: Path | str, force: bool = False, *, command: str = "run", seed: int | None = None
) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success it becomes ``out_dir``.

    Args:
        out_dir: the final folder.
        force: replace an existing ``out_dir`` (removed only after the new folder is in place,
            and only if marketsim wrote it: see :func:`check_output_dir`).
        command: the command named in the folder's manifest.
        seed: the seed named in the folder's manifest (None if several or none).

    Raises:
        OutputExistsError: ``out_dir`` exists and ``force`` is False; raised on entry, before
            anything is created.
        UnsafeOutputError: ``force`` is True but ``out_dir`` may not be replaced.
        OutputPathError: ``out_dir`` cannot be created.

    The temporary folder already holds ``marketsim-manifest.json``, so the committed folder
    carries it. Stale temporary folders of killed runs into the same target are removed first
    (see :func:`remove_stale_temp_dirs`). On any exception in the body, KeyboardInterrupt
    included, the temporary folder (and any parent folders this call created) is removed and
    the exception propagates.
    """
    out = Path(out_dir)
    check_output_dir(out, force)
    remove_stale_temp_dirs(out)
    created_parents = _missing_ancestors(out)
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = _start_temp(out, command, seed)
        yield tmp
        _commit(tmp, out, force)
    except BaseException:
        if tmp is not None:
            _remove(tmp)
        for parent in created_parents:
            try:
                parent.rmdir()
            except OSError:
                break  # not empty: someone else is using it
        raise
