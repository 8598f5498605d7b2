"""Certificate rendering and signing: time per PDF (cold and warm), PDF sizes, time per credential.

Run with ``make bench-certificates`` (or ``.venv/bin/python bench/certificates.py``). It needs no
database: it renders an unsaved certificate in each language.
"""

import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certificates.credentials import build_credential, sign  # noqa: E402
from certificates.documents import render_pdf  # noqa: E402
from certificates.models import Certificate  # noqa: E402
from lms import create_app  # noqa: E402

ROUNDS = 30


def sample(language: str) -> Certificate:
    return Certificate(
        id=4242, code="7KQ2M9XD4TAFB3WZ", language=language, design="classic", holder_name="Fatima Zahra Benali",
        holder_name_ar="فاطمة الزهراء بنعلي", hours=6.5, completed_on=date(2026, 11, 20),
        issued_at=datetime(2026, 11, 20, 10, tzinfo=timezone.utc),
        course_titles={"fr": "Identifier et protéger les victimes de la traite des êtres humains",
                       "ar": "تحديد ضحايا الاتجار بالبشر وحمايتهم",
                       "en": "Identifying and protecting victims of human trafficking"},
        issuer_names={"fr": "Mission au Maroc", "ar": "البعثة في المغرب", "en": "Mission in Morocco"},
        signatory_name="Amina El Idrissi",
        signatory_titles={"fr": "Cheffe de mission", "ar": "رئيسة البعثة", "en": "Chief of mission"})


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"MASAR_ENV": "testing", "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                          "CREDENTIAL_KEY_FOLDER": folder, "BASE_URL": "https://masar.example.org"})
        url = "https://masar.example.org/verify/7KQ2-M9XD-4TAF-B3WZ"
        results = {}
        with app.app_context():
            for language in ("fr", "ar", "en"):
                certificate = sample(language)
                cold = timed(lambda: render_pdf(certificate, language, url))  # noqa: B023
                warm = [timed(lambda: render_pdf(certificate, language, url)) for _ in range(ROUNDS)]  # noqa: B023
                size = len(render_pdf(certificate, language, url))
                results[language] = {"first_ms": round(cold, 1), "median_ms": round(statistics.median(warm), 1),
                                     "p90_ms": round(sorted(warm)[int(ROUNDS * 0.9) - 1], 1), "bytes": size}
            certificate = sample("fr")
            sign(build_credential(certificate, "learner@example.org", "course"))
            signing = [timed(lambda: sign(build_credential(certificate, "learner@example.org", "course")))
                       for _ in range(ROUNDS)]
            token = sign(build_credential(certificate, "learner@example.org", "course"))
        print(f"Certificate PDF, {ROUNDS} warm renderings per language (budget: 100 ms warm)")
        print(f"{'language':<10}{'first (ms)':>12}{'median (ms)':>13}{'p90 (ms)':>10}{'size (KB)':>11}")
        for language, row in results.items():
            print(f"{language:<10}{row['first_ms']:>12}{row['median_ms']:>13}{row['p90_ms']:>10}"
                  f"{row['bytes'] / 1024:>11.1f}")
        print(f"Signed credential: median {statistics.median(signing):.2f} ms, {len(token)} bytes")
        output = Path(__file__).resolve().parent / "results" / "certificates.json"
        output.parent.mkdir(exist_ok=True)
        output.write_text(json.dumps({"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                      "pdf": results, "credential_median_ms": round(statistics.median(signing), 2),
                                      "credential_bytes": len(token)}, indent=2) + "\n")


if __name__ == "__main__":
    main()
