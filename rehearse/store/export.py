"""Export (Markdown report, CSV, JSON) and the backup archive with its restore.

A backup is a zip: manifest.json (format, version, migrations, row counts, and the SHA-256 of
every file), rehearse.db (a consistent snapshot made with SQLite's backup API, so row ids and
the search index survive) and every file the user made in the data folder: all audio (answers, debriefs, unfinished live
recordings), their own questions and settings.toml; not the prompt or model caches, which are
rebuilt. Restore checks every checksum and only writes into an empty data folder (every table and
file counts), so it can never mix two histories; a failed restore leaves the folder as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import re
import sqlite3
import sys
import tempfile
import zipfile
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlite_utils import Database

from rehearse import __version__, clock
from rehearse.errors import BackupError, NotFoundError, StorageError
from rehearse.files import private_dir, private_open, private_write
from rehearse.measure import feedback
from rehearse.settings import Settings
from rehearse.store import database

log = logging.getLogger(__name__)

FORMATS = {"markdown": ("md", "text/markdown"), "csv": ("csv", "text/csv"), "json": ("json", "application/json")}
METRIC_KEYS = (
    "duration",
    "speaking_seconds",
    "word_count",
    "wpm",
    "filler_count",
    "fillers_per_minute",
    "long_pauses",
    "longest_pause",
    "target_min",
    "target_max",
    "length_verdict",
)
BACKUP_FORMAT = "rehearse-backup"
BACKUP_VERSION = 1
TABLES = ("sessions", "answers", "ratings")  # the ones the messages name; every table is counted
# audio/<file>, audio/live/<file> (a recording not finished yet), questions/<file>, settings.toml.
_MEMBER = re.compile(r"(audio/([A-Za-z0-9_-]+/)?[^/\\]+|questions/[^/\\]+|settings\.toml)")
_CACHE_DIRS = {"prompts", "models"}  # rebuilt on demand, so a folder holding only them counts as empty
_DB_FILES = {"rehearse.db", "rehearse.db-wal", "rehearse.db-shm"}
# Tables whose rows name a file in the data folder.
_AUDIO_TABLES = ("answers", "debrief_recordings")


@dataclass(frozen=True)
class BackupInfo:
    counts: dict[str, int]
    files: int
    bytes: int
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class RestoreInfo:
    home: Path
    counts: dict[str, int]
    files: int
    bytes: int


def find_session(db: Database, ref: str) -> database.Session:
    """A session by its id or an unambiguous start of it (as printed by the app and the CLI)."""
    ref = ref.strip()
    rows = db.execute("select id from sessions where substr(id, 1, ?) = ? order by id", [len(ref), ref]).fetchall()
    if not ref or not rows:
        raise NotFoundError(f"No session with id {ref!r}; `rehearse export --list` shows every session's id.")
    if len(rows) > 1 and rows[0][0] != ref:
        raise NotFoundError(
            f"Session id {ref!r} is ambiguous: it starts {len(rows)} sessions ({', '.join(r[0][:12] for r in rows[:5])}); give more of it."
        )
    return database.get_session(db, rows[0][0])


def session_lines(db: Database) -> list[str]:
    """One line per session, newest first, for `rehearse export --list`."""
    return [
        f"{s.id}  {clock.label(s.started_at)}  {s.answer_count:>3} answer(s)  {s.status:<9}  {s.drill_title}"
        for s in database.list_sessions(db)
    ]


def collect(db: Database, session_id: str | None = None) -> list[tuple[database.Session, list[database.Answer]]]:
    """Sessions oldest first, each with every answer it holds in recording order."""
    if session_id:
        sessions = [database.get_session(db, session_id)]
    else:
        sessions = list(reversed(database.list_sessions(db)))
    return [(s, database.session_answers(db, s.id)) for s in sessions]


def file_name(fmt: str, session: database.Session | None = None) -> str:
    ext = "zip" if fmt == "backup" else FORMATS[fmt][0]
    if fmt == "backup":
        return f"rehearse-backup-{datetime.now().strftime('%Y%m%d-%H%M%S')}.{ext}"
    if session:
        return f"rehearse-{clock.local_day(session.started_at)}-{session.drill_id}.{ext}"
    return f"rehearse-all-{clock.today()}.{ext}"


def probe_caption(answer: database.Answer) -> str:
    """What a generated follow-up picked up, as History, Review, Compare and the report show it."""
    from rehearse.practice import probes

    return probes.answer_caption(answer)


# What could make user text in the report an image, a link, HTML or formatting when a Markdown
# viewer opens it; and where GFM would make a bare URL or e-mail address a link (an invisible word
# joiner there stops it). Lighter than the page's escaping, so the file stays readable as text.
_MD_SPECIALS = re.compile(r"[\\`*_\[\]()!<>~|#$]")
_MD_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?=://)|(?<=[\w.+-])(?=@[\w-])")


def md_text(text: str | None) -> str:
    """User text (question, transcript, note, title) as inert Markdown."""
    return _MD_SPECIALS.sub(r"\\\g<0>", _MD_AUTOLINK.sub("\u2060", text or ""))


def _quote(text: str) -> str:
    return "\n".join(f"> {md_text(line)}" if line else ">" for line in text.splitlines() or [""])


def to_markdown(db: Database, session_id: str | None = None) -> str:
    """A readable report: each session, each question and probe, every take with its rating and note."""
    data = collect(db, session_id)
    answers = sum(1 for _, items in data for a in items if a.status != "skipped")
    title = f"{md_text(data[0][0].drill_title)}, {clock.label(data[0][0].started_at)}" if session_id else "all sessions"
    out = [
        f"# Rehearse report: {title}",
        "",
        f"Exported {clock.label(database.now())} · {len(data)} session(s) · {answers} answer(s)",
        "",
    ]
    for session, items in data:
        out += [
            f"## {clock.label(session.started_at)} · {md_text(session.drill_title)}",
            "",
            f"Drill `{session.drill_id}` · {session.status} · {session.answer_count} answer(s) · session `{session.id}`",
            "",
        ]
        seen: set[tuple[str, int]] = set()
        for answer in sorted(items, key=lambda a: (a.created_at, a.take)):
            step = (answer.question_id, answer.probe_index)
            if step not in seen:
                seen.add(step)
                heading = (
                    f"### {md_text(answer.prompt)}"
                    if answer.probe_index == 0
                    else f"#### Listening follow-up ({answer.probe_kind.replace('_', ' ')}): {md_text(answer.prompt)}"
                    if answer.probe_kind
                    else f"#### Follow-up {answer.probe_index}: {md_text(answer.prompt)}"
                )
                out += [heading, ""]
                if answer.probe_kind:
                    out += [f"*{md_text(probe_caption(answer))}*", ""]
            if answer.status == "skipped":
                out += ["Skipped.", ""]
                continue
            bits = [f"**Take {answer.take}**", clock.label(answer.created_at)[11:]]
            if answer.duration:
                bits.append(f"{answer.duration:.1f} s")
            bits.append(
                f"{'★' * answer.stars}{'☆' * (5 - answer.stars)} ({answer.stars}/5)" if answer.stars else "not rated"
            )
            out += [" · ".join(bits), ""]
            if answer.status == "transcribed":
                out += [_quote(answer.transcript or ""), ""]
                if answer.metrics:
                    out += [f"*{feedback.summary_line(answer.metrics)}*", ""]
            else:
                out += [f"({answer.status}{': ' + md_text(answer.error) if answer.error else ''})", ""]
            if answer.note:
                out += [f"Note: {md_text(answer.note)}", ""]
    return "\n".join(out).rstrip() + "\n"


def _answer_record(answer: database.Answer) -> dict:
    record = asdict(answer)
    record["words"] = list(answer.words)
    return record


def _debrief_records(db: Database) -> list[dict]:
    from rehearse.store import debriefs  # it imports the pipeline; export is imported by far more

    out = []
    for d in debriefs.list_debriefs(db):
        record = asdict(d)
        record["questions"] = debriefs.question_ids(db, d.id)
        record["sessions"] = [
            {"session_id": s.session.id, "focus": s.focus} for s in debriefs.linked_sessions(db, d.id)
        ]
        record["recordings"] = [asdict(r) for r in debriefs.recordings(db, d.id)]
        out.append(record)
    return out


def to_json(db: Database, session_id: str | None = None) -> str:
    sessions = []
    for session, items in collect(db, session_id):
        record = asdict(session)
        record["plan"] = list(session.plan)
        record["answers"] = [_answer_record(a) for a in items]
        sessions.append(record)
    everything = {"format": "rehearse-export", "version": 1, "exported_at": database.now(), "sessions": sessions}
    if session_id is None:  # one session's export is that session; everything includes the debriefs
        everything["debriefs"] = _debrief_records(db)
    return (
        json.dumps(
            everything,
            indent=2,
            ensure_ascii=False,
            default=str,
        )
        + "\n"
    )


CSV_COLUMNS = (
    "session_id",
    "session_started_at",
    "drill_id",
    "drill_title",
    "answer_id",
    "created_at",
    "question_id",
    "question_text",
    "probe_index",
    "prompt",
    "take",
    "status",
    "duration",
    "transcript",
    "stars",
    "note",
    "audio_path",
    "model",
    "error",
    "probe_kind",
    "probe_evidence",
    "probe_start",
    "probe_why",
) + tuple(k for k in METRIC_KEYS if k != "duration")


def to_csv(db: Database, session_id: str | None = None) -> str:
    """One row per answer, metrics as columns; opens in any spreadsheet."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for session, items in collect(db, session_id):
        for a in items:
            row = {
                "session_id": session.id,
                "session_started_at": session.started_at,
                "drill_id": session.drill_id,
                "drill_title": session.drill_title,
                "answer_id": a.id,
                "created_at": a.created_at,
                "question_id": a.question_id,
                "question_text": a.question_text,
                "probe_index": a.probe_index,
                "prompt": a.prompt,
                "take": a.take,
                "status": a.status,
                "duration": a.duration,
                "transcript": a.transcript,
                "stars": a.stars,
                "note": a.note,
                "audio_path": a.audio_path,
                "model": a.model,
                "error": a.error,
                "probe_kind": a.probe_kind,
                "probe_evidence": a.probe_evidence,
                "probe_start": a.probe_start,
                "probe_why": a.probe_why,
            }
            row.update({k: (a.metrics or {}).get(k) for k in METRIC_KEYS if k != "duration"})
            writer.writerow(row)
    return buf.getvalue()


def export_text(db: Database, fmt: str, session_id: str | None = None) -> str:
    writers = {"markdown": to_markdown, "csv": to_csv, "json": to_json}
    if fmt not in writers:
        raise BackupError(f"Unknown export format {fmt!r}; choose one of {', '.join(writers)} (or backup).")
    return writers[fmt](db, session_id)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _data_tables(db: Database) -> list[str]:
    """Every table that holds the user's rows: not the migration log, not the FTS indexes (rebuilt)."""
    return [t for t in db.table_names() if not t.startswith(("_", "sqlite_")) and "_fts" not in t]


def _counts(db: Database) -> dict[str, int]:
    return {t: db.execute(f"select count(*) from [{t}]").fetchone()[0] for t in _data_tables(db)}


def _named_files(db: Database) -> list[str]:
    tables = set(db.table_names())
    return sorted(
        r[0]
        for t in _AUDIO_TABLES
        if t in tables
        for r in db.execute(f"select audio_path from [{t}] where audio_path is not null")
    )


def user_files(settings: Settings) -> list[str]:
    """What the user made in the data folder besides the database, relative to it."""
    home = settings.home
    found = []
    if settings.audio_dir.is_dir():
        for path in sorted(settings.audio_dir.rglob("*")):
            rel = path.relative_to(home)
            if path.is_file() and not any(part.startswith(".") for part in rel.parts) and _MEMBER.fullmatch(str(rel)):
                found.append(str(rel))
    if settings.user_questions_dir.is_dir():
        found += [
            str(p.relative_to(home))
            for p in sorted(settings.user_questions_dir.iterdir())
            if p.is_file() and not p.name.startswith(".")
        ]
    if settings.settings_file.is_file():
        found.append(str(settings.settings_file.relative_to(home)))
    return found


def write_backup(db: Database, settings: Settings, dest: Path | BinaryIO) -> BackupInfo:
    """The database snapshot, every recording its rows name, and the user's question files, as one zip."""
    with tempfile.TemporaryDirectory(prefix="rehearse-backup-") as tmp:
        snapshot = Path(tmp) / "rehearse.db"
        target = sqlite3.connect(snapshot)
        try:
            db.conn.backup(target)
        finally:
            target.close()
        snap = Database(snapshot)
        counts = _counts(snap)
        migrations = [m.name for m in database.migrations.applied(snap)]
        named = _named_files(snap)
        snap.close()
        files = user_files(settings)
        missing = [rel for rel in named if not (settings.home / rel).is_file()]
        for rel in missing:
            log.warning("backup: %s is named by a row but missing", settings.home / rel)
        entries = [
            {"path": rel, "size": (settings.home / rel).stat().st_size, "sha256": sha256_file(settings.home / rel)}
            for rel in files
        ]
        manifest = {
            "format": BACKUP_FORMAT,
            "version": BACKUP_VERSION,
            "created_at": database.now(),
            "rehearse": __version__,
            "migrations": migrations,
            "counts": counts,
            "missing_audio": missing,
            "database": {"path": "rehearse.db", "size": snapshot.stat().st_size, "sha256": sha256_file(snapshot)},
            "files": entries,
        }
        partial = Path(f"{dest}.part") if isinstance(dest, Path) else None
        try:
            # Owner-only, like everything else the user made: the archive holds every recording.
            out = private_open(partial) if partial else dest
            with out if partial else contextlib.nullcontext(), zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("manifest.json", json.dumps(manifest, indent=2))
                zf.write(snapshot, "rehearse.db")
                for entry in entries:
                    # FLAC is compressed already: storing it saves time and loses nothing.
                    kind = zipfile.ZIP_STORED if entry["path"].endswith(".flac") else zipfile.ZIP_DEFLATED
                    zf.write(settings.home / entry["path"], entry["path"], compress_type=kind)
            if partial:
                os.replace(partial, dest)
        except OSError as exc:
            if partial:
                partial.unlink(missing_ok=True)
            raise BackupError(
                f"Cannot write the backup to {dest}: {exc.strerror or exc}. Check the folder exists, "
                "is writable and has room."
            ) from None
    return BackupInfo(counts, len(entries), sum(e["size"] for e in entries), tuple(missing))


def _read_manifest(zf: zipfile.ZipFile, name: str) -> dict:
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except KeyError:
        raise BackupError(
            f"{name} has no manifest.json: it is not a Rehearse backup (make one with `rehearse export --format backup`)."
        ) from None
    except ValueError as exc:
        raise BackupError(f"{name}: manifest.json is not valid JSON ({exc}); the archive is damaged.") from None
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise BackupError(f"{name}: manifest.json cannot be read ({exc}); the archive is damaged.") from None
    if not isinstance(manifest, dict):
        raise BackupError(f"{name} is not a Rehearse backup (its manifest.json is not an object).")
    if manifest.get("format") != BACKUP_FORMAT:
        raise BackupError(f"{name} is not a Rehearse backup (manifest format {manifest.get('format')!r}).")
    if manifest.get("version") != BACKUP_VERSION:
        raise BackupError(
            f"{name} is backup version {manifest.get('version')!r}; this Rehearse reads version {BACKUP_VERSION}. "
            "Use the Rehearse version that made it."
        )
    known = {m.name for m in database.migrations.pending(Database(memory=True))}
    unknown = [m for m in manifest.get("migrations", []) if m not in known]
    if unknown:
        raise BackupError(
            f"{name} was made by a newer Rehearse (its database has migration(s) {', '.join(unknown)}); "
            "update Rehearse, then restore."
        )
    # A crafted manifest must fail here, with a message, not as a KeyError half-way through.
    files, db_entry, counts = manifest.get("files"), manifest.get("database"), manifest.get("counts")
    well_formed = (
        isinstance(files, list)
        and all(isinstance(e, dict) and isinstance(e.get("path"), str) and _is_sha256(e.get("sha256")) for e in files)
        and isinstance(db_entry, dict)
        and _is_sha256(db_entry.get("sha256"))
        and isinstance(counts, dict)
        and all(isinstance(k, str) and type(v) is int and v >= 0 for k, v in counts.items())
        and isinstance(manifest.get("missing_audio", []), list)
        and isinstance(manifest.get("migrations", []), list)
    )
    if not well_formed:
        raise BackupError(
            f"{name}: manifest.json lacks the files, database or counts a Rehearse backup lists, or has "
            "values of the wrong kind; the archive is damaged or was not made by Rehearse. Nothing was restored."
        )
    if len({e["path"] for e in files}) != len(files):
        raise BackupError(f"{name}: manifest.json lists a file twice; the archive is damaged. Nothing was restored.")
    for entry in files:
        rel = entry.get("path", "")
        if not _MEMBER.fullmatch(rel) or Path(rel).name.startswith("."):
            raise BackupError(
                f"{name}: unexpected file {rel!r} in the manifest; only audio/, questions/ and settings.toml are restored."
            )
    return manifest


def _is_sha256(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def folder_contents(settings: Settings) -> list[str]:
    """What in the data folder is the user's: every file but the caches, and every table with rows."""
    home = settings.home
    if not home.is_dir():
        return []
    found = []
    for entry in sorted(home.iterdir()):
        if entry.name in _DB_FILES | _CACHE_DIRS:
            continue
        if entry.name.startswith(database.SET_ASIDE_PREFIXES):
            continue  # a damaged database set aside, and its files: a restore never writes these names
        if entry.is_dir() and not any(p.is_file() for p in entry.rglob("*")):
            continue  # an empty audio/ or questions/ the app made
        found.append(entry.name + ("/" if entry.is_dir() else ""))
    if settings.db_path.exists():
        try:
            counts = _counts(database.open_database(settings))
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                f"{settings.db_path} cannot be read ({exc}), so Rehearse cannot tell whether it holds data: "
                "nothing was restored. Move it away first."
            ) from None
        rows = [f"{n} {t.replace('_', ' ')}" for t, n in counts.items() if n]
        if rows:
            found.append(f"rehearse.db with {', '.join(rows)}")
    return found


def ensure_empty(settings: Settings) -> None:
    """Refuse to restore over data: only a missing folder, an empty one or one with an unused database will do."""
    home = settings.home
    if home.exists() and not home.is_dir():
        raise BackupError(f"{home} is a file, not a data folder; set REHEARSE_HOME to a folder.")
    found = folder_contents(settings)
    if found:
        raise BackupError(
            f"{home} is not empty (it holds {'; '.join(found[:5])}): restore only into an empty data "
            "folder. Set REHEARSE_HOME to a new folder, or move the current data away first."
        )


def _extract(zf: zipfile.ZipFile, member: str, dest: Path, sha256: str, name: str) -> int:
    """Copy one member to `dest` through a temporary file, checking its SHA-256 before it gets its name."""
    tmp = dest.with_name(f".{dest.name}.restoring")
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(member) as src, private_open(tmp) as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
                size += len(block)
    except KeyError:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"{name} lacks {member}, which its manifest lists; the archive is incomplete.") from None
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, zlib.error) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile lacks.
        tmp.unlink(missing_ok=True)
        raise BackupError(
            f"Cannot restore {member} from {name}: {exc}; the archive is damaged. Nothing was restored."
        ) from None
    if digest.hexdigest() != sha256:
        tmp.unlink(missing_ok=True)
        raise BackupError(
            f"{member} in {name} does not match its checksum; the archive is damaged. Nothing was restored."
        )
    os.replace(tmp, dest)
    return size


def restore_backup(archive: Path | BinaryIO, settings: Settings) -> RestoreInfo:
    """Restore a backup into an empty data folder; on any failure the folder is left as empty as it was."""
    name = str(archive) if isinstance(archive, Path) else "the uploaded backup"
    try:
        zf = zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise BackupError(
            f"{name} does not exist; give the path of a backup made with `rehearse export --format backup`."
        ) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(
            f"{name} is not a zip archive ({exc}); give a backup made with `rehearse export --format backup`."
        ) from None
    with zf:
        manifest = _read_manifest(zf, name)
        # What the folder was, to put it back exactly on any failure (opening the database makes
        # the folder owner-only, so its mode is read first).
        home_existed = settings.home.exists()
        home_mode = settings.home.stat().st_mode & 0o7777 if home_existed else None
        db_existed = settings.db_path.exists()
        ensure_empty(settings)
        private_dir(settings.home)
        written: list[Path] = []
        made_dirs: list[Path] = []
        scratch = settings.home / f".restore-{database.new_id()}.db"
        before = settings.home / f".restore-before-{database.new_id()}.db"
        db: Database | None = None
        try:
            if db_existed:
                kept = sqlite3.connect(before)
                try:
                    database.open_database(settings).conn.backup(kept)
                finally:
                    kept.close()
            total = 0
            for entry in manifest["files"]:
                dest = settings.home / entry["path"]
                for parent in reversed(dest.relative_to(settings.home).parents[:-1]):
                    folder = settings.home / parent
                    if not folder.exists():
                        folder.mkdir(mode=0o700)
                        made_dirs.append(folder)
                total += _extract(zf, entry["path"], dest, entry["sha256"], name)
                written.append(dest)
            _extract(zf, "rehearse.db", scratch, manifest["database"]["sha256"], name)
            db = database.open_database(settings)
            source = sqlite3.connect(scratch)
            try:
                source.execute("PRAGMA schema_version").fetchone()  # not SQLite at all fails here
                source.backup(db.conn)
                database.migrate(db)
                db["answers"].rebuild_fts()
                db["ratings"].rebuild_fts()
            except (sqlite3.DatabaseError, StorageError) as exc:
                raise BackupError(
                    f"{name}: its rehearse.db is not a usable Rehearse database ({exc}); the archive is damaged "
                    "or was not made by Rehearse. Nothing was restored."
                ) from None
            finally:
                source.close()
            counts = _counts(db)
            expected = manifest["counts"]
            if {t: counts.get(t, 0) for t in expected} != expected:
                raise BackupError(
                    f"{name}: the restored database holds {counts} rows but the manifest says "
                    f"{expected}; the archive is damaged."
                )
            missing = set(manifest.get("missing_audio", []))
            for rel in _named_files(db):
                if rel not in missing and not (settings.home / rel).is_file():
                    raise BackupError(
                        f"{name}: the database names {rel} but the archive does not hold it; the archive is damaged."
                    )
        except BaseException:
            _put_back(settings, written, made_dirs, db, before if db_existed else None, home_existed, home_mode)
            scratch.unlink(missing_ok=True)
            before.unlink(missing_ok=True)
            if not home_existed:
                try:
                    settings.home.rmdir()
                except OSError:
                    pass
            raise
        finally:
            scratch.unlink(missing_ok=True)
            before.unlink(missing_ok=True)
    log.info("restored %s into %s", name, settings.home)
    return RestoreInfo(settings.home, counts, len(written), total)


def _put_back(
    settings: Settings,
    written: list[Path],
    made_dirs: list[Path],
    db: Database | None,
    before: Path | None,
    home_existed: bool,
    home_mode: int | None,
) -> None:
    """Undo a restore that failed half-way: the files it wrote, the folders it made, the database."""
    for path in written:
        path.unlink(missing_ok=True)
    for folder in reversed(made_dirs):
        try:
            folder.rmdir()
        except OSError:
            pass
    if before is not None:
        # The database as it was (ensure_empty let only an unused one through): copied back whole.
        source = sqlite3.connect(before)
        try:
            source.backup((db or database.open_database(settings)).conn)
        finally:
            source.close()
    else:
        if db is not None:
            db.close()
        for name in _DB_FILES:
            (settings.home / name).unlink(missing_ok=True)
    if home_existed and home_mode is not None:
        os.chmod(settings.home, home_mode)


def backup_to_bytes(db: Database, settings: Settings) -> tuple[bytes, BackupInfo]:
    """The backup held in memory, for a download button."""
    buf = io.BytesIO()
    info = write_backup(db, settings, buf)
    return buf.getvalue(), info


# The command line (`rehearse export`, `rehearse restore`); cli.py only declares the arguments.


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """`rehearse export`: a report, CSV or JSON to standard output or a file, or a backup archive."""
    db = database.open_database(settings)
    if args.list:
        print("\n".join(session_lines(db)) or "No sessions yet.")
        return 0
    session = find_session(db, args.session) if args.session else None
    if args.format == "backup":
        if session:
            print("rehearse: a backup always holds everything; leave out --session", file=sys.stderr)
            return 2
        dest = Path(args.output or file_name("backup"))
        info = write_backup(db, settings, dest)
        print(
            f"Backed up {info.counts['sessions']} session(s), {info.counts['answers']} answer(s) and "
            f"{info.files} file(s) to {dest}",
            file=sys.stderr,
        )
        for rel in info.missing:
            print(f"warning: {rel} is named by an answer but missing from {settings.home}", file=sys.stderr)
        return 0
    text = export_text(db, args.format, session.id if session else None)
    if args.output:
        private_write(Path(args.output), text.encode("utf-8"))
        print(f"Wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """`rehearse restore`: a backup into an empty data folder."""
    if args.into:
        settings = settings.with_home(Path(args.into).expanduser())
    info = restore_backup(Path(args.archive), settings)
    print(
        f"Restored {info.counts['sessions']} session(s), {info.counts['answers']} answer(s) and {info.files} "
        f"file(s) into {info.home}"
    )
    return 0
