"""A drill run's state in the sessions table: its plan, the step it is on, the drill it runs.

The plan and the drill arrive as plain JSON-ready values (practice/run.py turns Steps and Drills
into them and back); this module only reads and writes the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from rehearse.store.database import get_session, new_id, now, query, transaction


@dataclass(frozen=True)
class StoredRun:
    """A session still in progress that can be continued: status active, plan and position stored."""

    session_id: str
    drill: dict
    plan: tuple[dict, ...]
    position: int
    started_at: str


def create_run(
    db: Database, drill: dict, plan: Iterable[dict], position: int, source: str = "app", session_id: str | None = None
) -> str:
    """A new active session for a run, with its plan and the step it is on."""
    sid = session_id or new_id()
    with transaction(db):
        db["sessions"].insert(
            {
                "id": sid,
                "drill_id": drill["id"],
                "drill_title": drill["title"],
                "source": source,
                "status": "active",
                "plan": json.dumps(list(plan)),
                "position": position,
                "drill": json.dumps(drill),
                "started_at": now(),
                "ended_at": None,
            }
        )
    return sid


def save_position(db: Database, session_id: str, plan: Iterable[dict], position: int) -> None:
    """The run's plan (it can change after an answer) and the step it is on now."""
    get_session(db, session_id)
    with transaction(db):
        db["sessions"].update(session_id, {"plan": json.dumps(list(plan)), "position": position})


def unfinished_runs(db: Database, source: str = "app") -> list[StoredRun]:
    """Active sessions from `source` with a stored step inside their plan, newest first."""
    rows = query(
        db,
        "select id, drill, plan, position, started_at from sessions where status = 'active' and source = ? "
        "and position is not null and drill is not null and plan is not null order by started_at desc, rowid desc",
        [source],
    )
    runs = []
    for row in rows:
        plan = tuple(json.loads(row["plan"]))
        if 0 <= row["position"] < len(plan):
            runs.append(StoredRun(row["id"], json.loads(row["drill"]), plan, row["position"], row["started_at"]))
    return runs
