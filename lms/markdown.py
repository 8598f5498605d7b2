"""The one way user-authored Markdown becomes HTML: Python-Markdown, then nh3."""

import markdown as markdown_lib
import nh3

EXTENSIONS = ["tables", "footnotes", "admonition", "sane_lists", "smarty"]
EXTENSION_CONFIGS = {"footnotes": {"BACKLINK_TEXT": "↩", "BACKLINK_TITLE": "%d"}, "smarty": {"smart_quotes": False}}

TAGS = {
    "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "b", "i",
    "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "div",
    "sup", "sub", "abbr", "dl", "dt", "dd",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "sup": {"id"},
    "li": {"id"},
    "abbr": {"title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# Classes the extensions produce (nh3 wants them here, not in ATTRIBUTES); others and any style go.
CLASSES = {
    "div": {"admonition", "note", "tip", "warning", "important", "footnote"},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
}


def render_markdown(text: str) -> str:
    """Render Markdown to sanitized HTML: no script, event handler, style, iframe or javascript: link."""
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                 output_format="html")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
