"""The one normaliser for text entering the system."""

from __future__ import annotations

import pytest

from core.domain.text import Field, clean_text, escape_like
from core.errors import InvalidInput

NAME = Field("姓名", "Name", 8)
NOTE = Field("备注", "Note", 20, multiline=True)


def test_text_is_nfc_trimmed_and_invisible_characters_dropped():
    assert clean_text("  e\u0301\u200b ", NAME) == "\u00e9"
    assert clean_text(None, NAME) == ""


@pytest.mark.parametrize("value", ["a\x00b", "a\x07", "a\u202eb", "line\nbreak"])
def test_control_characters_and_bidi_overrides_are_refused_with_the_field_named(value):
    with pytest.raises(InvalidInput) as refused:
        clean_text(value, NAME)
    assert "姓名" in refused.value.message_zh and "Name" in refused.value.message_en


def test_multiline_fields_keep_line_breaks_and_tabs_but_not_nul():
    assert clean_text("a\r\nb\tc", NOTE) == "a\nb\tc"
    with pytest.raises(InvalidInput):
        clean_text("a\x00", NOTE)


def test_overlong_and_missing_values_are_refused():
    with pytest.raises(InvalidInput) as refused:
        clean_text("丁" * 9, NAME)
    assert "8" in refused.value.message_zh and "9" in refused.value.message_zh
    assert clean_text("丁" * 8, NAME) == "丁" * 8
    with pytest.raises(InvalidInput):
        clean_text("   ", NAME, required=True)


def test_like_wildcards_match_themselves():
    assert escape_like("50%_a\\") == "50\\%\\_a\\\\"
