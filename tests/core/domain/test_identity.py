from __future__ import annotations

import pytest

from core.domain.identity import (
    id_check_digit,
    is_valid_id_number,
    mask_id,
    mask_name,
    normalise_id_number,
    normalise_text,
)


def test_gb11643_check_digit():
    # The standard's published example.
    assert id_check_digit("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")


@pytest.mark.parametrize("bad", ["11010519491231002", "1101051949123100XX", "", "ABC"])
def test_malformed_numbers_are_invalid(bad):
    assert not is_valid_id_number(bad)


def test_foreign_documents_accepted_by_shape():
    assert is_valid_id_number("E12345678")
    assert is_valid_id_number("H1234567801")


def test_display_shows_only_last_four():
    assert mask_id("11010519491231002X") == "**************002X"
    assert "1949" not in mask_id("11010519491231002X")


@pytest.mark.parametrize(("name", "masked"), [("丁白云", "丁*云"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("李", "李")])
def test_name_masking(name, masked):
    assert mask_name(name) == masked


def test_excel_habits_are_cleaned():
    assert normalise_text("\u3000２０２１０１ ") == "202101"
    assert normalise_id_number(" 11010519491231002x ") == "11010519491231002X"
