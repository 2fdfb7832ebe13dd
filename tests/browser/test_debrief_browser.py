"""A real server and Chromium: what is typed into a debrief is saved when the field is left, and a
reload of the page comes back to the same draft with it filled in."""

import pytest
from playwright.sync_api import expect

from rehearse.store import database, debriefs

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_typed_debrief_survives_a_reload(app, tab, settings_of):
    app.start()
    page = tab(app)
    page.open_page("Debrief", shot="opened")
    page.click("New debrief")
    company = page.page.get_by_label("Company", exact=True)
    company.fill("Acme Robotics")
    company.press("Tab")  # leaving the field saves it
    page.wait_idle()
    expect(page.page.get_by_text("17 checklist item(s) still to fill in")).to_be_visible(timeout=20000)
    assert "debrief=" in page.page.url
    page.shot("typed")

    page.page.reload()
    page.wait_idle()
    expect(page.page.get_by_label("Company", exact=True)).to_have_value("Acme Robotics", timeout=20000)
    expect(page.page.get_by_text("17 checklist item(s) still to fill in")).to_be_visible()
    page.shot("reloaded")
    [d] = debriefs.list_debriefs(database.open_database(settings_of(app)))
    assert d.company == "Acme Robotics"
    assert page.outbound_requests() == [] and app.outbound() == []
