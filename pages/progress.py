"""Progress page: pace, fillers, pauses, length and self-rating over time, and how well the self-ratings match them."""

import streamlit as st

from rehearse import clock
from rehearse.measure import feedback
from rehearse.practice import compare, history, progress
from rehearse.web import ui

KIND_LABELS = {"main": "Main answers", "probes": "Follow-ups", "all": "Both"}
VERDICTS = {"better": "better", "worse": "worse", "steady": "about the same", "": "–"}


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


settings = ui.settings()
st.title("Progress")

db = ui.page_database(settings)

questions = {q.id: q for q in history.question_choices(db)}
left, right = st.columns([3, 2])
question_id = left.selectbox(
    "Question",
    ["", *questions],
    key="progress_question",
    format_func=lambda q: questions[q].label if q else "All questions",
)
kind = right.radio("Answers", list(KIND_LABELS), format_func=KIND_LABELS.get, horizontal=True, key="progress_kind")

items = progress.samples(db, question_id or None, kind)
if not items:
    st.info("No transcribed answers for this choice yet. Record some answers on the Drill page, then come back.")
    st.stop()
st.caption(progress.span_caption(items, clock.today()))

if question_id:
    view = progress.question_view(compare.takes(db, question_id, 0))
    if view is not None:
        st.subheader("This question")
        shown = [("Best take", view.best), ("Latest take", view.latest)]
        if view.best.id == view.latest.id:
            shown = [("Best and latest take", view.best)]
        for column, (title, take) in zip(st.columns(len(shown)), shown):
            key = "progress-" + ("best-take" if title.startswith("Best") else "latest-take")
            with column.container(border=True, key=key):
                st.markdown(f"**{title}** · {ui.plain(compare.take_label(take))}")
                line = feedback.headline(take.metrics)
                if line:
                    st.markdown(ui.headline_markdown(line))
        about = (
            f"take {view.headline_take}'s headline was about this"
            if view.signal != "none"
            else "no take has had anything to fix yet"
        )
        st.markdown(f"**{view.label}, take by take** ({about})")
        ui.points_chart(view.points, "Take", [view.label])

st.subheader("Am I getting better?")
trends = progress.trend(items, settings)
note = progress.trend_note(len(items))
if note:
    st.info(note)
else:
    st.caption(
        "Your first third of answers against your last third. Pace is judged by its distance from the "
        f"{settings.wpm_low:.0f}–{settings.wpm_high:.0f} words/min band, length by its distance from each "
        "question's target."
    )
    st.dataframe(
        [
            {
                "Signal": f"{t.label} ({t.unit})",
                "First answers": one_decimal(t.early),
                "Latest answers": one_decimal(t.recent),
                "Verdict": VERDICTS[t.verdict],
            }
            for t in trends
        ],
        hide_index=True,
        key="progress_trend",
    )

st.subheader("Over time")
charts = [
    ("Pace (words/min)", ["wpm"]),
    ("Filler rate (fillers/min)", ["fillers_per_minute"]),
    ("Pauses (long pauses per answer, longest pause in s)", ["long_pauses", "longest_pause"]),
    ("Answer length (s)", ["duration"]),
    ("Self-rating (stars, rated answers only)", ["stars"]),
]
by_answer = progress.per_answer(items)
if by_answer:
    # One or two days: a daily average is a dot or two, so each answer is a point, oldest first.
    st.caption("Each answer, oldest first. Once you have practised on a few days, these become daily averages.")
else:
    st.caption("Daily averages.")
points = progress.daily(items)
for title, keys in charts:
    st.markdown(f"**{title}**")
    labels = [progress.SIGNAL[k].label for k in keys]
    if by_answer:
        ui.points_chart(progress.answer_columns(items, keys), "Answer", labels)
    else:
        st.line_chart(progress.chart_columns(points, keys), x="day", y=labels, height=220)

st.subheader("Calibration: your rating against the measurements")
calibration = progress.calibration(items, settings)
if not calibration.rated:
    st.info("Rate your answers (the stars under each one) to see whether your ratings match the measurements.")
    st.stop()
st.dataframe(
    [
        {
            "Rating": "★" * r.stars,
            "Answers": r.answers,
            "Pace (words/min)": None if r.wpm is None else feedback.pace(r.wpm),
            "Fillers/min": one_decimal(r.fillers_per_minute),
            "Long pauses": one_decimal(r.long_pauses),
            "In pace band": None if r.in_pace_band is None else f"{r.in_pace_band:.0%}",
            "On target length": None if r.on_target_length is None else f"{r.on_target_length:.0%}",
        }
        for r in calibration.rows
    ],
    hide_index=True,
    key="progress_calibration",
)
for finding in calibration.findings:
    show = {"overrating": st.warning, "agrees": st.success}.get(finding.verdict, st.info)
    show(finding.message)

signal = st.selectbox(
    "Plot your rating against",
    list(progress.BADNESS),
    key="progress_signal",
    format_func=lambda k: progress.BADNESS[k][0],
)
scatter = progress.scatter_columns(items, signal, settings)
x, y = list(scatter)
st.scatter_chart(scatter, x=x, y=y, height=260)

if calibration.overrated:
    st.markdown("**Rated 4–5★ but measured poorly on two or more signals**")
    for sample, found in calibration.overrated[:10]:
        st.markdown(
            f"- {clock.label(sample.created_at)} · {ui.plain(sample.question_text)} · "
            f"{'★' * sample.stars}: {ui.plain('; '.join(found))}"
        )
