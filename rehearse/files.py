"""Disk faults as messages the user can act on, and the test-only crash points.

A full disk or a read-only data folder shows up as OSError (audio files) or a sqlite3 error (the
database; store.database.GuardedConnection guards every call) deep inside a save. Both become one
StorageError saying what happened, where, and what to do; nothing already saved is touched,
because every write is a transaction or an atomic rename.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rehearse.errors import DatabaseDamagedError, StorageError
from rehearse.settings import Settings

log = logging.getLogger(__name__)

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
# SQLite result codes (and their extended forms) that mean the disk or folder refused, not a bug.
_SQLITE_FULL = ("SQLITE_FULL",)
_SQLITE_READ_ONLY = ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")
_SQLITE_DISK = _SQLITE_FULL + _SQLITE_READ_ONLY + ("SQLITE_CANTOPEN", "SQLITE_IOERR")


def _kind(exc: BaseException, home: Path | None = None) -> str:
    """'full', 'read-only' or 'other'; a vague error ("unable to open database file") is told
    apart by looking at the folder itself."""
    if isinstance(exc, OSError):
        if exc.errno in _FULL_ERRNOS:
            return "full"
        if exc.errno in _READ_ONLY_ERRNOS:
            return "read-only"
    else:
        name, text = getattr(exc, "sqlite_errorname", "") or "", str(exc).lower()
        if name.startswith(_SQLITE_FULL) or "disk is full" in text:
            return "full"
        if name.startswith(_SQLITE_READ_ONLY) or "readonly" in text:
            return "read-only"
    if home is None:
        return "other"
    try:
        folder = os.statvfs(home)
    except OSError:
        return "other"
    if folder.f_flag & os.ST_RDONLY or not os.access(home, os.W_OK):
        return "read-only"
    return "full" if folder.f_bavail == 0 else "other"


def _is_database_error(exc: BaseException) -> bool:
    # By the class's home rather than isinstance, so that only store/ imports the database driver
    # (tests/test_layout.py); every sqlite3 error class is defined in the sqlite3 module.
    return type(exc).__module__ == "sqlite3"


def is_damaged(exc: BaseException) -> bool:
    """SQLite says the file is not a database, or its pages are corrupt (never "locked" or "busy")."""
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def damaged_message(path: Path, exc: BaseException) -> str:
    return (
        f"The Rehearse database {path} is damaged ({exc}), so nothing in it can be shown. It is kept as it "
        "is: set it aside (Rehearse renames it and starts a new, empty one) and restore a backup, or copy "
        "it somewhere safe and try `sqlite3 rehearse.db .recover` on the copy."
    )


def is_disk_error(exc: BaseException) -> bool:
    """True for faults of the disk or folder (full, read-only, unreadable), False for bugs."""
    if isinstance(exc, OSError):
        return True
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(_SQLITE_DISK) or _kind(exc) != "other" or "unable to open" in str(exc).lower()


def message(home: Path, action: str, exc: BaseException) -> str:
    kind = _kind(exc, home)
    if kind == "full":
        return (
            f"Could not {action}: the disk holding the data folder {home} is full ({exc}). "
            "Free some space on that disk, then try again. Everything saved before is intact."
        )
    if kind == "read-only":
        return (
            f"Could not {action}: the data folder {home} is read-only ({exc}). Make it writable, "
            "or set REHEARSE_HOME to a writable folder, then try again. Everything saved before is intact."
        )
    return (
        f"Could not {action}: {exc} (data folder {home}). Check that the folder exists and is writable, "
        "or set REHEARSE_HOME to another folder, then try again. Everything saved before is intact."
    )


@contextmanager
def guard(home: Path, action: str) -> Iterator[None]:
    """Turn a disk fault inside the block into StorageError naming `action` and `home`."""
    try:
        yield
    except StorageError:
        raise
    except Exception as exc:
        if not (isinstance(exc, OSError) or _is_database_error(exc)):
            raise
        if is_damaged(exc):
            log.error("the database in %s is damaged: %s", home, exc)
            raise DatabaseDamagedError(damaged_message(home / "rehearse.db", exc)) from exc
        if not is_disk_error(exc):
            raise
        log.warning("could not %s: %s", action, exc)
        raise StorageError(message(home, action, exc)) from exc


def private_dir(path: Path) -> Path:
    """`path` and any missing parent as owner-only folders (0700), whatever the umask.

    An existing folder only loses group and other access: one the user made read-only stays
    read-only, so a save reports it instead of quietly making it writable again."""
    missing = []
    here = Path(path)
    while not here.exists():
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass  # another thread or process made it first
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    owner_only(path)
    return path


def owner_only(path: Path) -> None:
    """Take group and other access away from `path`; never add any permission to it."""
    mode = path.stat().st_mode & 0o7777
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def private_open(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
    """A binary file object on a new or existing owner-only (0600) file."""
    fd = os.open(path, flags, 0o600)
    try:
        owner_only(path)  # an existing file keeps its mode on open: tighten it too
        return open(fd, "ab" if flags & os.O_APPEND else "wb")
    except BaseException:
        os.close(fd)
        raise


def private_write(path: Path, data: bytes) -> None:
    """Write a whole owner-only file (an export, a backup), through a temporary renamed into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with private_open(tmp) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def checkpoint(settings: Settings, point: str) -> None:
    """TEST ONLY: with REHEARSE_TEST_PAUSE_AT=<point>, stop here for good so a test can SIGKILL
    the process at a known place. Writes <home>/paused-at-<point> (holding the pid) first."""
    if not settings.test_pause_at or settings.test_pause_at != point:
        return
    marker = settings.home / f"paused-at-{point}"
    marker.write_text(str(os.getpid()))
    log.warning("REHEARSE_TEST_PAUSE_AT=%s: pausing until killed (pid %d)", point, os.getpid())
    while True:
        time.sleep(3600)
