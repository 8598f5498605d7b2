"""Outgoing mail, rendered in the request and delivered by a job: SMTP when configured, otherwise the log;
tests read an in-memory outbox."""

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, has_request_context, render_template, url_for
from flask_babel import force_locale

from lms.jobs.queues import enqueue, job


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
    """Render ``template`` in the recipient's language now, and have a job deliver it."""
    with force_locale(locale):
        mail = Mail(to=to, subject=str(subject), body=render_template(template, **context))
    enqueue(deliver_mail, mail.to, mail.subject, mail.body)
    return mail


@job("mail", timeout=60, shown_args=2)  # the body holds links that sign people in
def deliver_mail(to: str, subject: str, body: str) -> None:
    """Hand a rendered mail to the outbox (tests), the SMTP server, or the log when there is none."""
    mail = Mail(to=to, subject=subject, body=body)
    config = current_app.config
    if config["MAIL_OUTBOX"]:
        outbox().append(mail)
    elif config["MAIL_SERVER"]:
        _send_smtp(mail)
    else:
        current_app.logger.info("Mail to %s: %s\n%s", mail.to, mail.subject, mail.body)


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
