"""Text that came from people, shown as text: the one helper every screen uses for data.

Nearly every Streamlit element that shows a string renders it as Markdown — ``st.markdown`` and
``st.write``, captions, titles, alerts, metric labels and values, image captions, expander, tab,
button and page-link labels — with GitHub's extensions (bare URLs become links), Streamlit's colour
and icon directives, emoji short codes and LaTeX. A roster name such as
``**粗**![x](http://…)[点我](http://evil)`` would become bold text, a remote image loaded with the
workbench as referer, and a link. ``plain()`` makes any value inert in those elements while it
still reads exactly the same:

- every ASCII punctuation character gets CommonMark's backslash escape: no emphasis, link, image,
  heading, list, table, code, HTML tag, entity, directive (``:red[…]``, ``:help[…]``) or math;
- a word joiner (U+2060: invisible, and dropped by ``clean_text`` if pasted back into a form) breaks
  the patterns that are searched for in the already parsed text, where escapes no longer help: bare
  URLs and e-mail addresses, ``:material/icon:``, ``:emoji:`` short codes, ``:streamlit:``, and the
  typographic replacements (``->`` → →, ``<=`` → ≤, ``--`` → —);
- leading spaces cannot make an indented code block, and line breaks stay line breaks when the
  text is ``multiline`` (otherwise they become spaces).

Tables (``st.dataframe``) and the options of select boxes show text as it is and need none of this.
"""

from __future__ import annotations

import re
import string

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_AFTER_JOINER = re.compile(r"([:@])")
_WWW = re.compile(r"(www)(?=\.)", re.IGNORECASE)
_SYMBOL_PAIRS = re.compile(r"([<>\-~=])(?=[<>\-~=])")
_LEADING_BLANKS = re.compile(r"^[ \t]+")


def _line(text: str) -> str:
    text = _AFTER_JOINER.sub(r"\1" + WORD_JOINER, text)
    text = _WWW.sub(r"\1" + WORD_JOINER, text)
    text = _SYMBOL_PAIRS.sub(r"\1" + WORD_JOINER, text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    return _LEADING_BLANKS.sub(lambda m: "\u00a0" * len(m.group(0)), text)


def plain(value: object, *, multiline: bool = False) -> str:
    """``value`` as Markdown that shows exactly its characters and nothing else."""
    text = "" if value is None else str(value)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not multiline:
        return _line(" ".join(lines))
    return "  \n".join(_line(line) for line in lines)


def visible(markdown: str) -> str:
    """What a reader sees of a ``plain()`` text (escapes and joiners removed): for tests and logs."""
    return re.sub(r"\\([" + re.escape(string.punctuation) + "])", r"\1", markdown).replace(WORD_JOINER, "") \
        .replace("\u00a0", " ").replace("  \n", "\n")
