"""Courses, their modules and lessons (with one translation row per language), enrolments and progress."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.choices import LabelledEnum, enum_column
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class Topic(LabelledEnum):
    TRAFFICKING = "trafficking"
    CHILD_PROTECTION = "child-protection"
    LABOUR_MIGRATION = "labour-migration"
    MIGRATION_MEDIA = "migration-media"

    @classmethod
    def _labels(cls):
        return {
            cls.TRAFFICKING: _l("Human trafficking"),
            cls.CHILD_PROTECTION: _l("Child protection"),
            cls.LABOUR_MIGRATION: _l("Labour migration and ethical recruitment"),
            cls.MIGRATION_MEDIA: _l("Migration and the media"),
        }


class Audience(LabelledEnum):
    SOCIAL_WORKERS = "social-workers"
    CIVIL_SOCIETY = "civil-society"
    LAW_ENFORCEMENT = "law-enforcement"
    CHILD_PROTECTION_STAFF = "child-protection-staff"
    EMPLOYMENT_ADVISORS = "employment-advisors"
    JOB_SEEKERS = "job-seekers"
    JOURNALISTS = "journalists"
    STUDENTS = "students"
    PUBLIC_OFFICIALS = "public-officials"

    @classmethod
    def _labels(cls):
        return {
            cls.SOCIAL_WORKERS: _l("Social workers"),
            cls.CIVIL_SOCIETY: _l("Associations"),
            cls.LAW_ENFORCEMENT: _l("Law-enforcement staff"),
            cls.CHILD_PROTECTION_STAFF: _l("Child-protection staff"),
            cls.EMPLOYMENT_ADVISORS: _l("Employment advisors"),
            cls.JOB_SEEKERS: _l("Job seekers"),
            cls.JOURNALISTS: _l("Journalists"),
            cls.STUDENTS: _l("Students"),
            cls.PUBLIC_OFFICIALS: _l("Public officials"),
        }


class CourseStatus(LabelledEnum):
    DRAFT = "draft"
    PUBLISHED = "published"

    @classmethod
    def _labels(cls):
        return {cls.DRAFT: _l("Draft"), cls.PUBLISHED: _l("Published")}


class EnrollmentMode(LabelledEnum):
    OPEN = "open"
    KEY = "key"
    STAFF = "staff"

    @classmethod
    def _labels(cls):
        return {
            cls.OPEN: _l("Open to every learner"),
            cls.KEY: _l("With an enrolment key"),
            cls.STAFF: _l("By a trainer or administrator only"),
        }


def codes_field(codes) -> str:
    """Store a set of codes as ",a,b," so a LIKE '%,a,%' finds one on every database."""
    return "," + ",".join(codes) + "," if codes else ""


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    topic: Mapped[Topic] = mapped_column(enum_column(Topic, 32), index=True)
    audience_codes: Mapped[str] = mapped_column(sa.String(400), default="")
    language_codes: Mapped[str] = mapped_column(sa.String(20), default="")
    estimated_hours: Mapped[float] = mapped_column(sa.Float, default=1)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[CourseStatus] = mapped_column(enum_column(CourseStatus, 16), default=CourseStatus.DRAFT)
    enrollment_mode: Mapped[EnrollmentMode] = mapped_column(
        enum_column(EnrollmentMode, 16), default=EnrollmentMode.OPEN
    )
    enrollment_key: Mapped[str | None] = mapped_column(sa.String(64))
    is_closed: Mapped[bool] = mapped_column(default=False)
    # Share of a cohort's held sessions a learner must attend to complete the course (none: no rule).
    min_attendance_percent: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    translations: Mapped[list["CourseTranslation"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", lazy="raise"
    )
    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Module.position", lazy="raise"
    )

    @property
    def audience(self) -> list[Audience]:
        return [Audience(code) for code in self.audience_codes.strip(",").split(",") if code]

    @property
    def languages(self) -> list[str]:
        return [code for code in self.language_codes.strip(",").split(",") if code]

    @property
    def is_published(self) -> bool:
        return self.status is CourseStatus.PUBLISHED


class CourseTranslation(db.Model):
    __tablename__ = "course_translations"

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    outcomes: Mapped[str] = mapped_column(sa.Text, default="")  # one outcome per line

    course: Mapped[Course] = relationship(back_populates="translations")

    @property
    def outcome_list(self) -> list[str]:
        return [line for line in self.outcomes.splitlines() if line.strip()]


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)
    is_retired: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(back_populates="modules")
    translations: Mapped[list["ModuleTranslation"]] = relationship(cascade="all, delete-orphan", lazy="raise")
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module", order_by="Lesson.position", lazy="raise"
    )


class ModuleTranslation(db.Model):
    __tablename__ = "module_translations"

    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (sa.UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)
    duration_minutes: Mapped[int] = mapped_column(default=15)
    is_required: Mapped[bool] = mapped_column(default=True)
    is_retired: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(lazy="raise")
    module: Mapped[Module] = relationship(back_populates="lessons", lazy="raise")
    translations: Mapped[list["LessonTranslation"]] = relationship(cascade="all, delete-orphan", lazy="raise")


class LessonTranslation(db.Model):
    __tablename__ = "lesson_translations"

    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    # Rendered and sanitized once, when saved.
    body_html: Mapped[str] = mapped_column(sa.Text, default="")


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # When the first lesson was done (kept on write, so reports count who started without reading progress).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Percent scores of the course's pre- and post-test and their difference, for the reports.
    pre_test_score: Mapped[float | None] = mapped_column(sa.Float)
    post_test_score: Mapped[float | None] = mapped_column(sa.Float)
    knowledge_gain: Mapped[float | None] = mapped_column(sa.Float)


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Upload(db.Model):
    """An image or PDF handout of a course, stored in the instance folder under its random token."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(160))
    content_type: Mapped[str] = mapped_column(sa.String(60))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
