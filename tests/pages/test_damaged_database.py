"""A damaged rehearse.db gets a page that says so and keeps the file, then sets it aside on request:
to start fresh, or with its files, to restore a backup. No traceback reaches the page."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from apptest_kit import APP, button
from seed import seed
from streamlit.testing.v1 import AppTest

from rehearse.settings import load_settings
from rehearse.store import database, export

GARBAGE = b"This is not a SQLite database, it was overwritten by something else.\n" * 200


def damage(settings) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):  # what SQLite could still read the pages from
        settings.db_path.with_name(settings.db_path.name + suffix).unlink(missing_ok=True)
    settings.db_path.write_bytes(GARBAGE)


def test_a_damaged_database_gets_a_page_that_says_so_and_keeps_the_file(app_env):
    damage(app_env)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert any("is damaged (file is not a database)" in e.value for e in at.error), [e.value for e in at.error]
    assert app_env.db_path.read_bytes() == GARBAGE  # nothing written over it
    button(at, "Set it aside and start fresh").click()
    at.run()
    assert not at.exception, at.exception
    [aside] = app_env.home.glob("rehearse.db.damaged-*")
    assert aside.read_bytes() == GARBAGE
    assert any("kept as" in s.value for s in at.success)
    assert at.selectbox(key="drill_choice")  # the drill page works on a new, empty database
    assert database.list_sessions(database.open_database(app_env)) == []


def test_setting_everything_aside_leaves_the_folder_ready_for_a_restore(app_env, tmp_path):
    other = load_settings({"REHEARSE_HOME": str(tmp_path / "other")})
    seed(database.open_database(other), other)
    data, info = export.backup_to_bytes(database.open_database(other), other)
    mine = database.open_database(app_env)
    seed(mine, app_env)  # recordings of its own, then the database is lost
    mine.close()
    damage(app_env)
    at = AppTest.from_file(APP, default_timeout=60).run()
    button(at, "Set it aside to restore a backup").click()
    at.run()
    assert not at.exception, at.exception
    assert export.folder_contents(app_env) == []
    [kept] = app_env.home.glob("set-aside-*")
    assert any((kept / "audio").iterdir())

    assert export.restore_backup(io.BytesIO(data), app_env).counts == info.counts


def test_a_bug_shows_no_traceback_in_the_browser(tmp_path):
    """The shipped config hides exception details (source paths, "Ask Google") from the page."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(config.get_option('client.showErrorDetails'))",
        ],
        cwd=Path(APP).parent,
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        timeout=60,
    )
    assert done.stdout.split()[-1] == "none", done.stderr
