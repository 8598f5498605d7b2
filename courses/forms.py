from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from courses.models import Audience, CourseStatus, EnrollmentMode, Topic
from lms.forms import MultiCheckboxField, options
from lms.i18n import LANGUAGE_NAMES

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]*$"


class CatalogueFilterForm(FlaskForm):
    """Search and filters of the catalogue, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    topic = SelectField(_l("Topic"), choices=[], validators=[Optional()])
    audience = SelectField(_l("Audience"), choices=[], validators=[Optional()])
    language = SelectField(_l("Language"), choices=[], validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _l("All"))]
        self.topic.choices = options(every + Topic.choices())
        self.audience.choices = options(every + Audience.choices())
        self.language.choices = options(every + list(LANGUAGE_NAMES.items()))


class EnrollForm(FlaskForm):
    key = StringField(_l("Enrolment key"), validators=[Optional(), Length(max=64)],
                      render_kw={"autocomplete": "off"})


# Authoring ---------------------------------------------------------------------------------------

LANGUAGE_CODES = tuple(LANGUAGE_NAMES)


class CourseForm(FlaskForm):
    """A course's settings and its texts in each language."""

    slug = StringField(_l("Short name in the address"), validators=[DataRequired(), Length(max=80),
                       Regexp(KEY_PATTERN, message=_l("Use lowercase letters, digits and hyphens."))],
                       description=_l("For example: child-protection-basics. It cannot change later."))
    topic = SelectField(_l("Topic"), choices=[], validators=[InputRequired()])
    audience = MultiCheckboxField(_l("Audience"), choices=[],
                                  validators=[DataRequired(message=_l("Choose at least one audience."))])
    estimated_hours = DecimalField(_l("Estimated hours"), places=1,
                                   validators=[InputRequired(), NumberRange(min=0.5, max=500)])
    languages = MultiCheckboxField(_l("Languages of the lessons"), choices=[],
                                   validators=[DataRequired(message=_l("Choose at least one language."))])
    status = SelectField(_l("Status"), choices=[], validators=[InputRequired()])
    enrollment_mode = SelectField(_l("Enrolment"), choices=[], validators=[InputRequired()])
    enrollment_key = StringField(_l("Enrolment key"), validators=[Optional(), Length(max=64)])
    is_closed = BooleanField(_l("Closed to new learners"))
    min_attendance_percent = IntegerField(
        _l("Minimum attendance, as a percentage of sessions"), validators=[Optional(), NumberRange(min=1, max=100)],
        description=_l("Leave empty for a self-paced course. Otherwise learners complete the course only once they "
                       "attended this share of their cohort's sessions."))
    title_fr = StringField(_l("Title in French"), validators=[Length(max=300)], render_kw={"lang": "fr"})
    title_ar = StringField(_l("Title in Arabic"), validators=[Length(max=300)],
                           render_kw={"lang": "ar", "dir": "rtl"})
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)], render_kw={"lang": "en"})
    summary_fr = TextAreaField(_l("Summary in French"), validators=[Length(max=2000)], render_kw={"lang": "fr"})
    summary_ar = TextAreaField(_l("Summary in Arabic"), validators=[Length(max=2000)],
                               render_kw={"lang": "ar", "dir": "rtl"})
    summary_en = TextAreaField(_l("Summary in English"), validators=[Length(max=2000)], render_kw={"lang": "en"})
    outcomes_fr = TextAreaField(_l("Outcomes in French, one per line"), validators=[Length(max=4000)],
                                render_kw={"lang": "fr"})
    outcomes_ar = TextAreaField(_l("Outcomes in Arabic, one per line"), validators=[Length(max=4000)],
                                render_kw={"lang": "ar", "dir": "rtl"})
    outcomes_en = TextAreaField(_l("Outcomes in English, one per line"), validators=[Length(max=4000)],
                                render_kw={"lang": "en"})

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.slug
        self.topic.choices = options([("", _l("Choose…"))] + Topic.choices())
        self.audience.choices = options(Audience.choices())
        self.languages.choices = options(LANGUAGE_NAMES.items())
        self.status.choices = options(CourseStatus.choices())
        self.enrollment_mode.choices = options(EnrollmentMode.choices())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for language in self.languages.data or []:
            field = getattr(self, f"title_{language}")
            if not (field.data or "").strip():
                field.errors.append(_l("Give a title in each language of the course."))
                valid = False
        if self.enrollment_mode.data == EnrollmentMode.KEY.value and not (self.enrollment_key.data or "").strip():
            self.enrollment_key.errors.append(_l("Give the key learners will type."))
            valid = False
        return valid

    def texts(self) -> dict[str, dict]:
        """Title, summary and outcomes for each chosen language."""
        return {
            language: {
                "title": getattr(self, f"title_{language}").data.strip(),
                "summary": (getattr(self, f"summary_{language}").data or "").strip(),
                "outcomes": "\n".join(line.strip() for line in (getattr(self, f"outcomes_{language}").data or "")
                                      .splitlines() if line.strip()),
            }
            for language in self.languages.data
        }


class ModuleForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=80),
                      Regexp(KEY_PATTERN, message=_l("Use lowercase letters, digits and hyphens."))])
    title_fr = StringField(_l("Title in French"), validators=[Length(max=300)], render_kw={"lang": "fr"})
    title_ar = StringField(_l("Title in Arabic"), validators=[Length(max=300)],
                           render_kw={"lang": "ar", "dir": "rtl"})
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)], render_kw={"lang": "en"})

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.key

    def titles(self) -> dict[str, str]:
        return {language: getattr(self, f"title_{language}").data.strip()
                for language in LANGUAGE_CODES if (getattr(self, f"title_{language}").data or "").strip()}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.titles():
            self.title_fr.errors.append(_l("Give a title in at least one language."))
            valid = False
        return valid


class NewLessonForm(FlaskForm):
    module = SelectField(_l("Module"), choices=[], validators=[InputRequired()])
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=80),
                      Regexp(KEY_PATTERN, message=_l("Use lowercase letters, digits and hyphens."))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])

    def __init__(self, *args, modules=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.module.choices = options([(str(module_id), title) for module_id, title in modules])


class LessonForm(FlaskForm):
    """One language of a lesson, plus the settings shared by every language."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=100_000)],
                         description=_l("## for a section heading, - for a list item, **bold**, [link](https://…), "
                                        "![description](image address), !!! note \"Title\" for a box."),
                         render_kw={"rows": 24})
    duration = IntegerField(_l("Duration in minutes"), validators=[InputRequired(), NumberRange(min=1, max=600)])
    required = BooleanField(_l("Required for completion"))


class UploadForm(FlaskForm):
    file = FileField(_l("Image (PNG, JPEG, GIF, WebP) or PDF handout"),
                     validators=[FileRequired(message=_l("Choose a file to upload."))])


class StaffEnrollForm(FlaskForm):
    email = EmailField(_l("Learner's email address"), validators=[DataRequired(), Email(), Length(max=254)])
