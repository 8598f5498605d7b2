"""A course's required assignments must be accepted before it is complete."""

import sqlalchemy as sa

from courses.assignments.models import Assignment, Submission, SubmissionStatus
from courses.completion import requirement
from lms.extensions import db


@requirement("accepted_assignments")
def required_assignments_accepted(user_id: int, course_id: int) -> bool:
    accepted = sa.select(Submission.id).where(Submission.assignment_id == Assignment.id, Submission.user_id == user_id,
                                              Submission.status == SubmissionStatus.ACCEPTED)
    missing = db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(
        Assignment.course_id == course_id, Assignment.is_required, sa.not_(Assignment.is_retired), ~accepted.exists()))
    return missing == 0
