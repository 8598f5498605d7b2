"""The certificate PDF: one page, its QR code, Arabic shaped right to left, and a closed renderer."""

import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from jinja2.exceptions import SecurityError
from PIL import Image, ImageChops, ImageStat

from certificates.documents import BASE_URL, DesignFetcher, _environment, designs, render_pdf
from certificates.models import Certificate

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "certificate-ar.png"
URL = "https://masar.example.org/verify/7KQ2-M9XD-4TAF-B3WZ"
ARABIC_NAME = "فاطمة الزهراء بنعلي"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Mean difference per pixel (0-255, grey levels) under which two renderings are the same page.
SAME_PAGE = 0.25


def sample(**changes) -> Certificate:
    values = dict(
        code="7KQ2M9XD4TAFB3WZ", language="ar", design="classic", holder_name="Fatima Zahra Benali",
        holder_name_ar=ARABIC_NAME, hours=6.5, completed_on=date(2026, 11, 20),
        course_titles={"fr": "Identifier et protéger les victimes de la traite", "ar": "تحديد ضحايا الاتجار بالبشر وحمايتهم",
                       "en": "Identifying and protecting victims of trafficking"},
        issuer_names={"fr": "Mission au Maroc", "ar": "البعثة في المغرب", "en": "Mission in Morocco"},
        signatory_name="Amina El Idrissi",
        signatory_titles={"fr": "Cheffe de mission", "ar": "رئيسة البعثة", "en": "Chief of mission"})
    values.update(changes)
    return Certificate(**values)


def render(app, certificate: Certificate, language: str = "ar") -> bytes:
    with app.app_context():
        return render_pdf(certificate, language, URL)


def page_image(pdf: bytes, folder: Path, dpi: int = 40) -> Image.Image:
    (folder / "page.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", str(folder / "page.pdf"),
                    str(folder / "page")], check=True)
    return Image.open(folder / "page.png").convert("L")


def text_layer(pdf: bytes, folder: Path) -> str:
    (folder / "page.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(folder / "page.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    return BIDI_CONTROLS.sub("", text)


def difference(first: Image.Image, second: Image.Image) -> float:
    assert first.size == second.size
    return ImageStat.Stat(ImageChops.difference(first, second)).mean[0]


def pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, check=True, capture_output=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def test_every_language_gives_one_page_with_the_qr_code_and_the_code(app, tmp_path):
    for language in ("fr", "ar", "en"):
        pdf = render(app, sample(language=language), language)
        assert pages(pdf) == 1
        [barcode] = zxingcpp.read_barcodes(page_image(pdf, tmp_path, dpi=150))
        assert barcode.text == URL
        assert "7KQ2-M9XD-4TAF-B3WZ" in text_layer(pdf, tmp_path)
    french = text_layer(render(app, sample(language="fr"), "fr"), tmp_path)
    assert "Fatima Zahra Benali" in french and "Identifier et protéger les victimes de la traite" in french
    assert "20 novembre 2026" in french and "Amina El Idrissi" in french


def test_arabic_certificates_are_shaped_right_to_left(app, tmp_path):
    """Compared with a reviewed rendering: joined letters, right-to-left lines, the Arabic name."""
    pdf = render(app, sample())
    text = text_layer(pdf, tmp_path)
    assert ARABIC_NAME in text and "تحديد ضحايا الاتجار بالبشر وحمايتهم" in text
    image = page_image(pdf, tmp_path)
    if os.environ.get("MASAR_UPDATE_REFERENCES"):
        DATA.mkdir(exist_ok=True)
        image.save(REFERENCE, optimize=True)
    assert difference(image, Image.open(REFERENCE).convert("L")) < SAME_PAGE

    # The comparison sees letters that do not join: the same name with joiners broken differs.
    broken = render(app, sample(holder_name_ar="\u200c".join(ARABIC_NAME)))
    assert difference(page_image(broken, tmp_path), Image.open(REFERENCE).convert("L")) > SAME_PAGE


def test_the_latin_name_stands_in_when_no_arabic_name_was_given(app, tmp_path):
    text = text_layer(render(app, sample(holder_name_ar=None)), tmp_path)
    assert "Fatima Zahra Benali" in text and ARABIC_NAME not in text


def test_the_fetcher_serves_the_design_and_refuses_everything_else():
    fetcher = DesignFetcher(designs()["classic"].folder)
    assert fetcher.fetch(BASE_URL + "certificate.css").read().startswith(b"@font-face")
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    for url in ("file:///etc/passwd", "https://example.org/logo.png", "http://127.0.0.1:5432/",
                BASE_URL + "../../../../etc/passwd", BASE_URL + "fonts/../../design.yaml",
                BASE_URL + "design.yaml", "ftp://example.org/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_design_that_asks_for_outside_resources_renders_without_them(app, tmp_path, monkeypatch):
    """A hostile template cannot reach the network or the disk: the PDF is made without those files."""
    requested = []
    original = DesignFetcher.fetch

    def spy(self, url, headers=None):
        requested.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(DesignFetcher, "fetch", spy)
    certificate = sample(holder_name_ar='<img src="file:///etc/passwd"><link rel=stylesheet href="https://evil.test/x.css">')
    pdf = render(app, certificate)
    assert pages(pdf) == 1
    # The name is text (autoescaped), so nothing it contains is even requested.
    assert not any("passwd" in url or "evil.test" in url for url in requested)
    assert "file:///etc/passwd" in text_layer(pdf, tmp_path)


def test_templates_run_in_a_sandbox():
    environment = _environment(designs()["classic"].folder)
    with pytest.raises(SecurityError):
        environment.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()
    with pytest.raises(SecurityError):
        environment.from_string("{{ values.clear() }}").render(values={"a": "b"})
