"""A data folder made by an earlier release opens and upgrades unchanged.

data/rehearse-e278a07.db was written by main at e278a07 (the last flat-layout release) with the
test seed, one debrief and its link to a session.
"""

import shutil
from pathlib import Path

from rehearse.practice import history
from rehearse.settings import Settings
from rehearse.store import database, debriefs
from rehearse.store.migrations import migrations

OLD = Path(__file__).parent / "data" / "rehearse-e278a07.db"
OLD_MIGRATIONS = {"m001_initial", "m_issue4_fts", "m_issue5_debriefs"}


def test_database_from_e278a07_upgrades_and_keeps_everything(tmp_path):
    settings = Settings(home=tmp_path / "home")
    settings.home.mkdir(mode=0o700)
    shutil.copy(OLD, settings.db_path)
    db = database.open_database(settings)
    applied = {r[0] for r in db.execute("select name from _sqlite_migrations").fetchall()}
    assert OLD_MIGRATIONS <= applied
    assert applied == {m.name for m in migrations._migrations}  # every later migration ran too
    counts = {t: db[t].count for t in ("sessions", "answers", "ratings", "debriefs", "debrief_sessions")}
    assert counts == {"sessions": 4, "answers": 9, "ratings": 7, "debriefs": 1, "debrief_sessions": 1}
    sessions = database.list_sessions(db)
    answers = [a for s in sessions for a in database.session_answers(db, s.id)]
    assert len(answers) == 9 and all(a.created_at for a in answers)
    assert sum(a.stars is not None for a in answers) == 7
    (debrief,) = debriefs.list_debriefs(db)
    assert debrief.company == "Northwind Payments"
    # Full-text search still reads the old rows through the triggers' tables.
    word = next(a.transcript.split()[0] for a in answers if a.transcript)
    assert history.search(db, history.Filters(text=word), {}).total >= 1
