"""Question banks, quizzes, attempts and their answers."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class QuizKind(LabelledEnum):
    PRE_TEST = "pre_test"
    POST_TEST = "post_test"
    GRADED = "graded"
    PRACTICE = "practice"

    @classmethod
    def _labels(cls):
        return {cls.PRE_TEST: _l("Pre-test"), cls.POST_TEST: _l("Post-test"), cls.GRADED: _l("Graded quiz"),
                cls.PRACTICE: _l("Practice quiz")}


class GradingMethod(LabelledEnum):
    HIGHEST = "highest"
    LAST = "last"
    FIRST = "first"

    @classmethod
    def _labels(cls):
        return {cls.HIGHEST: _l("Highest attempt"), cls.LAST: _l("Last attempt"), cls.FIRST: _l("First attempt")}


class ReviewPolicy(LabelledEnum):
    IMMEDIATELY = "immediately"
    AFTER_PASSING = "after_passing"
    AFTER_LAST_ATTEMPT = "after_last_attempt"
    NEVER = "never"

    @classmethod
    def _labels(cls):
        return {cls.IMMEDIATELY: _l("Right after each attempt"), cls.AFTER_PASSING: _l("Once the quiz is passed"),
                cls.AFTER_LAST_ATTEMPT: _l("After the last allowed attempt"), cls.NEVER: _l("Never")}


class AttemptState(LabelledEnum):
    IN_PROGRESS = "in_progress"
    GRADED = "graded"

    @classmethod
    def _labels(cls):
        return {cls.IN_PROGRESS: _l("In progress"), cls.GRADED: _l("Graded")}


class QuestionCategory(db.Model):
    __tablename__ = "question_categories"
    __table_args__ = (sa.UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(80))
    titles: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (sa.UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("question_categories.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(80))
    type: Mapped[str] = mapped_column(sa.String(20))
    mark: Mapped[float] = mapped_column(sa.Float, default=1.0)
    # Grading data (correct options, accepted answers, tolerance…): never sent to a browser before review.
    config: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Per language: stem, stem_html, feedback_html, options {id: text}, option_feedback {id: text}, prompts, matches.
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    is_retired: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[QuestionCategory] = relationship(lazy="raise")


class Quiz(db.Model):
    __tablename__ = "quizzes"
    __table_args__ = (sa.UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("modules.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[QuizKind] = mapped_column(enum_column(QuizKind, 16))
    titles: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    pass_mark: Mapped[float] = mapped_column(sa.Float, default=0)  # percent
    attempts_allowed: Mapped[int] = mapped_column(default=1)  # 0: unlimited
    grading_method: Mapped[GradingMethod] = mapped_column(enum_column(GradingMethod, 16),
                                                          default=GradingMethod.HIGHEST)
    time_limit_minutes: Mapped[int | None] = mapped_column()
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    review_policy: Mapped[ReviewPolicy] = mapped_column(enum_column(ReviewPolicy, 24),
                                                        default=ReviewPolicy.AFTER_LAST_ATTEMPT)
    is_retired: Mapped[bool] = mapped_column(default=False)

    draws: Mapped[list["QuizDraw"]] = relationship(cascade="all, delete-orphan", lazy="raise")
    fixed_questions: Mapped[list["QuizQuestion"]] = relationship(cascade="all, delete-orphan", lazy="raise",
                                                                 order_by="QuizQuestion.position")


class QuizDraw(db.Model):
    """Draw ``count`` random questions of a category into each attempt."""

    __tablename__ = "quiz_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("question_categories.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(default=1)


class QuizQuestion(db.Model):
    """A question every attempt of the quiz includes."""

    __tablename__ = "quiz_questions"

    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    state: Mapped[AttemptState] = mapped_column(enum_column(AttemptState, 16), default=AttemptState.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Frozen at start: [{"question_id": 3, "order": ["b", "a", "c"]}, …] in the order shown.
    layout: Mapped[list] = mapped_column(sa.JSON, default=list)
    language: Mapped[str] = mapped_column(sa.String(5), default="fr")
    score: Mapped[float | None] = mapped_column(sa.Float)  # percent
    passed: Mapped[bool | None] = mapped_column()


class AttemptAnswer(db.Model):
    __tablename__ = "attempt_answers"

    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    response: Mapped[object | None] = mapped_column(sa.JSON)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fraction: Mapped[float | None] = mapped_column(sa.Float)  # 0..1 once graded


class QuizOverride(db.Model):
    """Extra attempts or extra time a trainer granted one learner."""

    __tablename__ = "quiz_overrides"

    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    extra_minutes: Mapped[int] = mapped_column(default=0)
