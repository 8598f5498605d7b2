"""Report queries on PostgreSQL at scale: every cross-table, the whole report page, an organization's page.

Run with ``make bench-reports`` (or ``.venv/bin/python bench/reports.py``). It uses the database in
``BENCH_DATABASE_URL`` (default: ``masar_bench`` on the local PostgreSQL), creating and migrating it
when needed, and seeds it with ``lms seed-synthetic`` (100,000 learners unless ``--learners`` says
otherwise) when it holds no synthetic data yet. It also times the upkeep of the reports' summary table.
Budgets: a cross-table under 1 s, an organization's page under 50 ms.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_login import login_user  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from courses.models import Enrollment  # noqa: E402
from lms import create_app  # noqa: E402
from lms.accounts.models import Role, User  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.reports.facts import People, rebuild, refresh  # noqa: E402
from lms.reports.filters import Layout, ReportFilters  # noqa: E402
from lms.reports.indicators import DIMENSIONS, grouped  # noqa: E402
from lms.reports.report import build_report  # noqa: E402
from lms.reports.tables import table_groupings  # noqa: E402
from lms.synthetic import seed_synthetic, synthetic_data_exists  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/masar_bench"
TABLES = ("users", "organizations", "enrollments", "lesson_progress", "attempts", "certificates", "cohorts",
          "cohort_members", "cohort_sessions", "attendance", "report_facts")


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist."""
    parsed = make_url(url)
    server = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(server, autocommit=True) as connection:
        if not connection.execute("select 1 from pg_database where datname = %s", [parsed.database]).fetchone():
            connection.execute(f'create database "{parsed.database}"')


def timed(function, rounds: int) -> dict:
    """First run and median of ``rounds`` more, in milliseconds."""
    def once():
        start = time.perf_counter()
        function()
        return (time.perf_counter() - start) * 1000

    first = once()
    runs = [once() for _ in range(rounds)]
    return {"first_ms": round(first, 1), "median_ms": round(statistics.median(runs), 1), "max_ms": round(max(runs), 1)}


def viewer(role: Role) -> User:
    """An administrator, or the manager of the organization with the most members (made if missing)."""
    if role is Role.ADMIN:
        found = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN).limit(1))
        if found is None:
            found = User(email="bench-admin@example.org", full_name="Bench Administrator", role=Role.ADMIN)
            db.session.add(found)
            db.session.commit()
        return found
    largest = db.session.scalar(sa.select(User.organization_id).where(User.organization_id.is_not(None))
                                .group_by(User.organization_id).order_by(sa.func.count().desc()).limit(1))
    found = db.session.scalar(sa.select(User).where(User.role == Role.MANAGER, User.organization_id == largest)
                              .limit(1))
    if found is None:
        found = User(email="bench-manager@example.org", full_name="Bench Manager", role=Role.MANAGER,
                     organization_id=largest)
        db.session.add(found)
        db.session.commit()
    return found


def upkeep(organization_id: int, rounds: int) -> dict:
    """What keeping the summary table costs a write: one learner's rows, an organization's, the whole table."""
    learner = db.session.scalar(sa.select(Enrollment.user_id).where(Enrollment.completed_at.is_not(None)).limit(1))

    def rewrite(people):
        def run():
            refresh(db.session, people)
            db.session.rollback()
        return run

    figures = {"learner": timed(rewrite(People(users={learner})), rounds),
               "largest_organization": timed(rewrite(People(organizations={organization_id})), rounds)}
    start = time.perf_counter()
    figures["rebuild_rows"] = rebuild()
    figures["rebuild_s"] = round(time.perf_counter() - start, 1)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("vacuum analyze report_facts"))  # as autovacuum would after the rewrites
    print(f"Summary table upkeep: a learner's rows {figures['learner']['median_ms']:.1f} ms, the largest "
          f"organization's {figures['largest_organization']['median_ms']:.0f} ms, "
          f"all {figures['rebuild_rows']:,} rows {figures['rebuild_s']} s")
    return figures


def page_time(app, user_id: int, path: str, rounds: int) -> dict:
    """Server time of a page (view and template, no HTTP), signed in as ``user_id``."""
    endpoint, values = app.url_map.bind("localhost").match(path.split("?")[0])

    def render():
        with app.test_request_context(path):
            login_user(db.session.get(User, user_id))
            response = app.make_response(app.view_functions[endpoint](**values))
            assert response.status_code == 200, (path, response.status_code)
            db.session.remove()

    return timed(render, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--all-pairs", action="store_true", help="Every pair of dimensions (45), not a sample.")
    arguments = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    app = create_app({"MASAR_ENV": "development", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "BASE_URL": "https://masar.example.org", "RATELIMIT_ENABLED": False})
    results: dict = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    with app.app_context():
        upgrade()
        if not synthetic_data_exists():
            start = time.perf_counter()
            seed_synthetic(arguments.learners, seed=1)
            results["seed_s"] = round(time.perf_counter() - start, 1)
            print(f"Seeded {arguments.learners:,} learners in {results['seed_s']} s")
        db.session.execute(sa.text("analyze"))
        results["rows"] = {table: db.session.scalar(sa.text(f"select count(*) from {table}")) for table in TABLES}
        admin, manager = viewer(Role.ADMIN), viewer(Role.MANAGER)
        admin_id, manager_id = admin.id, manager.id
        print("Rows: " + ", ".join(f"{table} {count:,}" for table, count in results["rows"].items()))

        tables = {}
        pairs = list(combinations(DIMENSIONS, 2)) if arguments.all_pairs else (
            [(name, "gender") for name in DIMENSIONS if name != "gender"]
            + [("organization_type", "region"), ("course", "year"), ("cohort", "organization_type")])
        layouts = [(name, None) for name in DIMENSIONS] + pairs
        for rows, columns in layouts:
            user = db.session.get(User, admin_id)
            tables[f"{rows} x {columns}" if columns else rows] = timed(
                lambda: grouped(ReportFilters(), user, table_groupings(rows, columns)), arguments.rounds)  # noqa: B023
        results["cross_tables"] = tables
        slowest = max(tables.items(), key=lambda item: item[1]["median_ms"])
        medians = [row["median_ms"] for row in tables.values()]
        print(f"Cross-tables as administrator ({len(tables)}: every dimension and "
              f"{'every pair' if arguments.all_pairs else 'a sample of pairs'}), budget 1,000 ms:")
        print(f"  median of medians {statistics.median(medians):.0f} ms, slowest {slowest[0]} "
              f"{slowest[1]['median_ms']:.0f} ms (max {slowest[1]['max_ms']:.0f} ms)")

        user = db.session.get(User, admin_id)
        results["whole_report_admin"] = timed(lambda: build_report(ReportFilters(), Layout(), user, "fr"),
                                              arguments.rounds)
        manager = db.session.get(User, manager_id)
        results["whole_report_manager"] = timed(lambda: build_report(ReportFilters(), Layout(), manager, "fr"),
                                                arguments.rounds)
        results["summary_upkeep"] = upkeep(manager.organization_id, arguments.rounds)
    results["pages"] = {
        "admin /reports": page_time(app, admin_id, "/reports", arguments.rounds),
        "manager /reports": page_time(app, manager_id, "/reports", arguments.rounds),
        "manager /reports by course and gender": page_time(app, manager_id, "/reports?rows=course&columns=gender",
                                                           arguments.rounds),
        "manager /organization/members": page_time(app, manager_id, "/organization/members", arguments.rounds),
    }
    print(f"Whole report query set: administrator {results['whole_report_admin']['median_ms']:.0f} ms, "
          f"manager {results['whole_report_manager']['median_ms']:.0f} ms")
    print(f"{'page':<42}{'first (ms)':>12}{'median (ms)':>13}{'max (ms)':>10}")
    for name, row in results["pages"].items():
        print(f"{name:<42}{row['first_ms']:>12}{row['median_ms']:>13}{row['max_ms']:>10}")
    output = Path(__file__).resolve().parent / "results" / "reports.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
