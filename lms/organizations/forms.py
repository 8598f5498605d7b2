from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from lms.forms import options
from lms.organizations.models import OrganizationType
from lms.organizations.regions import Region


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    type = SelectField(_l("Type"), choices=[], validators=[InputRequired()])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    region = SelectField(_l("Region"), choices=[], validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        placeholder = [("", _l("Choose…"))]
        self.type.choices = options(placeholder + OrganizationType.choices())
        self.region.choices = options(placeholder + Region.choices())


class MergeForm(FlaskForm):
    target = SelectField(_l("Merge into"), choices=[], validators=[InputRequired()])

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = options([("", _l("Choose…"))] + [(str(org.id), org.name) for org in organizations])
