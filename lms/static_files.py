"""Static files under fingerprinted URLs: cached by browsers for a year, fetched again when they change.

``url_for("static", filename=...)`` adds ``?v=`` and a hash of the file's content, computed once when the
application starts. A request that carries the current hash is answered with a year-long, immutable cache
lifetime. Any other request for the file (no hash, or the hash of an earlier version, from a page cached
before a release) still gets the current file, but must revalidate it every time.

Libraries that fingerprint Flask's static files either need a build step that writes hashed copies
(Flask-Static-Digest) or only serve files (WhiteNoise); this is the part they would add.
"""

import hashlib
from pathlib import Path

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

ONE_YEAR = 365 * 24 * 3600
HASH_LENGTH = 12


def content_hashes(folder: str | Path | None) -> dict[str, str]:
    """A short SHA-256 of each file under ``folder``, by its path relative to it (with ``/``)."""
    root = Path(folder) if folder else None
    if root is None or not root.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
            for path in sorted(root.rglob("*")) if path.is_file()}


def _read_whole(view):
    """The static view, answering with the file's bytes rather than the open file: the files are small, and
    Flask-Compress compresses bytes but leaves streamed files alone (streaming them, it would not close them)."""

    def static(filename):
        response = view(filename=filename)
        response.direct_passthrough = False
        response.make_sequence()
        response.close()  # the file: its bytes are read
        return response

    return static


class SessionlessStaticFiles(SecureCookieSessionInterface):
    """Cookie sessions that leave static files out: their responses are the same for every visitor, so they
    carry neither a session cookie nor ``Vary: Cookie`` (which would make browsers fetch them again whenever
    the session changes)."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint != "static":
            super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    hashes = content_hashes(app.static_folder)
    app.extensions["static_hashes"] = hashes
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = SessionlessStaticFiles()
    if "static" in app.view_functions:
        app.view_functions["static"] = _read_whole(app.view_functions["static"])

    @app.url_defaults
    def add_content_hash(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and values.get("filename") in hashes:
            values["v"] = hashes[values["filename"]]

    @app.after_request
    def cache_fingerprinted_files(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        current = hashes.get((request.view_args or {}).get("filename"))
        if current is not None and request.args.get("v") == current:
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        else:
            # The file without its current hash may change under the same URL: revalidate every time.
            response.cache_control.max_age = None
            response.cache_control.public = None
            response.cache_control.no_cache = True
        response.headers.pop("Expires", None)
        return response
