"""The life-science article's CRM self-assessment: four questions from 1 to 7 and the regular reports run."""

from __future__ import annotations

from sqlmodel import Session

from salescrm.errors import InvalidValue

SURVEY_QUESTIONS = (
    ("capture", "how completely do we capture the information we need in order to manage the sales process effectively?"),
    ("qualifying_defined", "how clearly defined is the process for qualifying new life science leads?"),
    ("qualifying_understood", "how well is the process for qualifying new leads understood by our entire business development team?"),
    ("clean_data", "how clean is our database (lack of duplicate records, all information is accurate)?"),
)
# "On which of the following topics do we run regular reports out of our CRM?" (one point each)
SURVEY_REPORTS = (
    ("cycle", "Sales cycle report, showing the length of our sales cycle"),
    ("pipeline", "Pipeline report, showing how our leads are progressing through the buying cycle"),
    ("forecast", "Sales forecast report, projecting future revenue"),
    ("conversion", "Sales conversion reports: what percentage of leads convert into a closed deal"),
    ("next-steps", "Pipeline next steps, showing the next steps for each open opportunity"),
)
# "If your score is lower than 25, then you need to consider remedial action. If your score is below 18,
# then you're past the point of 'considering' a solution; you need to take action."
CONSIDER_BELOW = 25
ACT_BELOW = 18


def parse_scores(text: str) -> list[int]:
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != len(SURVEY_QUESTIONS) or not all(p in "1234567" and len(p) == 1 for p in parts):
        raise InvalidValue(f"--scores '{text}': give the four answers from 1 to 7, separated by commas, e.g. 5,6,4,7.")
    return [int(p) for p in parts]


def parse_reports(text: str) -> list[str]:
    """`cycle,pipeline` or `none`."""
    known = [r for r, _ in SURVEY_REPORTS]
    parts = [p.strip().lower() for p in str(text).split(",") if p.strip()]
    if parts == ["none"]:
        return []
    unknown = [p for p in parts if p not in known]
    if unknown or not parts:
        raise InvalidValue(f"--reports '{text}': give the reports the team runs from {', '.join(known)}, "
                           "separated by commas, or none.")
    return [r for r in known if r in parts]


def verdict(score: int) -> str:
    if score < ACT_BELOW:
        return "act now: below 18, you are past the point of considering a solution"
    if score < CONSIDER_BELOW:
        return "consider remedial action: below 25"
    return "good: 25 or more"


def record_survey(session: Session, scores: list[int], reports: list[str]):
    from salescrm.store.actors import actor_of
    from salescrm.store.models import SurveyAnswer

    score = sum(scores) + len(reports)
    answer = SurveyAnswer(taken_by=actor_of(session), capture=scores[0], qualifying_defined=scores[1],
                          qualifying_understood=scores[2], clean_data=scores[3], reports=",".join(reports), score=score)
    session.add(answer)
    session.flush()
    return answer


def survey_object(answer) -> dict:
    from salescrm.store.columns import iso

    return {"id": answer.id, "at": iso(answer.taken_at), "by": answer.taken_by,
            "scores": {q: getattr(answer, q) for q, _ in SURVEY_QUESTIONS},
            "reports": [r for r in answer.reports.split(",") if r], "score": answer.score, "verdict": verdict(answer.score)}


def survey_history(session: Session) -> list[dict]:
    from sqlmodel import select

    from salescrm.store.models import SurveyAnswer

    return [survey_object(a) for a in session.exec(select(SurveyAnswer).order_by(SurveyAnswer.taken_at, SurveyAnswer.id)).all()]
