"""Tests for Markdown rendering and sanitising. Pure Python: no database, no Django."""

import re
import time
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connect import markdown
from forum.rendering import (
    MAX_NESTING,
    MAX_SOURCE_CHARS,
    MarkdownTooComplex,
    MarkdownTooLong,
    extract_mentions,
    render_markdown,
)

FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "svg",
    "math",
    "img",
    "video",
    "audio",
    "source",
    "link",
    "meta",
    "base",
    "template",
    "details",
    "body",
}
SAFE_SCHEMES = {"http", "https", "mailto"}


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_safe_html(html: str) -> None:
    """Fail if ``html`` could run script, load content or restyle the page."""
    lowered = html.lower()
    assert "<script" not in lowered
    # Text is escaped, so a literal "<" only ever starts a real tag; quoted
    # attribute values are blanked so a harmless title="onclick=" passes.
    for tag in re.findall(r"<[^>]*>", html):
        unquoted = re.sub(r""""[^"]*"|'[^']*'""", '""', tag)
        assert not re.search(r"\son\w+\s*=", unquoted, re.IGNORECASE), html
        assert not re.search(r"""\s(?:href|src)\s*=\s*["']?\s*(?:javascript|data|vbscript):""", tag, re.I)

    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                # Browsers ignore ASCII whitespace and control characters
                # inside a scheme, so compare without them.
                compact = re.sub(r"[\x00-\x20]", "", value or "").lower()
                scheme = re.match(r"([a-z][a-z0-9+.-]*):", compact)
                assert scheme is None or scheme.group(1) in SAFE_SCHEMES, html


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav\tascript:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](  javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](javascript&colon;alert(1))",
    "[x](java\x00script:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](\njavascript:alert(1))",
    "[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[a][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{background:url('javascript:alert(1)')}</style>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    "<form action=javascript:alert(1)><input type=submit></form>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "![x](javascript:alert(1))",
    '![x" onerror="alert(1)](https://example.org/a.png)',
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    '[x](https://example.org "title\\" onmouseover=\\"alert(1)")',
    '[x](https://example.org"onmouseover="alert(1))',
    '<https://example.org/"onmouseover="alert(1)>',
    "`</code><script>alert(1)</script>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "> <img src=x onerror=alert(1)>",
    "- <svg/onload=alert(1)>",
    "**<img src=x onerror=alert(1)>**",
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_neutralises_xss_payload(payload):
    html = render_markdown(payload)

    assert_safe_html(html)
    assert "<iframe" not in html.lower()
    assert "<svg" not in html.lower()
    assert "<style" not in html.lower()


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_neutralises_xss_payload_in_mention_context(payload):
    html = render_markdown(f"@bob said:\n\n> {payload}", mention_url=lambda handle: f"/members/{handle}/")

    assert_safe_html(html)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,x", "vbscript:x"],
)
def test_render_markdown_drops_unsafe_url_from_mention_url(url):
    html = render_markdown("hi @bob", mention_url=lambda handle: url)

    assert_safe_html(html)


def test_render_markdown_escapes_raw_html():
    html = render_markdown("<b>bold</b> & <i>it</i>")

    assert html == "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;it&lt;/i&gt;</p>\n"


def test_render_markdown_renders_unsafe_link_as_text():
    html = render_markdown("[click](javascript:alert(1))")

    assert "<a" not in html
    assert "[click]" in html


_FUZZ_FRAGMENTS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<iframe src=//x>",
        "<a href=javascript:alert(1)>",
        "<style>",
        "javascript:",
        "JaVaScRiPt:",
        "jav&#x09;ascript:",
        "&#106;",
        "data:text/html,",
        "vbscript:",
        "onerror=",
        "](",
        "![",
        "[x](",
        "<https://",
        "```",
        "`",
        "\n> ",
        "\n- ",
        "\n1. ",
        "\n    ",
        "\n| a | b |\n|---|:-:|\n",
        "@bob",
        "a@b.org",
        "&amp;",
        "&#",
        "\\",
        "\x00",
    ]
)
_FUZZ_TEXT = st.text(alphabet="*_[]()<>\"'#>-=:/!`|@&;\\ \nabcXYZ019", max_size=12)


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(st.one_of(_FUZZ_FRAGMENTS, _FUZZ_TEXT), max_size=40))
def test_render_markdown_output_is_always_safe(pieces):
    source = "".join(pieces)

    try:
        html = render_markdown(source, mention_url=lambda handle: f"/members/{handle}/")
    except (MarkdownTooComplex, MarkdownTooLong):
        return

    assert_safe_html(html)
    for tag in ("iframe", "style", "svg", "math", "img"):
        assert f"<{tag}" not in html.lower()


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.one_of(_FUZZ_FRAGMENTS, _FUZZ_TEXT), max_size=40))
def test_extract_mentions_never_fails_on_random_text(pieces):
    try:
        handles = extract_mentions("".join(pieces))
    except (MarkdownTooComplex, MarkdownTooLong):
        return

    assert len({h.casefold() for h in handles}) == len(handles)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", h) for h in handles)


NESTING_BOMBS = {
    "quotes": ">" * 5000 + " deep",
    "spaced quotes": "> " * 5000 + "deep",
    "quote lines": "\n".join(">" * i + " x" for i in range(1, 300)),
    "bullet lists": "- " * 5000 + "deep",
    "starred lists": "* " * 5000 + "deep",
    "ordered lists": "1. " * 5000 + "deep",
    "quotes in lists": "- > " * 2500 + "deep",
    "indented lists": "\n".join(" " * (2 * i) + "- x" for i in range(220)),
}


@pytest.mark.parametrize("source", NESTING_BOMBS.values(), ids=NESTING_BOMBS.keys())
def test_render_markdown_rejects_deep_nesting_quickly(source):
    started = time.perf_counter()
    # Lines opening more than 50 levels say so; indentation alone is
    # weighed as structure and refused with the message about structure.
    with pytest.raises(MarkdownTooComplex, match="more than 50 levels deep|list levels than can be shown"):
        render_markdown(source)
    elapsed = time.perf_counter() - started

    assert elapsed < 2.0, f"took {elapsed:.2f}s"


@pytest.mark.parametrize("source", NESTING_BOMBS.values(), ids=NESTING_BOMBS.keys())
def test_extract_mentions_rejects_deep_nesting(source):
    with pytest.raises(MarkdownTooComplex):
        extract_mentions(source)


@pytest.mark.parametrize(
    "source",
    [
        ">" * MAX_NESTING + " fifty quotes",
        "- " * MAX_NESTING + "fifty lists",
        "\n".join(" " * (2 * i) + "- item" for i in range(MAX_NESTING)),
        "- > " * (MAX_NESTING // 2) + "mixed",
    ],
)
def test_render_markdown_accepts_nesting_up_to_limit(source):
    html = render_markdown(source)

    tail = source.rsplit(" ", 1)[-1]
    assert tail in html
    assert html.count("<blockquote>") + html.count("<ul>") == MAX_NESTING


@pytest.mark.parametrize("source", [">" * (MAX_NESTING + 1) + " x", "- " * (MAX_NESTING + 1) + "x"])
def test_render_markdown_rejects_nesting_just_over_limit(source):
    with pytest.raises(MarkdownTooComplex):
        render_markdown(source)


def test_render_markdown_ignores_quote_markers_inside_code():
    source = "```\n" + "> " * 200 + "\n```"

    html = render_markdown(source)

    assert html.startswith("<pre><code>")
    assert "&gt; &gt;" in html


def test_render_markdown_reports_recursion_error_as_too_complex(monkeypatch):
    def overflow(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(markdown._PARSER, "parse", overflow)

    with pytest.raises(MarkdownTooComplex):
        render_markdown("> hi")


@pytest.mark.parametrize(
    "source",
    ["[" * 50_000, "![" * 25_000, "*a" * 25_000, "`a``" * 12_500, "<a " * 16_000, "~~a" * 16_000],
)
def test_render_markdown_bounds_cost_of_hostile_inline_markup(source):
    # Compared with an ordinary post of the same length rendered in the same
    # run, so a busy machine slows both alike. Linear parsing stays within a
    # small multiple; a quadratic or exponential blow-up at 50,000 characters
    # would take minutes, far beyond either bound.
    ordinary = ("a few words of an ordinary reply\n" * (len(source) // 33 + 1))[: len(source)]
    started = time.perf_counter()
    render_markdown(ordinary)
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    render_markdown(source)
    elapsed = time.perf_counter() - started

    assert elapsed < max(10.0, 200 * baseline), f"took {elapsed:.2f}s (ordinary post: {baseline:.3f}s)"


def test_render_markdown_rejects_source_over_length_limit():
    with pytest.raises(MarkdownTooLong, match="longer than 50,000 characters"):
        render_markdown("a" * (MAX_SOURCE_CHARS + 1))


def test_render_markdown_accepts_source_at_length_limit():
    html = render_markdown("a" * MAX_SOURCE_CHARS)

    assert html.startswith("<p>aaa")


def test_extract_mentions_rejects_source_over_length_limit():
    with pytest.raises(MarkdownTooLong):
        extract_mentions("@bob " * 10_001)


def test_markdown_errors_are_value_errors():
    assert issubclass(MarkdownTooComplex, ValueError)
    assert issubclass(MarkdownTooLong, ValueError)


def test_render_markdown_returns_empty_string_for_empty_source():
    assert render_markdown("") == ""


def test_render_markdown_renders_table_with_alignment():
    html = render_markdown("| Agency | Cases |\n|:--|--:|\n| HSI | 12 |\n")

    assert "<table>" in html
    assert '<th align="left">Agency</th>' in html
    assert '<td align="right">12</td>' in html
    assert "style=" not in html


def test_render_markdown_renders_inline_code_and_fenced_code():
    html = render_markdown("Use `grep -r` here.\n\n```python\nprint('<hi>')\n```\n")

    assert "<code>grep -r</code>" in html
    assert "<pre><code>print('&lt;hi&gt;')\n</code></pre>" in html
    assert "class=" not in html


def test_render_markdown_renders_nested_lists():
    html = render_markdown("- one\n- two\n  1. alpha\n  2. beta\n")

    assert html == ("<ul>\n<li>one</li>\n<li>two\n<ol>\n<li>alpha</li>\n<li>beta</li>\n</ol>\n</li>\n</ul>\n")


def test_render_markdown_keeps_ordered_list_start():
    assert '<ol start="3">' in render_markdown("3. third\n4. fourth\n")


def test_render_markdown_renders_links_with_rel():
    html = render_markdown('[OVC](https://www.ovc.ojp.gov/ "Office for Victims of Crime")')

    assert html == (
        '<p><a href="https://www.ovc.ojp.gov/" title="Office for Victims of Crime" '
        'rel="nofollow noopener noreferrer">OVC</a></p>\n'
    )


def test_render_markdown_renders_relative_and_mailto_links():
    html = render_markdown("[thread](/forum/t/12/) and <mailto:help@example.org>")

    assert 'href="/forum/t/12/"' in html
    assert 'href="mailto:help@example.org"' in html


def test_render_markdown_renders_autolink():
    html = render_markdown("<https://example.org/a?b=1&c=2>")

    assert 'href="https://example.org/a?b=1&amp;c=2"' in html


def test_render_markdown_renders_emphasis_strikethrough_and_quote():
    html = render_markdown("> **bold** _em_ ~~gone~~\n>\n> ---")

    assert "<blockquote>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<s>gone</s>" in html
    assert "<hr>" in html


def test_render_markdown_demotes_headings():
    html = render_markdown("# One\n\n## Two\n\n### Three\n\n###### Six")

    assert "<h3>One</h3>" in html
    assert "<h4>Two</h4>" in html
    assert "<h5>Three</h5>" in html
    assert "<h6>Six</h6>" in html
    assert "<h1" not in html
    assert "<h2" not in html


def test_render_markdown_turns_images_into_links():
    html = render_markdown("![flyer](https://example.org/flyer.png)")

    assert "<img" not in html
    assert '<a href="https://example.org/flyer.png" rel="nofollow noopener noreferrer">flyer</a>' in html


def test_render_markdown_links_known_mentions():
    html = render_markdown(
        "Thanks @maria.lopez and @unknown.",
        mention_url=lambda handle: "/members/maria.lopez/" if handle == "maria.lopez" else None,
    )

    assert html == (
        '<p>Thanks <a class="mention" href="/members/maria.lopez/" rel="nofollow noopener noreferrer">'
        "@maria.lopez</a> and @unknown.</p>\n"
    )


def test_render_markdown_looks_up_each_handle_once():
    calls = []

    def mention_url(handle):
        calls.append(handle)
        return f"/members/{handle}/"

    html = render_markdown("@bob @bob\n\n> @bob and @carol", mention_url=mention_url)

    assert calls == ["bob", "carol"]
    assert html.count('class="mention"') == 4


def test_render_markdown_leaves_mentions_as_text_without_mention_url():
    assert render_markdown("hi @bob") == "<p>hi @bob</p>\n"


@pytest.mark.parametrize(
    "source",
    [
        "`@bob`",
        "```\n@bob\n```",
        "    @bob in an indented block",
        "write to bob@example.org",
        "see https://social.example/@bob",
        "[@bob](https://example.org)",
        "\\@bob",
        "@bob@example.org",
    ],
)
def test_render_markdown_does_not_link_mentions_in_code_emails_or_links(source):
    html = render_markdown(source, mention_url=lambda handle: f"/members/{handle}/")

    assert "mention" not in html


def test_render_markdown_strips_classes_other_than_mention():
    html = render_markdown("@bob", mention_url=lambda handle: "/m/bob/")

    assert 'class="mention"' in html
    assert render_markdown("```js\nx\n```").count("class") == 0


def test_extract_mentions_returns_unique_handles_in_order():
    source = "@carol and @bob, then @Carol again; cc @dave_1 @e-f.g."

    assert extract_mentions(source) == ["carol", "bob", "dave_1", "e-f.g"]


def test_extract_mentions_ignores_code_and_emails():
    source = "`@inline` text\n\n```\n@fenced\n```\n\n    @indented\n\nmail ann@example.org, ping @real"

    assert extract_mentions(source) == ["real"]


def test_extract_mentions_ignores_escaped_at_sign():
    assert extract_mentions("\\@not_a_mention but @yes") == ["yes"]


def test_extract_mentions_counts_mentions_in_link_text_and_quotes():
    assert extract_mentions("> [@quoted](https://example.org) and - @listed") == ["quoted", "listed"]


def test_extract_mentions_returns_empty_list_for_empty_source():
    assert extract_mentions("") == []


def test_render_markdown_gives_posts_and_messages_one_dialect_with_their_own_limits():
    from conversations.rendering import MESSAGES, render_message

    source = "**Agenda** with [a link](javascript:alert(1)) and ![map](https://example.org/m.png)"
    assert render_message(source) == render_markdown(source)
    deep = "> " * 30 + "quoted\n"
    assert "<blockquote>" in render_markdown(deep)
    with pytest.raises(MarkdownTooComplex, match="This message nests quotes or lists more than 20 levels"):
        render_message(deep)
    with pytest.raises(MarkdownTooLong, match="This message is longer than 20,000 characters"):
        render_message("a" * (MESSAGES.max_source_chars + 1))
