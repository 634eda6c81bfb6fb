"""The Chinese texts for Streamlit's own widgets match the Streamlit that is installed."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit

from uikit.localise import EXACT, PATTERNS, widget_script

COMPOSED = {"Press Enter to apply", "Press Enter to submit form", "Press ⌘+Enter to apply", "Press Ctrl+Enter to apply"}
"""Texts the frontend builds from parts (``Press ${key}+Enter to ${action}``)."""


def frontend() -> str:
    static = Path(streamlit.__file__).parent / "static"
    return "".join(p.read_text(errors="ignore") for p in static.rglob("*.js"))


def test_every_text_replaced_is_one_streamlit_shows():
    """After a Streamlit upgrade, a text that changed fails here instead of showing in English."""
    bundle = frontend()
    assert [text for text in EXACT if text not in bundle and text not in COMPOSED] == []
    for text in ("Upload", "Take Photo", "Clear photo", "Choose an option", "Skip to main content"):
        assert text in EXACT


def test_replacements_are_chinese_and_patterns_compile():
    assert all(not re.search(r"[A-Za-z]{2,}", zh.replace("CSV", "").replace("Ctrl", "")) for zh in EXACT.values())
    for pattern, replacement in PATTERNS:
        re.compile(pattern)
        assert not re.search(r"[A-Za-z]{2,}", replacement)
    assert re.match(PATTERNS[0][0], "200MB per file") and re.match(PATTERNS[0][0], "50.0MB per file")
    script = widget_script()
    assert "拍照" in script and "MutationObserver" in script and "data-localise" in script
