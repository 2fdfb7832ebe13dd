"""The debrief's columns and the Debrief dataclass are one definition: the storage mapping is derived
from the dataclass's fields, and the table made by the migrations has exactly those columns."""

from dataclasses import fields, replace

from rehearse.debrief import checklist
from rehearse.debrief.checklist import Debrief, Person
from rehearse.store import debriefs


def test_the_table_has_a_column_for_every_field(db):
    columns = {c.name for c in db["debriefs"].columns}
    # status is derived from the checklist when saving, so it is a column but not a field.
    assert columns == {*debriefs.COLUMNS, "status"}
    assert "people" not in debriefs.COLUMNS and {c.name for c in db["debrief_people"].columns} >= {"name", "role"}


def test_list_fields_are_the_checklists_line_items():
    assert set(debriefs.LIST_FIELDS) == {i.name for i in checklist.ITEMS if i.kind == "lines"}
    assert "questions_asked" in debriefs.LIST_FIELDS and "company" not in debriefs.LIST_FIELDS


def test_every_field_survives_a_round_trip(db):
    d = debriefs.create_debrief(db)
    filled = {}
    for f in fields(Debrief):
        if f.name in ("id", "created_at", "updated_at"):
            continue
        if f.name == "people":
            filled[f.name] = (Person("Ana", "Engineering manager", ("scale", "on-call")),)
        elif f.name in debriefs.LIST_FIELDS:
            filled[f.name] = (f"{f.name} one", f"{f.name} two")
        else:
            filled[f.name] = f"{f.name} text"
    filled["interview_date"] = "2026-03-03"
    saved = debriefs.save_debrief(db, replace(d, **filled))
    again = debriefs.get_debrief(db, d.id)
    assert again == saved
    assert all(getattr(again, name) == value for name, value in filled.items())
