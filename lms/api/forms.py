from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[
        DataRequired(message=_l("Say what the token is for.")),
        Length(max=100, message=_l("A token's name has at most %(max)d characters."))],
        description=_l("For example: the ministry's dashboard."))
    owner = EmailField(_l("Account it acts for"), validators=[
        Optional(), Email(message=_l("Give an email address.")), Length(max=254)],
        filters=[lambda value: value.strip() if value else value],
        description=_l("The email address of a member of the platform; leave empty for your own account. The token "
                       "reads what this account may read, with its role and organization of the moment."))
    expires_on = DateField(_l("Expires after"), validators=[Optional()],
                           description=_l("Optional. The token stops working after this day."))
