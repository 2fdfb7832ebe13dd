"""Progress series, trend, calibration and the take comparison, over real stored answers and hand-made samples."""

from datetime import date, timedelta

import pytest
from seed import FIRST_TRY, INTRO, LATEST, LEAD, SECOND_TRY, seed

from rehearse.practice import compare, progress
from rehearse.practice.progress import Sample

D = date(2025, 1, 1)


def sample(
    i: int,
    stars: int | None,
    *,
    wpm: float = 145,
    fillers: float = 1.0,
    pauses: int = 0,
    duration: float = 90,
    target=(60.0, 120.0),
) -> Sample:
    return Sample(
        f"a{i}",
        "q",
        "Q",
        0,
        f"2025-01-{i % 28 + 1:02d}T12:00:00+00:00",
        D + timedelta(days=i),
        stars,
        duration,
        int(wpm * duration / 60),
        wpm,
        fillers,
        pauses,
        1.0,
        target[0],
        target[1],
        "ok",
    )


def test_samples_daily_and_chart_columns(settings, db):
    seed(db, settings)
    mains = progress.samples(db)
    assert len(mains) == 6 and all(s.probe_index == 0 for s in mains)
    assert [s.created_at for s in mains] == sorted(s.created_at for s in mains)
    assert len(progress.samples(db, kind="probes")) == 2 and len(progress.samples(db, kind="all")) == 8
    lead = progress.samples(db, LEAD)
    assert [s.stars for s in lead] == [2, 3, 5]
    with pytest.raises(ValueError):
        progress.samples(db, kind="everything")

    points = progress.daily(lead)
    assert [p.answers for p in points] == [2, 1]
    assert points[0].values["stars"] == 2.5 and points[1].values["stars"] == 5
    assert points[0].values["wpm"] == pytest.approx((lead[0].wpm + lead[1].wpm) / 2, abs=0.01)
    # The first try has fillers ("um", "uh", "basically", "kind of"); the latest has none.
    assert lead[0].fillers_per_minute > 0 and lead[2].fillers_per_minute == 0
    cols = progress.chart_columns(points, ["wpm", "stars"])
    assert list(cols) == ["day", "Pace", "Self-rating"] and len(cols["day"]) == 2
    unrated = progress.daily(progress.samples(db, "lead-hard-feedback"))
    assert unrated[0].values["stars"] is None


def test_trend_judges_distance_from_band_and_target(settings):
    early = [sample(i, 2, wpm=190, fillers=5, pauses=3, duration=150) for i in range(3)]
    middle = [sample(i + 3, 3) for i in range(3)]
    recent = [sample(i + 6, 4, wpm=150, fillers=1, pauses=0, duration=100) for i in range(3)]
    verdicts = {t.key: t.verdict for t in progress.trend(early + middle + recent, settings)}
    assert verdicts == {
        "wpm": "better",
        "fillers_per_minute": "better",
        "long_pauses": "better",
        "longest_pause": "steady",
        "duration": "better",
        "word_count": "",
        "stars": "better",
    }
    # Slowing from 150 to 110 words/min is a lower number but leaves the band: worse.
    slower = [sample(i, 3, wpm=150) for i in range(3)] + [sample(i + 3, 3, wpm=110) for i in range(3)]
    assert {t.key: t.verdict for t in progress.trend(slower, settings)}["wpm"] == "worse"
    assert all(t.verdict == "" for t in progress.trend(early[:5], settings))  # too few to compare thirds


def test_calibration_flags_rating_higher_answers_that_measure_worse(settings):
    # High ratings on filler-heavy, too-fast answers; low ratings on clean ones.
    items = (
        [sample(i, 5, wpm=185, fillers=6, pauses=2) for i in range(4)]
        + [sample(i + 4, 1, wpm=145, fillers=0.5) for i in range(4)]
        + [sample(8, None, fillers=9)]
    )
    cal = progress.calibration(items, settings)
    assert cal.rated == 8
    verdicts = {f.key: f.verdict for f in cal.findings}
    assert verdicts == {"pace": "overrating", "fillers": "overrating", "pauses": "overrating", "length": "unclear"}
    fillers = next(f for f in cal.findings if f.key == "fillers")
    assert fillers.high_mean == 6 and fillers.low_mean == 0.5 and fillers.correlation == 1.0
    assert "rate yourself higher on answers that measure worse" in fillers.message
    five = cal.rows[4]
    assert (five.stars, five.answers, five.in_pace_band) == (5, 4, 0.0)
    assert len(cal.overrated) == 4 and "6.0 fillers/min" in cal.overrated[0][1]

    # Ratings that follow the measurements agree; too few rated answers say so.
    honest = [sample(i, 5, fillers=0.2) for i in range(3)] + [sample(i + 3, 2, fillers=5) for i in range(3)]
    assert {f.key: f.verdict for f in progress.calibration(honest, settings).findings}["fillers"] == "agrees"
    few = progress.calibration(honest[:4], settings)
    assert all(f.verdict == "too-few" for f in few.findings) and "have 3 and 1" in few.findings[0].message
    scatter = progress.scatter_columns(items, "fillers", settings)
    assert scatter == {"Self-rating (stars)": [5] * 4 + [1] * 4, "Filler rate (fillers/min)": [6.0] * 4 + [0.5] * 4}


def test_spearman():
    assert progress.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert progress.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert progress.spearman([1, 1, 1], [1, 2, 3]) is None
    assert progress.spearman([1, 2], [1, 2]) is None


def test_takes_newest_first_across_sessions_and_word_diff(settings, db):
    seeded = seed(db, settings)
    parts = compare.parts(db, LEAD)
    assert [(p.probe_index, p.takes) for p in parts] == [(0, 3), (1, 2)]
    takes = compare.takes(db, LEAD, 0)
    assert [t.transcript for t in takes] == [LATEST, SECOND_TRY, FIRST_TRY]
    assert {t.session_id for t in takes} == {seeded.sessions["old"], seeded.sessions["recent"]}
    assert compare.take_label(takes[0]).endswith("★★★★★") and "take 1" in compare.take_label(takes[0])
    assert compare.parts(db, INTRO) == [compare.Part(0, "Tell me about yourself.", 1)]

    diff = compare.word_diff(FIRST_TRY, SECOND_TRY)
    removed = " ".join(p.text for p in diff.pieces if p.kind == "removed")
    added = " ".join(p.text for p in diff.pieces if p.kind == "added")
    assert "Um" in removed and "basically" in removed and "four teams" in added and "numbers" in added
    # The pieces rebuild both texts exactly.
    assert " ".join(p.text for p in diff.pieces if p.kind != "removed") == SECOND_TRY
    assert diff.same + diff.removed == len(FIRST_TRY.split()) and diff.same + diff.added == len(SECOND_TRY.split())
    assert 0.4 < diff.similarity < 0.9

    same = compare.word_diff("We shipped it, on time.", "we shipped it on time")
    assert (same.removed, same.added, same.similarity) == (0, 0, 1.0)  # case and punctuation are not differences
    assert compare.word_diff("", "").similarity == 1.0
