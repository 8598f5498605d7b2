"""The bare WSGI application that page throughput is compared with (``gunicorn bench.hello:app``)."""

BODY = b"Hello, world!\n"


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
