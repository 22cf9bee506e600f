"""Writing course files safely: one writer at a time, into the real file, never over what it must not replace.

- A read-modify-write of a history holds a lock (``filelock``, on a hidden
  ``.NAME.lock`` beside the real file), so concurrent ``course add`` runs take
  turns instead of each replacing the others' sessions.
- A path that is a symbolic link is written through: the new text replaces the
  link's target, so the link stays a link and the real file gets the change.
- Every write goes to a temporary file in the target's folder, created with the
  default mode (so the umask applies; a replaced file keeps its own mode), is
  flushed to disk, then takes the target's place in one ``os.replace`` (or, for
  a file that must not exist yet, one ``os.link``, which fails if it does).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from massage_rules.errors import HistoryError

__all__ = [
    "LOCK_TIMEOUT",
    "HistoryWriteError",
    "check_writable",
    "history_lock",
    "output_problem",
    "real_path",
    "write_atomic",
]

LOCK_TIMEOUT = 30.0  # seconds a writer waits for another to finish; a whole `course add` takes well under one


class HistoryWriteError(HistoryError):
    """A history file could not be locked or written (disk, folder permissions, another process): not its content."""


def real_path(path: str | Path) -> Path:
    """The file a write to ``path`` must change: ``path`` with every symbolic link followed (even a dangling one)."""
    return Path(os.path.realpath(path))


@contextlib.contextmanager
def history_lock(path: str | Path) -> Iterator[Path]:
    """Hold the lock of the history at ``path`` for a read-modify-write; yield the real file to read and write.

    Raises :class:`HistoryWriteError` when the lock cannot be had: the folder is
    missing or not writable, or another process holds the lock for longer than
    ``LOCK_TIMEOUT`` seconds.
    """
    from filelock import FileLock, SoftFileLock, Timeout

    name = str(path)
    target = real_path(path)
    lock_path = target.with_name(f".{target.name}.lock")
    try:
        if not target.parent.is_dir():  # filelock would create the missing folders
            raise FileNotFoundError(2, "No such file or directory")
        # Create the lock file ourselves, with the default mode, so that the umask applies as for the
        # history (a group-shared history gets a lock its group may open), and never through a symlink.
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            mode = stat.S_IMODE(os.fstat(fd).st_mode)
        finally:
            os.close(fd)
        lock: FileLock | SoftFileLock = FileLock(str(lock_path), timeout=LOCK_TIMEOUT, mode=mode)
        try:
            lock.acquire()
        except NotImplementedError:  # a file system without flock (filelock 3 says so; 4 falls back itself)
            lock = SoftFileLock(str(lock_path) + ".soft", timeout=LOCK_TIMEOUT, mode=mode)
            lock.acquire()
    except Timeout:
        raise HistoryWriteError(
            f"another process is changing it: waited {LOCK_TIMEOUT:g} s for its lock {lock_path}; try again",
            file=name,
        ) from None
    except OSError as exc:
        raise HistoryWriteError(f"cannot be locked for writing: {exc.strerror or exc}", file=name) from None
    try:
        yield target
    finally:
        lock.release()


def check_writable(path: str | Path, target: Path) -> None:
    """Refuse to change a history marked read-only (no write permission bit), even for root."""
    try:
        info = target.stat()
    except OSError:
        return  # reading it will say what is wrong
    if stat.S_ISREG(info.st_mode) and (not info.st_mode & 0o222 or not os.access(target, os.W_OK)):
        raise HistoryError(
            "is read-only, so it is left as it is; make it writable (chmod u+w) to add sessions", file=str(path)
        )


def output_problem(path: str | Path, *, force: bool, protect: Iterable[str | Path] = ()) -> str | None:
    """Why ``path`` may not be written as a new output file, or None when it may.

    Never a file in ``protect`` (the history, the profile), never anything but a
    regular file (a folder, a device, a pipe), and an existing file (or a
    dangling symbolic link) only with ``force``.
    """
    target = real_path(path)
    for other in protect:
        if real_path(other) == target or _same_file(target, other):
            return f"{path} is the file {other} itself; name another file"
    try:
        info = target.stat()
    except FileNotFoundError:
        if os.path.lexists(path) and not force:
            return f"{path} is a symbolic link to a missing file; use --force to write through it"
        return None
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return f"{path} is a directory; name a file"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file (a device or a pipe); name a file"
    if not force:
        return f"{path} already exists; use --force to replace it"
    return None


def _same_file(a: Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_atomic(path: str | Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to the real file behind ``path`` so that a crash leaves the old file whole.

    A temporary file in the same folder, created with the default mode (the umask
    applies; a replaced file keeps its mode), is written and flushed to disk, then
    replaces the target in one step. With ``exclusive``, the target must not exist:
    ``FileExistsError`` if it does, even if it appeared a moment ago. Raises ``OSError``.
    """
    target = real_path(path)
    folder = target.parent
    try:
        old_mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        old_mode = None
    temp, fd = _create_temp(folder, target.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if old_mode is not None and not exclusive:
            os.chmod(temp, old_mode)  # keep the old file's permissions
        if exclusive:
            _link_new(temp, target)
        else:
            os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the platform allows
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _create_temp(folder: Path, name: str) -> tuple[Path, int]:
    """A new temporary file beside the target, opened for writing; 0o666 less the umask, like any new file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(17, "cannot create a temporary file", str(folder))


def _link_new(temp: Path, target: Path) -> None:
    """Put ``temp`` at ``target`` only if nothing is there; then drop the temporary name."""
    try:
        os.link(temp, target)
    except FileExistsError:
        os.unlink(temp)
        raise
    except OSError:  # a file system without hard links: check, then rename (a short race, not a lost file)
        if os.path.lexists(target):
            os.unlink(temp)
            raise FileExistsError(17, "File exists", str(target)) from None
        os.replace(temp, target)
        return
    os.unlink(temp)
