"""What an AppTest run would render as Markdown, and the hostile texts the plain-text tests use.

Every element kind below renders its text as Markdown in the browser (GitHub extensions, Streamlit
directives, emoji, LaTeX); tables and select options do not and are left out.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from uikit.plain import plain, visible

NAME = "**粗**![x](http://127.0.0.1:9/x.png)[点我](http://evil)"
"""A roster name (51 characters: it fits the column) with bold, a remote image and a link."""
DEPARTMENT = "<b>院</b>:material/home::red[红]$x^2$ www.evil.com a@e.cn -> <="
"""A department (61 characters, the column holds 64) with HTML, an icon, a colour, LaTeX, a bare
URL, an e-mail address and arrows Streamlit would turn into → and ≤."""
NICKNAME = "![n](http://127.0.0.1:9/n.png)"
NOTE = "# 标题\n- [改这里](http://evil)\n<img src=x onerror=alert(1)>\n    缩进成代码"
SUBJECT = "[点我](http://evil) **急** :material/warning:"
RAW_PATTERNS = ("**粗**", "![x](", "](http", "[点我]", "http://", "<b>", "<img", ":material/home", ":red[",
                "$x^2$", "www.evil", "a@e.cn", "# 标题", "- [", "**急**", ":material/warning", "![n](")
"""What must never reach a Markdown element as written."""

_LABELLED = ("button", "expander", "tab", "metric", "checkbox", "toggle", "radio", "selectbox", "text_input")


def markdown_texts(at: AppTest) -> list[str]:
    """Every string of the run that the browser renders as Markdown."""
    texts: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
                 "toast", "latex"):
        texts += [str(e.value) for e in at.get(kind)]
    for kind in _LABELLED:
        texts += [str(getattr(e, "label", "")) for e in at.get(kind)]
    texts += [str(m.value) for m in at.get("metric")]
    texts += [e.proto.label for e in at.get("page_link")]
    return texts


def unescaped(pattern: str, text: str) -> bool:
    """``pattern`` occurs in ``text`` with its first character not backslash-escaped."""
    start = text.find(pattern)
    while start != -1:
        if start == 0 or text[start - 1] != "\\":
            return True
        start = text.find(pattern, start + 1)
    return False


def assert_shown_as_plain_text(at: AppTest, *values: str) -> None:
    """No hostile pattern reaches Markdown as written, and each value is on screen, escaped, with
    every one of its characters visible."""
    texts = markdown_texts(at)
    for text in texts:
        for pattern in RAW_PATTERNS:
            assert not unescaped(pattern, text), f"{pattern!r} reaches Markdown unescaped in {text!r}"
    readable = [visible(t) for t in texts]
    for value in values:
        one_line = " ".join(value.splitlines())
        assert any(plain(value) in t or plain(value, multiline=True) in t for t in texts), \
            f"{value!r} is not shown through plain()"
        assert any(value in r or one_line in r for r in readable), f"{value!r} is not readable on screen"
