from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from courses.assignments.files import file_type_choices
from courses.assignments.models import Selection, SubmissionStatus
from lms.forms import MultiCheckboxField, options


class AssignmentForm(FlaskForm):
    title_fr = StringField(_l("Title in French"), validators=[Length(max=300)], render_kw={"lang": "fr"})
    title_ar = StringField(_l("Title in Arabic"), validators=[Length(max=300)], render_kw={"lang": "ar", "dir": "rtl"})
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)], render_kw={"lang": "en"})
    instructions_fr = TextAreaField(_l("Instructions in French (Markdown)"), validators=[Length(max=20000)],
                                    render_kw={"lang": "fr", "rows": 8})
    instructions_ar = TextAreaField(_l("Instructions in Arabic (Markdown)"), validators=[Length(max=20000)],
                                    render_kw={"lang": "ar", "dir": "rtl", "rows": 8})
    instructions_en = TextAreaField(_l("Instructions in English (Markdown)"), validators=[Length(max=20000)],
                                    render_kw={"lang": "en", "rows": 8})
    deadline = DateTimeLocalField(_l("Deadline"), format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                  description=_l("Morocco time. Leave empty for no deadline."))
    accepts_text = BooleanField(_l("Learners can write their answer on the page"))
    file_types = MultiCheckboxField(_l("Files accepted"), choices=[])
    max_file_mb = IntegerField(_l("Largest file (MB)"), validators=[InputRequired(), NumberRange(min=1, max=100)])
    rubric = TextAreaField(_l("Rubric"), validators=[Length(max=4000)], render_kw={"rows": 5},
                           description=_l("One criterion per line with its points, for example “Angle | 10”. "
                                          "Leave empty to review without scores."))
    is_required = BooleanField(_l("An accepted submission is required to complete the course"))
    is_selection = BooleanField(_l("This is a call for applications: a panel scores and selects"))
    panel = MultiCheckboxField(_l("Selection panel"), choices=[], coerce=int)

    def __init__(self, *args, panel_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.file_types.choices = options(file_type_choices())
        self.panel.choices = [(user.id, user.full_name) for user in panel_choices]


class SubmitForm(FlaskForm):
    text = TextAreaField(_l("Your answer"), validators=[Length(max=50000)], render_kw={"rows": 12})
    file = FileField(_l("File"))


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment for the learner"), validators=[Length(max=10000)], render_kw={"rows": 6})
    status = SelectField(_l("Status"), choices=[], validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = options(SubmissionStatus.choices())


class PanelScoreForm(FlaskForm):
    comment = TextAreaField(_l("Note for the panel"), validators=[Length(max=5000)], render_kw={"rows": 3})


class SelectionForm(FlaskForm):
    selection = SelectField(_l("Selection"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.selection.choices = options([("", _l("Not marked"))] + Selection.choices())
