"""Configuration read from the environment.

``MASAR_ENV`` selects the profile: ``production`` (the default, safe for servers),
``development`` (what ``make run`` uses) or ``testing``.
"""

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the application can start with."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given without one."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret_key(instance_path: str) -> str:
    """Read the development secret key from the instance folder, creating it on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: str, env: str | None = None, overrides: dict | None = None) -> dict:
    """Build the configuration for one profile from the environment, then ``overrides``."""
    overrides = overrides or {}
    env = env or overrides.get("MASAR_ENV") or os.environ.get("MASAR_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"MASAR_ENV must be production, development or testing, not {env!r}")

    redis_url = os.environ.get("REDIS_URL")
    config = {
        "MASAR_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Background jobs (lms/jobs) go to RQ on this Redis; without one they run inline at once.
        "JOBS_REDIS_URL": redis_url,
        # Queue names start with it: instances sharing one Redis each need their own.
        "JOBS_QUEUE_PREFIX": os.environ.get("JOBS_QUEUE_PREFIX", "masar"),
        # Seconds before each retry of a failed job: len() retries after the first attempt.
        "JOBS_RETRY_INTERVALS": (10, 60, 300),
        "RATELIMIT_HEADERS_ENABLED": True,
        "AUTH_RATE_LIMIT": os.environ.get("AUTH_RATE_LIMIT", "10 per minute;50 per hour"),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Africa/Casablanca"),
        "LANGUAGES": ("fr", "ar", "en"),
        "BASE_URL": os.environ.get("BASE_URL"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Masar <no-reply@localhost>"),
        "MAIL_OUTBOX": False,
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "INVITATION_MAX_AGE": int(os.environ.get("INVITATION_MAX_AGE", str(7 * 24 * 3600))),
        "EMAIL_CHANGE_MAX_AGE": int(os.environ.get("EMAIL_CHANGE_MAX_AGE", str(24 * 3600))),
        # argon2id parameters (memory in KiB): the library's recommended defaults.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "ARGON2_PARALLELISM": 4,
        # The largest request: a submission's file (SUBMISSION_MAX_MB at most) and its form.
        "MAX_CONTENT_LENGTH": (int(os.environ.get("SUBMISSION_MAX_MB", "10")) + 1) * 1024 * 1024,
        "SUBMISSION_MAX_MB": int(os.environ.get("SUBMISSION_MAX_MB", "10")),
        "SUBMISSION_FOLDER": os.environ.get("SUBMISSION_FOLDER") or str(Path(instance_path) / "submissions"),
        "USERS_PER_PAGE": 50,
        "UPLOAD_MAX_BYTES": int(os.environ.get("UPLOAD_MAX_BYTES", str(4 * 1024 * 1024))),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        "AUDIT_EVENTS_PER_PAGE": 50,
        "CERTIFICATES_PER_PAGE": 50,
        "CERTIFICATE_ISSUER_NAME": os.environ.get("CERTIFICATE_ISSUER_NAME", "Masar"),
        # Ed25519 keys that sign credentials: a folder (shared by every instance when there are
        # several), or one PEM given as CREDENTIAL_SIGNING_KEY.
        "CREDENTIAL_KEY_FOLDER": os.environ.get("CREDENTIAL_KEY_FOLDER")
        or str(Path(instance_path) / "credential-keys"),
        "CREDENTIAL_SIGNING_KEY": os.environ.get("CREDENTIAL_SIGNING_KEY"),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "30 per minute;300 per hour"),
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
        "WTF_CSRF_TIME_LIMIT": 4 * 3600,
        # Responses compressed by Flask-Compress: text only (PDFs, workbooks and images are compressed already),
        # and never a file streamed from disk (static files are read whole, see lms/static_files.py).
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_STREAMS": False,
        "COMPRESS_BR_LEVEL": 5,  # a tenth smaller than level 4 and still well under a millisecond per page
        "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/plain", "text/csv", "text/xml", "application/json",
                               "application/xml", "application/javascript", "text/javascript", "image/svg+xml"],
    }
    if env == "production":
        config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    elif env == "testing":
        config.update(
            TESTING=True,
            MAIL_OUTBOX=True,
            JOBS_REDIS_URL=None,  # a test that wants the queue sets it
            # Fast but still argon2id: the suite hashes hundreds of passwords.
            ARGON2_TIME_COST=1,
            ARGON2_MEMORY_COST=1024,
            ARGON2_PARALLELISM=1,
        )
    config.update(overrides)

    if env == "production":
        if not config["SECRET_KEY"]:
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without it; "
                "set MASAR_ENV=development for a local instance."
            )
        if not config["SQLALCHEMY_DATABASE_URI"]:
            raise ConfigError("DATABASE_URL is not set. Production refuses to start without it.")
        if not config["BASE_URL"]:
            raise ConfigError(
                "BASE_URL is not set. Production needs the public address (https://…) for links in mail."
            )
    else:
        config["BASE_URL"] = config["BASE_URL"] or "http://127.0.0.1:5000"
        if not config["SECRET_KEY"]:
            config["SECRET_KEY"] = _instance_secret_key(instance_path)
        if not config["SQLALCHEMY_DATABASE_URI"]:
            Path(instance_path).mkdir(parents=True, exist_ok=True)
            config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'masar.db'}"

    config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(config["SQLALCHEMY_DATABASE_URI"])
    return config
