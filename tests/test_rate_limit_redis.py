"""Sign-in rate limiting with Redis storage, as in production when REDIS_URL is set.

It runs in a child process because Flask-Limiter keeps its storage on the shared extension
object, which the rest of the suite uses with in-memory storage.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL")

SCRIPT = textwrap.dedent(
    """
    import sys, uuid
    from flask_migrate import upgrade
    from lms import create_app
    from lms.extensions import limiter

    app = create_app({
        "MASAR_ENV": "testing",
        "SECRET_KEY": "redis-test",
        "SQLALCHEMY_DATABASE_URI": sys.argv[1],
        "RATELIMIT_STORAGE_URI": sys.argv[2],
        "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        upgrade()
    limiter.reset()
    client = app.test_client()
    codes = []
    for _ in range(11):
        response = client.post("/login", data={"email": "nobody@example.org", "password": "wrong password"})
        codes.append(response.status_code)
    storage = type(limiter.storage).__name__
    limiter.reset()
    print(storage, *codes)
    """
)


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (CI sets it)")
def test_sign_in_is_rate_limited_with_redis_storage(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'redis.db'}", REDIS_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    storage, *codes = result.stdout.split()
    assert storage == "RedisStorage"
    assert codes[:10] == ["401"] * 10
    assert codes[10] == "429"
