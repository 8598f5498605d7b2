"""Masar: a learning platform for migration-related capacity building."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import load_config


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides what the environment provides."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, overrides=config))

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        # The host is never taken from the proxy: links in mail use BASE_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)

    from lms import db as db_settings
    from lms import extensions, i18n, mail, migration_support, security, static_files, templating
    from lms.accounts import auth

    extensions.db.init_app(app)
    db_settings.init_app(app, extensions.db)
    migration_support.init_app(app, extensions.db, _migrations_dir(app))
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    static_files.init_app(app)
    extensions.compress.init_app(app)

    from lms import cli, errors, main
    from lms.accounts.views import bp as accounts_bp
    from lms.admin.views import bp as admin_bp
    from lms.api.admin import bp as api_tokens_bp
    from lms.api.views import bp as api_bp
    from lms.notifications.views import bp as notifications_bp
    from lms.jobs.views import bp as jobs_bp
    from lms.reports.views import bp as reports_bp
    from lms.organizations.views import bp as organizations_bp

    app.register_blueprint(main.bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(jobs_bp)

    import certificates.cli  # noqa: F401 - adds the credential commands
    import certificates.issuing  # noqa: F401 - issues a certificate when a completion is recorded
    import courses.assignments.completion  # noqa: F401 - registers the accepted-assignment requirement
    import courses.cli  # noqa: F401 - adds the course commands to the lms group
    import courses.cohorts.attendance  # noqa: F401 - registers the minimum-attendance requirement
    import quizzes.cli  # noqa: F401 - adds the question bank commands
    import quizzes.completion  # noqa: F401 - registers the graded-quiz completion requirement
    import lms.jobs.cli  # noqa: F401 - adds the worker command
    import lms.reports.facts  # noqa: F401 - keeps the reports' summary table in step with every commit
    from certificates.admin import bp as certificates_admin_bp
    from certificates.views import bp as certificates_bp
    from courses.assignments.views import bp as assignments_bp
    from courses.authoring import bp as authoring_bp
    from courses.cohorts.views import bp as cohorts_bp
    from courses.views import bp as courses_bp
    from quizzes.trainer import bp as quiz_results_bp
    from quizzes.views import bp as quizzes_bp

    app.register_blueprint(courses_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(quiz_results_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(certificates_admin_bp)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _migrations_dir(app: Flask) -> str:
    from pathlib import Path

    return str(Path(app.root_path).parent / "migrations")
