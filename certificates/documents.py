"""The certificate PDF: a design folder rendered by WeasyPrint from plain values.

A design is a folder ``certificates/documents/<name>/`` with ``design.yaml`` (its names and
files), an HTML template and a stylesheet, parsed once per process with its fonts. The template runs in a sandboxed Jinja environment
and only sees strings; WeasyPrint may read the design's own files and ``data:`` URLs, nothing
outside and nothing local. WeasyPrint and segno are imported on first use: a web worker that never
renders a certificate does not carry them.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date
from babel.units import format_unit
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from certificates.models import Certificate, CertificateKind
from lms.i18n import LANGUAGES, text_direction
from lms.yamldoc import ContentError, load_yaml, read_text, require

DESIGNS_ROOT = Path(__file__).resolve().parent / "documents"
# Relative URLs of a design resolve under this address, which the fetcher maps to the design folder
# (the .invalid domain never resolves, so nothing can reach the network through it).
BASE_URL = "https://design.invalid/"
MIME_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2",
              ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}


@dataclass(frozen=True)
class Design:
    key: str
    folder: Path
    names: dict
    template: str
    stylesheet: str

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.key


@functools.cache
def _design_fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class DesignFetcher(URLFetcher):
        """Serve the design's own files and ``data:`` URLs; refuse the network and the local disk."""

        def __init__(self, folder: Path):
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)
            self.folder = folder.resolve()

        def fetch(self, url, headers=None):
            if url.startswith(BASE_URL):
                path = (self.folder / url[len(BASE_URL):].split("?")[0].split("#")[0]).resolve()
                if self.folder not in path.parents or not path.is_file() or path.suffix not in MIME_TYPES:
                    raise ValueError(f"not a file of the design: {url}")
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": MIME_TYPES[path.suffix]})
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"refused: {url.split(':', 1)[0]} URLs are not allowed in certificates")

    return DesignFetcher


def __getattr__(name: str):
    # ``DesignFetcher`` subclasses WeasyPrint's fetcher, so the class is made when first asked for.
    if name == "DesignFetcher":
        return _design_fetcher_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_design(folder: Path) -> Design:
    path = folder / "design.yaml"
    data = load_yaml(path, read_text(path))
    if not isinstance(data, dict):
        raise ContentError(path, None, "design.yaml must be a mapping")
    names, template, stylesheet = data.get("name"), data.get("template"), data.get("stylesheet")
    require(isinstance(names, dict) and set(names) <= set(LANGUAGES) and names, path, data, "name",
            "name must map languages (fr, ar, en) to the design's name")
    require(isinstance(template, str) and (folder / template).is_file(), path, data, "template",
            "template must name an HTML file of the design folder")
    require(isinstance(stylesheet, str) and (folder / stylesheet).is_file(), path, data, "stylesheet",
            "stylesheet must name a CSS file of the design folder")
    return Design(key=folder.name, folder=folder, names=names, template=template, stylesheet=stylesheet)


@functools.cache
def designs() -> dict[str, Design]:
    return {folder.name: read_design(folder) for folder in sorted(DESIGNS_ROOT.iterdir())
            if (folder / "design.yaml").is_file()}


@functools.cache
def _environment(folder: Path) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(loader=FileSystemLoader(folder), autoescape=True,
                                         undefined=StrictUndefined)


@functools.cache
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def _stylesheet(folder: Path, name: str):
    """A design's stylesheet, parsed once: its @font-face fonts are loaded once too."""
    from weasyprint import CSS

    return CSS(url=BASE_URL + name, url_fetcher=_design_fetcher_class()(folder), font_config=_fonts())


def _labels(language: str, kind: CertificateKind) -> dict[str, str]:
    attendance = kind is CertificateKind.ATTENDANCE
    with force_locale(language):
        return {
            "title": _("Certificate of attendance") if attendance else _("Certificate of completion"),
            "awarded_to": _("This certificate is awarded to"),
            "for_completing": (_("for attending the workshop sessions of the training course") if attendance
                               else _("for successfully completing the training course")),
            "code": _("Certificate code"),
            "verify": _("Check this certificate by scanning the code or at"),
        }


def document_values(certificate: Certificate, language: str, verify_url: str) -> dict[str, str]:
    """Everything the design sees: plain strings in the certificate's language."""
    import segno

    # A fixed mask spares trying all eight: any mask gives a valid code that every reader decodes.
    qr = segno.make(verify_url, error="m", mask=4)
    with force_locale(language):
        day = format_date(certificate.completed_on, "long", locale=language)
        if certificate.kind is CertificateKind.ATTENDANCE:
            completed = _("%(cohort)s, last session attended on %(date)s", cohort=certificate.cohort_name, date=day)
        else:
            completed = _("Completed on %(date)s", date=day)
        duration = _("Duration: %(hours)s", hours=format_unit(certificate.hours, "duration-hour", length="long",
                                                               locale=language))
    return {
        "language": language,
        "direction": text_direction(language),
        "holder_name": certificate.holder_name_in(language),
        "course_title": certificate.course_title_in(language),
        "completed_line": completed,
        "duration_line": duration,
        "issuer_name": certificate.issuer_name_in(language),
        "signatory_name": certificate.signatory_name,
        "signatory_title": certificate.signatory_title_in(language),
        "code": certificate.display_code,
        "verify_url": verify_url,
        # One pixel per module, drawn without smoothing: a sharp code in a few hundred bytes.
        "qr_data_uri": qr.png_data_uri(scale=1, border=0),
        **{f"label_{key}": value for key, value in _labels(language, certificate.kind).items()},
    }


def render_pdf(certificate: Certificate, language: str, verify_url: str) -> bytes:
    from weasyprint import HTML

    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    design = designs().get(certificate.design) or designs()["classic"]
    html = _environment(design.folder).get_template(design.template).render(
        document_values(certificate, language, verify_url))
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_design_fetcher_class()(design.folder)).write_pdf(
        stylesheets=[_stylesheet(design.folder, design.stylesheet)], font_config=_fonts())
