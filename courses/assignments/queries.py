"""Reading assignments: a course's list with the learner's status, reviewers' tables and the ranking."""

from dataclasses import dataclass

import sqlalchemy as sa

from courses.assignments.models import (
    Assignment,
    PanelScore,
    Selection,
    Submission,
    SubmissionStatus,
)
from lms.accounts.models import User
from lms.extensions import db


def course_assignments(course_id: int, user_id: int | None = None, include_retired: bool = False
                       ) -> list[tuple[Assignment, SubmissionStatus | None]]:
    """The course's assignments, each with the user's submission status (one query)."""
    query = (sa.select(Assignment, Submission.status)
             .outerjoin(Submission, sa.and_(Submission.assignment_id == Assignment.id,
                                            Submission.user_id == (user_id or 0)))
             .where(Assignment.course_id == course_id).order_by(Assignment.deadline.is_(None), Assignment.deadline,
                                                                Assignment.id))
    if not include_retired:
        query = query.where(sa.not_(Assignment.is_retired))
    return db.session.execute(query).all()


@dataclass(frozen=True)
class SubmissionRow:
    submission: Submission
    name: str
    email: str
    my_score: float | None
    average: float | None  # the panel's average, shown to a panel member once they gave their own score
    scores: int

    @property
    def average_visible(self) -> float | None:
        return self.average if self.my_score is not None else None


def submissions(assignment: Assignment, visible, reviewer_id: int) -> list[SubmissionRow]:
    """The submissions ``visible`` (a condition) allows, with panel figures; best average first (one query)."""
    mine = (sa.select(PanelScore.total).where(PanelScore.submission_id == Submission.id,
                                             PanelScore.reviewer_id == reviewer_id)
            .correlate(Submission).scalar_subquery())
    average = (sa.select(sa.func.avg(PanelScore.total)).where(PanelScore.submission_id == Submission.id)
               .correlate(Submission).scalar_subquery())
    count = (sa.select(sa.func.count(PanelScore.id)).where(PanelScore.submission_id == Submission.id)
             .correlate(Submission).scalar_subquery())
    rows = db.session.execute(
        sa.select(Submission, User.full_name, User.email, mine, average, count)
        .join(User, User.id == Submission.user_id)
        .where(Submission.assignment_id == assignment.id, visible)
        .order_by(User.full_name)).all()
    result = [SubmissionRow(submission, name, email, my, round(avg, 2) if avg is not None else None, n)
              for submission, name, email, my, avg, n in rows]
    if assignment.is_selection:
        result.sort(key=lambda row: (row.submission.selection is not Selection.SELECTED,
                                     row.submission.selection is not Selection.SHORTLISTED,
                                     -(row.average_visible or -1)))
    return result


def panel_scores(submission: Submission) -> list[tuple[PanelScore, str]]:
    return db.session.execute(sa.select(PanelScore, User.full_name).join(User, User.id == PanelScore.reviewer_id)
                              .where(PanelScore.submission_id == submission.id).order_by(User.full_name)).all()


def statuses_for(course_id: int, user_ids) -> dict[tuple[int, int], SubmissionStatus]:
    """Each (user, assignment) status in a course, for a cohort's progress matrix (one query)."""
    if not user_ids:
        return {}
    return {(user_id, assignment_id): status for user_id, assignment_id, status in db.session.execute(
        sa.select(Submission.user_id, Submission.assignment_id, Submission.status)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Assignment.course_id == course_id, Submission.user_id.in_(user_ids)))}
