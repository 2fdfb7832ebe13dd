"""A filled-in debrief shared by the debrief, letter and page tests."""

from datetime import date

from rehearse.debrief.checklist import Debrief, Person

TODAY = date(2024, 5, 8)  # a Wednesday, the day after the interview

FULL = Debrief(
    id="d" * 32,
    company="Acme Robotics",
    role="Staff Engineer",
    stage="final round",
    interview_date="2024-05-07",
    format="video panel",
    expected_style="A friendly values chat with the team.",
    actual_style="A rapid-fire technical interrogation.",
    people=(
        Person("Dana Smith", "engineering manager", ("no Kubernetes experience", "team size I have led")),
        Person("Sam Lee", "staff engineer", ("on-call load",)),
    ),
    questions_asked=(
        "Dana: Tell me about a time you missed a deadline",
        "How would you scale the fleet telemetry pipeline?",
    ),
    observations="The team is stretched thin after a reorg.",
    my_questions=("What does success look like in six months?",),
    weak_areas=("Quantifying the impact of my failure story",),
    strong_areas=("Telemetry pipeline design at scale", "Leading on-call rotations for large teams"),
    assessment="Solid, but I rambled on the failure story.",
    out_of_control="They had an internal candidate.",
    mistakes="I did not give numbers for the missed deadline.",
    lessons="Lead with the result, then the story.",
    takeaways=("Prepare two failure stories with numbers",),
)
