"""Outgoing mail: SMTP when configured, otherwise the log; tests read an in-memory outbox."""

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, has_request_context, render_template, url_for
from flask_babel import force_locale


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def site_path(endpoint: str, **values) -> str:
    """The path of a page, in a request or outside one (a command, a service run from the shell)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, **values)


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, on the configured public address, never the request's Host."""
    return absolute(site_path(endpoint, **values))


def absolute(path: str) -> str:
    """A path of this site (as ``url_for`` gives it) on the configured public address."""
    base = urlsplit(current_app.config["BASE_URL"])
    return urlunsplit((base.scheme, base.netloc, path, "", ""))


def outbox() -> list[Mail]:
    return current_app.extensions["masar_outbox"]


def send_mail(to: str, subject: str, template: str, locale: str = "fr", **context) -> Mail:
    """Render ``template`` in the recipient's language and deliver it."""
    with force_locale(locale):
        mail = Mail(to=to, subject=str(subject), body=render_template(template, **context))
    config = current_app.config
    if config["MAIL_OUTBOX"]:
        outbox().append(mail)
    elif config["MAIL_SERVER"]:
        _send_smtp(mail)
    else:
        current_app.logger.info("Mail to %s: %s\n%s", mail.to, mail.subject, mail.body)
    return mail


def _send_smtp(mail: Mail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def init_app(app: Flask) -> None:
    app.extensions["masar_outbox"] = []
