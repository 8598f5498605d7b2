"""Public addresses of certificates, built on BASE_URL so commands and jobs give the same links as pages."""

from flask import current_app

from certificates.codes import grouped


def public_url(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def verification_url(code: str) -> str:
    return public_url(f"/verify/{grouped(code)}")
