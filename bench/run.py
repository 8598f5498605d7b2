"""``make bench``: every benchmark in one run, on PostgreSQL with synthetic data.

Learner pages (bench/pages.py: throughput next to a bare WSGI app, SQL statements at two data sizes,
page weight, the workers' memory), certificate rendering (bench/certificates.py) and report queries
at a million progress rows (bench/reports.py), each run as it runs alone. Every part prints its
figures and writes its JSON under bench/results/; this script ends with all of them in one summary
and writes bench/results/bench.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import pages  # noqa: E402


def script(name: str, *arguments: str) -> dict:
    """Run another benchmark script; its JSON results.

    A script that wrote its results and then died on exit still counts, with a warning kept in the
    results: bench/certificates.py can crash in the interpreter's final cleanup (a WeasyPrint object
    released after GLib), which says nothing about the figures it measured.
    """
    output = pages.RESULTS / name.replace(".py", ".json")
    started = time.time()
    finished = subprocess.run([sys.executable, str(BENCH / name), *arguments])
    written = output.exists() and output.stat().st_mtime >= started
    if finished.returncode != 0 and not written:
        raise SystemExit(f"bench/{name} failed (exit status {finished.returncode})")
    results = json.loads(output.read_text())
    if finished.returncode != 0:
        results["warning"] = f"bench/{name} wrote its results, then exited with status {finished.returncode}"
        print(f"Warning: {results['warning']}")
    return results


def print_summary(results: dict) -> None:
    load, minutes = results["load_average"], results["duration_s"] / 60
    print(f"\n== Summary: {results['measured_at']}, {os.cpu_count()} CPUs, PostgreSQL "
          f"{results['pages']['postgresql']}, load average {load['start']:.1f} at the start and "
          f"{load['end']:.1f} at the end, {minutes:.0f} min")
    pages.print_tables(results["pages"])

    certificates = results["certificates"]
    renderings = ", ".join(f"{language} {row['median_ms']:.0f} ms ({row['first_ms']:.0f})"
                           for language, row in certificates["pdf"].items())
    print(f"\nCertificate PDF, warm median (first rendering): {renderings}; "
          f"signed credential {certificates['credential_median_ms']} ms")
    if "warning" in certificates:
        print(f"  {certificates['warning']}")

    reports = results["reports"]
    tables = reports["cross_tables"]
    slowest = max(tables, key=lambda name: tables[name]["median_ms"])
    rows = reports["rows"]
    print(f"\nReports at {rows['lesson_progress']:,} progress rows ({rows['users']:,} users, "
          f"{rows['report_facts']:,} report facts), medians:")
    typical = statistics.median(row["median_ms"] for row in tables.values())
    print(f"  {len(tables)} cross-tables as administrator: median {typical:.0f} ms, "
          f"slowest {slowest} {tables[slowest]['median_ms']:.0f} ms")
    print(f"  whole report query set: administrator {reports['whole_report_admin']['median_ms']:.0f} ms, "
          f"manager {reports['whole_report_manager']['median_ms']:.0f} ms")
    for name, row in reports["pages"].items():
        print(f"  {name}: {row['median_ms']:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds (hello and each page per round)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--report-rounds", type=int, default=3, help="timed runs of each report query")
    parser.add_argument("--learners", type=int, default=100_000, help="synthetic learners when seeding")
    arguments = parser.parse_args()
    started, load = time.perf_counter(), os.getloadavg()[0]
    results: dict = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    print("== Learner pages (bench/pages.py)")
    results["pages"] = pages.run(arguments.rounds, arguments.seconds, arguments.learners)
    print("\n== Certificates (bench/certificates.py)")
    results["certificates"] = script("certificates.py")
    print("\n== Reports (bench/reports.py)")
    results["reports"] = script("reports.py", "--rounds", str(arguments.report_rounds),
                                "--learners", str(arguments.learners))

    results["duration_s"] = round(time.perf_counter() - started)
    results["load_average"] = {"start": load, "end": os.getloadavg()[0]}
    print_summary(results)
    (pages.RESULTS / "bench.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
