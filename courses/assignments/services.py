"""Assignments: authoring them, handing in versions, reviewing, and selecting with a panel."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from courses.assignments import files
from courses.assignments.models import (
    Assignment,
    PanelScore,
    Review,
    Selection,
    Submission,
    SubmissionStatus,
    SubmissionVersion,
    assignment_panel,
)
from courses.cohorts.models import Cohort, CohortMember, cohort_trainers
from courses.completion import update_completion
from courses.models import Course, Enrollment, codes_field
from courses.services import find_enrollment
from lms.accounts.models import Role, User
from lms.audit import record_event
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.mail import site_path
from lms.markdown import render_markdown
from lms.notifications.models import NotificationKind
from lms.notifications.services import notify

MAX_CRITERIA = 10


@dataclass(frozen=True)
class AssignmentDetails:
    titles: dict[str, str]
    instructions: dict[str, str]  # Markdown by language
    deadline: datetime | None
    accepts_text: bool
    file_types: list[str]
    max_file_mb: int
    rubric: list[dict]
    is_required: bool
    is_selection: bool
    panel_ids: list[int]


def parse_rubric(text: str) -> list[dict]:
    """Criteria written one per line as "Criterion | points"."""
    criteria = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, points = line.rpartition("|")
        try:
            value = int(points.strip())
        except ValueError:
            value = 0
        if not sep or not label.strip() or not 1 <= value <= 100:
            raise DomainError(_("Line %(line)s: write a criterion, a bar and its points from 1 to 100, "
                                "for example “Angle | 10”.", line=number), field="rubric")
        criteria.append({"label": label.strip()[:200], "points": value})
    if len(criteria) > MAX_CRITERIA:
        raise DomainError(_("A rubric has at most %(num)s criteria.", num=MAX_CRITERIA), field="rubric")
    return criteria


def rubric_text(rubric: list[dict]) -> str:
    return "\n".join(f"{criterion['label']} | {criterion['points']}" for criterion in rubric)


def _apply(assignment: Assignment, details: AssignmentDetails, actor: User) -> None:
    titles = {code: text.strip() for code, text in details.titles.items() if text and text.strip()}
    if not titles:
        raise DomainError(_("Give the assignment a title."), field="title_fr")
    if not details.accepts_text and not details.file_types:
        raise DomainError(_("Accept a text, a file, or both."), field="file_types")
    if not 1 <= details.max_file_mb <= current_app.config["SUBMISSION_MAX_MB"]:
        raise DomainError(_("Files can be up to %(size)s MB.", size=current_app.config["SUBMISSION_MAX_MB"]),
                          field="max_file_mb")
    assignment.titles = titles
    assignment.instructions = {code: text.strip() for code, text in details.instructions.items() if text.strip()}
    assignment.instructions_html = {code: render_markdown(text) for code, text in assignment.instructions.items()}
    assignment.deadline = details.deadline
    assignment.accepts_text = details.accepts_text
    assignment.file_types = codes_field(code for code in files.FILE_TYPES if code in details.file_types)
    assignment.max_file_mb = details.max_file_mb
    assignment.rubric = details.rubric
    assignment.is_required = details.is_required
    assignment.is_selection = details.is_selection
    db.session.add(assignment)
    db.session.flush()
    if actor.role is Role.ADMIN:
        _appoint_panel(assignment, details.panel_ids if details.is_selection else [])


def _appoint_panel(assignment: Assignment, user_ids: list[int]) -> None:
    """Panel members see every submission of the course: only administrators appoint them."""
    db.session.execute(sa.delete(assignment_panel).where(assignment_panel.c.assignment_id == assignment.id))
    rows = [{"assignment_id": assignment.id, "user_id": user_id} for user_id in db.session.scalars(
        sa.select(User.id).where(User.id.in_(user_ids), User.role.in_([Role.TRAINER, Role.ADMIN]), User.is_active))]
    if rows:
        db.session.execute(sa.insert(assignment_panel), rows)


def create_assignment(course: Course, details: AssignmentDetails, actor: User) -> Assignment:
    assignment = Assignment(course_id=course.id)
    _apply(assignment, details, actor)
    return assignment


def update_assignment(assignment: Assignment, details: AssignmentDetails, actor: User) -> None:
    if assignment.rubric != details.rubric and _scored(assignment):
        raise DomainError(_("Work was already scored with this rubric: its criteria can no longer change."),
                          field="rubric")
    _apply(assignment, details, actor)


def _scored(assignment: Assignment) -> bool:
    submissions = sa.select(Submission.id).where(Submission.assignment_id == assignment.id)
    return db.session.scalar(sa.select(sa.func.count()).where(sa.or_(
        sa.exists().where(Review.submission_id.in_(submissions), Review.total.is_not(None)),
        sa.exists().where(PanelScore.submission_id.in_(submissions))))) > 0


def set_retired(assignment: Assignment, retired: bool) -> None:
    assignment.is_retired = retired


# Learners ----------------------------------------------------------------------------------------

def submission_of(assignment: Assignment, user: User) -> Submission | None:
    return db.session.scalar(sa.select(Submission).where(Submission.assignment_id == assignment.id,
                                                         Submission.user_id == user.id))


def submit(assignment: Assignment, user: User, text: str, upload: tuple[str, bytes] | None) -> SubmissionVersion:
    """Hand in a new version; earlier versions are kept. Until the deadline, and not once accepted."""
    enrollment = find_enrollment(user.id, assignment.course_id)
    if enrollment is None:
        raise DomainError(_("Enrol in the course to hand in this assignment."))
    if not assignment.is_open(utcnow()):
        raise DomainError(_("The deadline has passed: this assignment no longer takes submissions."))
    text = (text or "").strip() if assignment.accepts_text else ""
    checked = None
    if upload is not None and upload[1]:
        if not assignment.file_type_codes:
            raise DomainError(_("This assignment takes a text, not a file."), field="file")
        checked = files.check_file(upload[0], upload[1], assignment.file_type_codes, assignment.max_file_mb)
    if not text and checked is None:
        raise DomainError(_("Write your text or choose a file."), field="text" if assignment.accepts_text else "file")
    # One hand-in of a learner at a time (a double click): the first creates the submission, the
    # second numbers the next version.
    db.session.refresh(enrollment, ["id"], with_for_update=True)
    submission = submission_of(assignment, user)
    if submission is None:
        submission = Submission(assignment_id=assignment.id, user_id=user.id, versions_count=0)
        db.session.add(submission)
        db.session.flush()
    if submission.status is SubmissionStatus.ACCEPTED:
        raise DomainError(_("Your work is already accepted."))
    submission.versions_count += 1
    version = SubmissionVersion(submission_id=submission.id, number=submission.versions_count, text=text)
    if checked is not None:
        version.file_token = files.store(checked)
        version.file_name, version.file_type, version.file_size = checked.name, checked.content_type, len(checked.data)
    submission.status = SubmissionStatus.SUBMITTED
    submission.updated_at = utcnow()
    db.session.add(version)
    db.session.flush()
    return version


def versions(submission: Submission) -> list[SubmissionVersion]:
    return list(db.session.scalars(sa.select(SubmissionVersion).where(SubmissionVersion.submission_id == submission.id)
                                   .order_by(SubmissionVersion.number.desc())))


def reviews(submission: Submission) -> list[tuple[Review, str | None]]:
    return db.session.execute(sa.select(Review, User.full_name).outerjoin(User, User.id == Review.reviewer_id)
                              .where(Review.submission_id == submission.id).order_by(Review.created_at.desc())).all()


# Reviewers ---------------------------------------------------------------------------------------

def on_panel(assignment: Assignment, user) -> bool:
    return assignment.is_selection and db.session.scalar(
        sa.select(sa.func.count()).select_from(assignment_panel).where(
            assignment_panel.c.assignment_id == assignment.id, assignment_panel.c.user_id == user.id)) > 0


def panel_ids(assignment: Assignment) -> list[int]:
    return list(db.session.scalars(sa.select(assignment_panel.c.user_id).where(
        assignment_panel.c.assignment_id == assignment.id)))


def panel_names(assignment: Assignment) -> list[str]:
    return list(db.session.scalars(sa.select(User.full_name).join(assignment_panel, assignment_panel.c.user_id == User.id)
                                   .where(assignment_panel.c.assignment_id == assignment.id).order_by(User.full_name)))


def learners_of(assignment: Assignment, user) -> sa.ColumnElement[bool] | None:
    """Which submissions ``user`` may see: a condition on Submission.user_id, or None for none at all.

    Administrators and a selection's panel see them all; a trainer sees the learners of the
    cohorts of this course they train.
    """
    if not user.is_authenticated or not user.is_active or user.role not in (Role.TRAINER, Role.ADMIN):
        return None
    if user.role is Role.ADMIN or on_panel(assignment, user):
        return sa.true()
    trained = (sa.select(CohortMember.user_id).join(Cohort, Cohort.id == CohortMember.cohort_id)
               .join(cohort_trainers, cohort_trainers.c.cohort_id == Cohort.id)
               .where(Cohort.course_id == assignment.course_id, cohort_trainers.c.user_id == user.id,
                      CohortMember.user_id.is_not(None)))
    return Submission.user_id.in_(trained)


def can_review(submission: Submission, assignment: Assignment, user) -> bool:
    condition = learners_of(assignment, user)
    return condition is not None and db.session.scalar(
        sa.select(sa.func.count(Submission.id)).where(Submission.id == submission.id, condition)) > 0


def _check_scores(assignment: Assignment, scores: list[int | None]) -> tuple[list[int], float | None]:
    if not assignment.rubric:
        return [], None
    if len(scores) != len(assignment.rubric) or any(score is None for score in scores):
        raise DomainError(_("Give a score for each criterion."), field="scores")
    for score, criterion in zip(scores, assignment.rubric, strict=True):
        if not 0 <= score <= criterion["points"]:
            raise DomainError(_("“%(criterion)s” is scored from 0 to %(points)s.", criterion=criterion["label"],
                                points=criterion["points"]), field="scores")
    return list(scores), float(sum(scores))


def review(submission: Submission, reviewer: User, comment: str, scores: list[int | None],
           status: SubmissionStatus) -> Review:
    """Record feedback on the latest version, set the status, and tell the learner."""
    assignment = db.session.get(Assignment, submission.assignment_id)
    checked, total = _check_scores(assignment, scores) if any(s is not None for s in scores) else ([], None)
    if not comment.strip() and total is None and status is submission.status:
        raise DomainError(_("Write a comment, give scores or change the status."), field="comment")
    if status is SubmissionStatus.NEEDS_REVISION and not comment.strip():
        raise DomainError(_("Say what to revise."), field="comment")
    entry = Review(submission_id=submission.id, reviewer_id=reviewer.id, version_number=submission.versions_count,
                   comment=comment.strip(), scores=checked, total=total, status=status)
    db.session.add(entry)
    submission.status = status
    db.session.flush()
    learner = db.session.get(User, submission.user_id)
    notify(learner, NotificationKind.ASSIGNMENT_FEEDBACK, site_path("assignments.show", assignment_id=assignment.id),
           titles=assignment.titles, status=status.value)
    if status is SubmissionStatus.ACCEPTED and assignment.is_required:
        enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.user_id == learner.id,
                                                                   Enrollment.course_id == assignment.course_id))
        if enrollment is not None:
            update_completion(enrollment)
    return entry


# Selection panel --------------------------------------------------------------------------------

def _check_selection_open(assignment: Assignment) -> None:
    if assignment.outcome_announced_at is not None:
        raise DomainError(_("The outcome is announced: the selection is closed."))


def score(submission: Submission, reviewer: User, scores: list[int | None], comment: str) -> PanelScore:
    """A panel member's own score of a submission; they may change it until the outcome is announced."""
    assignment = db.session.get(Assignment, submission.assignment_id)
    if not on_panel(assignment, reviewer):
        raise DomainError(_("Only the selection panel scores submissions."))
    _check_selection_open(assignment)
    if not assignment.rubric:
        raise DomainError(_("This assignment has no rubric to score with."))
    checked, total = _check_scores(assignment, scores)
    db.session.refresh(submission, ["id"], with_for_update=True)  # one score per member, even on a double click
    entry = db.session.scalar(sa.select(PanelScore).where(PanelScore.submission_id == submission.id,
                                                          PanelScore.reviewer_id == reviewer.id))
    if entry is None:
        entry = PanelScore(submission_id=submission.id, reviewer_id=reviewer.id)
        db.session.add(entry)
    entry.scores, entry.total, entry.comment, entry.created_at = checked, total, comment.strip(), utcnow()
    db.session.flush()
    return entry


def mark(submission: Submission, selection: Selection | None, actor: User) -> None:
    assignment = db.session.get(Assignment, submission.assignment_id)
    if not (on_panel(assignment, actor) or actor.role is Role.ADMIN):
        raise DomainError(_("Only the selection panel marks the shortlist and the selected."))
    _check_selection_open(assignment)
    submission.selection = selection
    record_event("selection_marked", actor=actor, target=db.session.get(User, submission.user_id),
                 assignment=assignment.id, selection=selection.value if selection else "")


def announce(assignment: Assignment, actor: User) -> int:
    """Tell every applicant the outcome (selected or not), once; returns how many were told."""
    if not (on_panel(assignment, actor) or actor.role is Role.ADMIN):
        raise DomainError(_("Only the selection panel announces the outcome."))
    db.session.refresh(assignment, ["outcome_announced_at"], with_for_update=True)  # applicants are told once
    _check_selection_open(assignment)
    rows = db.session.execute(sa.select(Submission, User).join(User, User.id == Submission.user_id)
                              .where(Submission.assignment_id == assignment.id)).all()
    if not any(submission.selection is Selection.SELECTED for submission, _user in rows):
        raise DomainError(_("Mark at least one submission as selected before announcing the outcome."))
    assignment.outcome_announced_at = utcnow()
    link = site_path("assignments.show", assignment_id=assignment.id)
    for submission, user in rows:
        notify(user, NotificationKind.SELECTION_OUTCOME, link, titles=assignment.titles,
               selected=submission.selection is Selection.SELECTED)
    record_event("selection_announced", actor=actor, assignment=assignment.id, applicants=len(rows))
    return len(rows)
