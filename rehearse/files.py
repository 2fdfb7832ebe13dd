"""Disk faults as messages the user can act on, and the test-only crash points.

A full disk or a read-only data folder shows up as OSError (audio files) or sqlite3.Error (the
database) deep inside a save. Both become one StorageError saying what happened, where, and
what to do; nothing already saved is touched, because every write is a transaction or an
atomic rename.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
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
    except (OSError, sqlite3.Error) as exc:
        if is_damaged(exc):
            log.error("the database in %s is damaged: %s", home, exc)
            raise DatabaseDamagedError(damaged_message(home / "rehearse.db", exc)) from exc
        if not is_disk_error(exc):
            raise
        log.warning("could not %s: %s", action, exc)
        raise StorageError(message(home, action, exc)) from exc


class GuardedConnection(sqlite3.Connection):
    """A connection whose disk faults (full, read-only, I/O) raise StorageError.

    Every storage function, and every page calling one, then gets the same clear message
    without wrapping each call; constraint errors (bugs) still raise sqlite3 errors.
    """

    home: Path = Path(".")

    def _guard(self, action: str):
        return guard(self.home, action)

    def execute(self, *args, **kwargs):
        with self._guard("read or write the database"):
            return super().execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        with self._guard("write the database"):
            return super().executemany(*args, **kwargs)

    def executescript(self, *args, **kwargs):
        with self._guard("write the database"):
            return super().executescript(*args, **kwargs)

    def commit(self):
        with self._guard("save to the database"):
            return super().commit()

    def __exit__(self, *exc_info):
        with self._guard("save to the database"):
            return super().__exit__(*exc_info)


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
