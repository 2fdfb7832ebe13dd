"""Export formats and the backup round trip on real SQLite files and real FLAC files, through the library and the CLI."""

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from seed import FIRST_TRY, LATEST, seed

from rehearse.errors import BackupError, NotFoundError
from rehearse.practice import history
from rehearse.settings import load_settings
from rehearse.store import database, export


def checksums(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((home / "audio").iterdir())
    }


def table_rows(db) -> dict[str, list[tuple]]:
    return {t: db.execute(f"select * from [{t}] order by rowid").fetchall() for t in export._data_tables(db)}


def test_markdown_report(settings, db):
    seeded = seed(db, settings)
    report = export.to_markdown(db)
    assert report.startswith("# Rehearse report: all sessions")
    assert "4 session(s) · 8 answer(s)" in report
    assert report.count("\n## ") == 4
    assert "### Tell me about a time you led a change" in report
    assert "#### Follow-up 1: How did you get buy-in from the other orgs?" in report
    assert f"> {FIRST_TRY}" in report and "★★☆☆☆ (2/5)" in report and "Note: Too many fillers, no numbers." in report
    assert "Skipped." in report and "not rated" in report
    # Oldest session first, takes in the order they were recorded.
    assert report.index(FIRST_TRY) < report.index(LATEST)
    one = export.to_markdown(db, seeded.sessions["recent"])
    assert LATEST in one and FIRST_TRY not in one and "1 session(s) · 3 answer(s)" in one


def test_csv_and_json(settings, db):
    seeded = seed(db, settings)
    rows = list(csv.DictReader(io.StringIO(export.to_csv(db))))
    assert len(rows) == 9 and list(rows[0]) == list(export.CSV_COLUMNS)
    first = next(r for r in rows if r["answer_id"] == seeded.answers["first"].id)
    assert first["transcript"] == FIRST_TRY and first["stars"] == "2" and first["drill_id"] == "leadership-follow-ups"
    assert float(first["wpm"]) == seeded.answers["first"].metrics["wpm"] and first["length_verdict"] == "short"
    only = list(csv.DictReader(io.StringIO(export.to_csv(db, seeded.sessions["failure"]))))
    assert [r["status"] for r in only] == ["transcribed", "skipped"]

    data = json.loads(export.to_json(db))
    assert data["format"] == "rehearse-export" and len(data["sessions"]) == 4
    answers = {a["id"]: a for s in data["sessions"] for a in s["answers"]}
    stored = database.get_answer(db, seeded.answers["latest"].id)
    assert answers[stored.id]["words"] == list(stored.words) and answers[stored.id]["metrics"] == stored.metrics
    assert answers[stored.id]["note"] == "Named the finance director this time."
    with pytest.raises(BackupError, match="markdown, csv, json"):
        export.export_text(db, "pdf")


def test_find_session_by_prefix(settings, db):
    seeded = seed(db, settings)
    sid = seeded.sessions["old"]
    assert export.find_session(db, sid[:8]).id == sid
    with pytest.raises(NotFoundError, match="rehearse export --list"):
        export.find_session(db, "zzzz")
    with pytest.raises(NotFoundError):
        export.find_session(db, "")


def test_backup_round_trip_into_an_empty_folder(settings, db, tmp_path):
    seeded = seed(db, settings)
    archive = tmp_path / "backup.zip"
    info = export.write_backup(db, settings, archive)
    assert {t: info.counts[t] for t in export.TABLES} == {"sessions": 4, "answers": 9, "ratings": 7}
    assert info.counts["debriefs"] == 0 and info.files == 8 and not info.missing
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert {e["path"] for e in manifest["files"]} == set(checksums(settings.home))
        assert manifest["migrations"][0] == "m001_initial"

    target = load_settings({"REHEARSE_HOME": str(tmp_path / "restored")})
    restored = export.restore_backup(archive, target)
    assert restored.counts == info.counts and restored.files == 8
    again = database.open_database(target)
    assert table_rows(again) == table_rows(db)
    assert checksums(target.home) == checksums(settings.home)
    # The restored copy works: search, foreign keys and the audio each row names.
    hits = history.search(again, history.Filters(text="finance director"))
    assert [h.answer.id for h in hits.hits] == [seeded.answers[k].id for k in ("latest", "second", "first")]
    for answer in database.session_answers(again, seeded.sessions["old"]):
        assert answer.audio_file(target).read_bytes()[:4] == b"fLaC"
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert oct(target.home.stat().st_mode & 0o777) == "0o700"

    # Never over existing data.
    with pytest.raises(BackupError, match="not empty.*4 session"):
        export.restore_backup(archive, target)
    with pytest.raises(BackupError, match="not empty"):
        export.restore_backup(archive, settings)


def test_restore_into_a_fresh_app_folder_and_user_questions(settings, db, tmp_path):
    seed(db, settings)
    settings.user_questions_dir.mkdir()
    (settings.user_questions_dir / "mine.toml").write_text('title = "Mine"\n')
    data, info = export.backup_to_bytes(db, settings)
    assert info.files == 9
    # A folder the app has opened already (an empty database, a prompt cache) still counts as empty.
    fresh = load_settings({"REHEARSE_HOME": str(tmp_path / "fresh")})
    database.open_database(fresh)
    (fresh.prompt_cache_dir).mkdir()
    (fresh.prompt_cache_dir / "x.wav").write_bytes(b"cached")
    export.restore_backup(io.BytesIO(data), fresh)
    assert (fresh.user_questions_dir / "mine.toml").read_text() == 'title = "Mine"\n'
    assert table_rows(database.open_database(fresh)) == table_rows(db)


def test_damaged_archives_restore_nothing(settings, db, tmp_path):
    seed(db, settings)
    good = tmp_path / "good.zip"
    export.write_backup(db, settings, good)
    target = load_settings({"REHEARSE_HOME": str(tmp_path / "target")})

    # One audio file altered: its checksum no longer matches, and nothing is left behind.
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as out:
        names = src.namelist()
        victim = next(n for n in names if n.startswith("audio/"))
        for n in names:
            out.writestr(n, src.read(n)[:-10] + b"0123456789" if n == victim else src.read(n))
    with pytest.raises(BackupError, match="does not match its checksum"):
        export.restore_backup(bad, target)
    leftovers = [p for p in target.home.rglob("*") if p.is_file() and not p.name.startswith("rehearse.db")]
    assert leftovers == []

    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    with pytest.raises(BackupError, match="not a zip archive"):
        export.restore_backup(not_zip, target)
    with pytest.raises(BackupError, match="does not exist"):
        export.restore_backup(tmp_path / "missing.zip", target)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(BackupError, match="not a Rehearse backup"):
        export.restore_backup(other, target)
    sneaky = tmp_path / "sneaky.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(sneaky, "w") as out:
        manifest = json.loads(src.read("manifest.json"))
        manifest["files"][0]["path"] = "../../etc/evil"
        out.writestr("manifest.json", json.dumps(manifest))
    with pytest.raises(BackupError, match="unexpected file"):
        export.restore_backup(sneaky, target)
    # The good one still restores into the folder the failures left empty.
    assert export.restore_backup(good, target).counts["answers"] == 9


def run_cli(*args, home):
    return subprocess.run(
        [sys.executable, "-m", "rehearse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        # The caller's time zone too: the report shows local times, compared with this process's.
        env={"PATH": "/usr/bin:/bin", "REHEARSE_HOME": str(home), **{k: v for k, v in os.environ.items() if k == "TZ"}},
    )


def test_cli_export_and_restore(settings, db, tmp_path):
    seeded = seed(db, settings)
    listed = run_cli("export", "--list", home=settings.home)
    assert listed.returncode == 0 and seeded.sessions["old"] in listed.stdout and len(listed.stdout.splitlines()) == 4
    md = run_cli("export", "--session", seeded.sessions["recent"][:10], home=settings.home)
    assert md.returncode == 0, md.stderr

    def without_time(text):
        return [line for line in text.splitlines() if not line.startswith("Exported ")]

    assert without_time(md.stdout) == without_time(export.to_markdown(db, seeded.sessions["recent"]))
    assert LATEST in md.stdout and FIRST_TRY not in md.stdout
    out = tmp_path / "all.csv"
    done = run_cli("export", "--format", "csv", "-o", str(out), home=settings.home)
    assert done.returncode == 0 and out.read_text() == export.to_csv(db)
    assert run_cli("export", "--session", "nope", home=settings.home).returncode == 2

    archive = tmp_path / "b.zip"
    done = run_cli("export", "--format", "backup", "-o", str(archive), home=settings.home)
    assert done.returncode == 0, done.stderr
    assert "4 session(s), 9 answer(s) and 8 file(s)" in done.stderr
    target = tmp_path / "restored"
    done = run_cli("restore", str(archive), "--into", str(target), home=tmp_path / "unused")
    assert done.returncode == 0, done.stderr
    assert table_rows(database.open_database(load_settings({"REHEARSE_HOME": str(target)}))) == table_rows(db)
    assert checksums(target) == checksums(settings.home)
    # Restoring over data is refused with a message that says what to do.
    done = run_cli("restore", str(archive), home=settings.home)
    assert done.returncode == 2 and "not empty" in done.stderr and "REHEARSE_HOME" in done.stderr


def user_made(db, settings):
    """A folder with everything a user makes: practice, a debrief with its recording and questions,
    own questions, settings and an unfinished live recording."""
    import numpy as np

    from rehearse import settings as config
    from rehearse.practice import pipeline
    from rehearse.speech import audio
    from rehearse.store import debriefs

    seed(db, settings)
    d = debriefs.create_debrief(db)
    d = debriefs.set_item(db, d.id, "company", "Initech")
    d = debriefs.set_item(db, d.id, "weak_areas", "Numbers in stories\nConflict")
    tone = (0.2 * np.sin(np.arange(16000 * 2) * 2 * np.pi * 220 / 16000)).astype(np.float32)
    rec = pipeline.save_debrief_recording(db, settings, d.id, "observations", audio.wav_bytes(tone, 16000))
    settings.user_questions_dir.mkdir(exist_ok=True)
    (settings.user_questions_dir / "mine.toml").write_text('title = "Mine"\n')
    config.write_settings_file(settings.settings_file, {"wpm_low": 110})
    (settings.audio_dir / "live").mkdir(exist_ok=True)
    (settings.audio_dir / "live" / "unfinished.pcm").write_bytes(b"\x01\x02" * 800)
    return d, rec


def folder_state(home: Path) -> dict:
    """Every file's bytes (the database by its rows) and every folder, to compare before and after."""
    if not home.exists():
        return {}
    state = {"mode": home.stat().st_mode & 0o7777}
    for p in sorted(home.rglob("*")):
        rel = str(p.relative_to(home))
        if p.name.startswith("rehearse.db"):
            continue
        state[rel] = p.read_bytes() if p.is_file() else "dir"
    if (home / "rehearse.db").exists():
        # Read as it is: open_database would migrate it and make the folder owner-only.
        from sqlite_utils import Database

        state["rows"] = table_rows(Database(home / "rehearse.db"))
        state["tables"] = Database(home / "rehearse.db").table_names()
    return state


def test_backup_holds_debriefs_their_audio_own_questions_and_settings(settings, db, tmp_path):
    d, rec = user_made(db, settings)
    (settings.prompt_cache_dir).mkdir(exist_ok=True)
    (settings.prompt_cache_dir / "cached.wav").write_bytes(b"cache")
    archive = tmp_path / "backup.zip"
    info = export.write_backup(db, settings, archive)
    assert info.counts["debriefs"] == 1 and info.counts["debrief_recordings"] == 1 and not info.missing
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
    assert rec.audio_path in names and rec.audio_path.startswith("audio/debrief-")
    assert {"questions/mine.toml", "settings.toml", "audio/live/unfinished.pcm"} <= names
    assert not any(n.startswith("prompts/") for n in names)

    target = load_settings({"REHEARSE_HOME": str(tmp_path / "restored")})
    export.restore_backup(archive, target)
    again = database.open_database(target)
    assert table_rows(again) == table_rows(db)
    for rel in export.user_files(settings):
        assert (target.home / rel).read_bytes() == (settings.home / rel).read_bytes(), rel
    assert (target.home / rec.audio_path).read_bytes()[:4] == b"fLaC"
    assert load_settings({"REHEARSE_HOME": str(target.home)}).wpm_low == 110

    data = json.loads(export.to_json(again))
    [exported] = data["debriefs"]
    assert exported["id"] == d.id and exported["company"] == "Initech"
    assert exported["weak_areas"] == ["Numbers in stories", "Conflict"]
    assert [r["audio_path"] for r in exported["recordings"]] == [rec.audio_path]


def test_a_folder_holding_only_a_debrief_is_not_empty(settings, db, tmp_path):
    from rehearse.store import debriefs

    d = debriefs.set_item(db, debriefs.create_debrief(db).id, "company", "Initech")
    seeded_folder = tmp_path / "other"
    other = load_settings({"REHEARSE_HOME": str(seeded_folder)})
    seed(database.open_database(other), other)
    archive = tmp_path / "backup.zip"
    export.write_backup(database.open_database(other), other, archive)
    assert export.folder_contents(settings) == ["rehearse.db with 1 debriefs"]
    with pytest.raises(BackupError, match="not empty .*1 debriefs"):
        export.restore_backup(archive, settings)
    assert debriefs.get_debrief(db, d.id).company == "Initech"


@pytest.mark.parametrize("start", ["unused database and cache", "no folder"])
def test_a_failed_restore_leaves_the_folder_exactly_as_it_was(settings, db, tmp_path, start):
    user_made(db, settings)
    good = tmp_path / "good.zip"
    export.write_backup(db, settings, good)
    # The database is checked last: every file has been written when it fails to match.
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as out:
        for n in src.namelist():
            out.writestr(n, src.read(n) + b"garbage" if n == "rehearse.db" else src.read(n))
    target = load_settings({"REHEARSE_HOME": str(tmp_path / "target")})
    if start != "no folder":
        database.open_database(target)
        target.prompt_cache_dir.mkdir()
        (target.prompt_cache_dir / "x.wav").write_bytes(b"cached")
        target.audio_dir.mkdir(exist_ok=True)
        os_mode = 0o750
        target.home.chmod(os_mode)
    before = folder_state(target.home)
    with pytest.raises(BackupError, match="rehearse.db in .* does not match its checksum"):
        export.restore_backup(bad, target)
    assert folder_state(target.home) == before
    assert export.restore_backup(good, target).counts["debriefs"] == 1


def test_markdown_report_shows_user_markdown_as_text(settings, db):
    from seed import add_take, session, step

    evil = "![x](http://127.0.0.1:9/x.png) [link](http://127.0.0.1:9/) <img src=x> www.example.org `code`"
    sid = session(db, "evil", f"Drill {evil}", 1)
    probe = step("evil-q", 1, f"Probe {evil}", f"Question {evil}")
    add_take(
        db,
        settings,
        sid,
        step("evil-q", 0, f"Question {evil}", f"Question {evil}"),
        f"Answer {evil}",
        days_ago=1,
        minute=0,
        stars=3,
        note=f"Note {evil}",
    )
    add_take(db, settings, sid, probe, "Short answer.", days_ago=1, minute=1)
    report = export.to_markdown(db, sid)
    # No image, link, HTML tag, code span or bare URL a Markdown viewer would act on.
    assert "![" not in report.replace("\\!\\[", "") and "](" not in report.replace("\\]\\(", "")
    assert "<img" not in report.replace("\\<img", "") and "http://" not in report and "www." not in report
    assert (
        report.count("\\!\\[x\\]\\(http\u2060://127.0.0.1:9/x.png\\)") == 6
    )  # title twice, question, probe, answer, note


def crafted(good: Path, out: Path, manifest_change=None, members: dict | None = None) -> Path:
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as zf:
        manifest = json.loads(src.read("manifest.json"))
        if manifest_change:
            manifest = manifest_change(manifest)
        zf.writestr("manifest.json", json.dumps(manifest))
        for n in src.namelist():
            if n != "manifest.json":
                zf.writestr(n, (members or {}).get(n, src.read(n)))
    return out


def test_crafted_backups_are_refused_with_a_message_and_restore_nothing(settings, db, tmp_path):
    seed(db, settings)
    good = tmp_path / "good.zip"
    export.write_backup(db, settings, good)
    not_sqlite = b"not a database at all" * 100

    def db_is(data: bytes):
        def change(m):
            m["database"]["sha256"] = hashlib.sha256(data).hexdigest()
            return m

        return change

    cases = {
        "list manifest": (lambda m: [m], None, "manifest.json is not an object"),
        "no files": (lambda m: {k: v for k, v in m.items() if k != "files"}, None, "lacks the files"),
        "entry without checksum": (
            lambda m: {**m, "files": [{"path": m["files"][0]["path"]}]},
            None,
            "lacks the files",
        ),
        "counts as text": (lambda m: {**m, "counts": "lots"}, None, "lacks the files"),
        "file listed twice": (lambda m: {**m, "files": m["files"] + m["files"][:1]}, None, "lists a file twice"),
        "database not sqlite": (db_is(not_sqlite), {"rehearse.db": not_sqlite}, "not a usable Rehearse database"),
    }
    target = load_settings({"REHEARSE_HOME": str(tmp_path / "target")})
    for label, (change, members, message) in cases.items():
        archive = crafted(good, tmp_path / f"{label}.zip", change, members)
        with pytest.raises(BackupError, match=message):
            export.restore_backup(archive, target)
        assert not target.home.exists() or export.folder_contents(target) == [], label
    assert export.restore_backup(good, target).counts["answers"] == 9
