from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from courses.models import Audience, Topic
from lms.forms import options
from lms.i18n import LANGUAGE_NAMES


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
