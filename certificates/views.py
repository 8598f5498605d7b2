"""Public verification, the issuer's DID document, and the learner's certificates and downloads."""

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from certificates import keys, queries, status
from certificates.codes import grouped, normalize
from certificates.forms import VerifyForm
from certificates.issuing import document_for
from certificates.models import Certificate
from courses.cohorts.models import Cohort, CohortMember
from courses.cohorts.services import can_manage
from lms.accounts.permissions import can
from lms.extensions import db, limiter
from lms.i18n import LANGUAGES, current_language

bp = Blueprint("certificates", __name__, template_folder="templates")


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _not_found(form: VerifyForm):
    return render_template("certificates/verify.html", form=form, certificate=None, not_found=True), 404


@bp.route("/verify")
@limiter.shared_limit(_verify_limit, scope="verify")
def verify_form():
    form = VerifyForm(request.args)
    if "code" not in request.args:
        return render_template("certificates/verify.html", form=VerifyForm(formdata=None), certificate=None,
                               not_found=False)
    if not form.validate() or normalize(form.code.data) is None:
        return _not_found(form)
    return redirect(url_for("certificates.verify", code=grouped(normalize(form.code.data))))


@bp.route("/verify/<path:code>")
@limiter.shared_limit(_verify_limit, scope="verify")
def verify(code):
    form = VerifyForm(formdata=None, data={"code": code[:64]})
    certificate = queries.by_code(normalize(code))
    if certificate is None:
        return _not_found(form)
    language = current_language()
    replacement = queries.replacement_of(certificate.id) if certificate.is_revoked else None
    return render_template("certificates/verify.html", form=form, certificate=certificate, not_found=False,
                           replacement=replacement,
                           holder_name=certificate.holder_name_in(language),
                           course_title=certificate.course_title_in(language),
                           issuer_name=certificate.issuer_name_in(language))


@bp.route("/.well-known/did.json")
@bp.route("/did.json")  # where did:web looks when BASE_URL has a path (did:web:host:path)
def did_document():
    response = jsonify(keys.did_document())
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.route("/credentials/status/<int:number>")
def status_list(number):
    """The signed revocation list that credentials point to (public, cached a few minutes)."""
    response = current_app.response_class(status.status_list_credential(number), mimetype="application/vc+jwt")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.route("/certificates")
@login_required
def mine():
    return render_template("certificates/mine.html", certificates=queries.my_certificates(current_user.id),
                           languages=LANGUAGES, language=current_language())


def _downloadable(code: str) -> Certificate:
    """The holder's own certificate (administrators may download any, the cohort's trainers its
    certificates of attendance, to hand them out); 410 once revoked."""
    certificate = queries.by_code(normalize(code))
    if certificate is None or not (certificate.user_id == current_user.id or can("certificates.manage")
                                   or _trains_holder(certificate)):
        abort(404)
    if certificate.is_revoked:
        abort(410)
    return certificate


def _trains_holder(certificate: Certificate) -> bool:
    member = db.session.get(CohortMember, certificate.member_id) if certificate.member_id else None
    return member is not None and can_manage(db.session.get(Cohort, member.cohort_id), current_user)


@bp.route("/certificates/<code>.pdf")
@login_required
def pdf(code):
    certificate = _downloadable(code)
    language = request.args.get("lang", certificate.language)
    if language not in LANGUAGES:
        abort(404)
    document = document_for(certificate, language)
    db.session.commit()
    response = current_app.response_class(document.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.display_code}-{language}.pdf"')
    response.set_etag(document.sha256)
    response.cache_control.private = True
    return response


@bp.route("/certificates/<code>.jwt")
@login_required
def credential(code):
    certificate = _downloadable(code)
    response = current_app.response_class(certificate.credential_jwt, mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{certificate.display_code}.jwt"'
    response.cache_control.private = True
    return response
