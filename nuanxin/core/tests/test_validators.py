"""plain_text: the one rule for words people type, wherever they type them; ASCII digits."""

import pytest
from django.utils import translation

from nuanxin.core.errors import DomainError
from nuanxin.core.validators import ascii_int, is_ascii_digits, plain_name, plain_text


def test_plain_text_is_trimmed_and_keeps_line_breaks() -> None:
    assert plain_text("  楼道堆物\n已清理  ", field="note", limit=20) == "楼道堆物\n已清理"
    assert plain_text(None, field="note", limit=20) == ""
    assert plain_text("我 <3 社区", field="note", limit=20) == "我 <3 社区"  # not a tag


@pytest.mark.parametrize(
    ("text", "kwargs", "message_part"),
    [
        ("", {"required": True}, "required"),
        ("", {"required": True, "message": "写点什么"}, "写点什么"),
        ("长" * 21, {}, "20"),
        ("<script>x</script>", {}, "HTML"),
        ("<!-- x -->", {}, "HTML"),
        ("a\x00b", {}, "control"),
        ("a\x1bb", {}, "control"),
        ("a\u202eb", {}, "control"),  # RIGHT-TO-LEFT OVERRIDE: "gpj.exe" shown as "exe.jpg"
        ("a\u2066b", {}, "control"),  # LEFT-TO-RIGHT ISOLATE
    ],
)
def test_plain_text_refusals_name_the_field(text: str, kwargs: dict, message_part: str) -> None:
    with translation.override("en"), pytest.raises(DomainError) as refused:
        plain_text(text, field="summary", limit=20, **kwargs)
    assert refused.value.field == "summary"
    assert message_part in refused.value.message


def test_right_to_left_marks_and_line_breaks_are_text() -> None:
    # Uyghur typed on a phone carries RIGHT-TO-LEFT MARKs; they reorder nothing beyond themselves.
    assert plain_text("ئابدۇرېھىم\u200f 3-2-501", field="note", limit=40) == "ئابدۇرېھىم\u200f 3-2-501"
    assert plain_text("一\r\n二\t三", field="note", limit=20) == "一\r\n二\t三"


@pytest.mark.parametrize("text", ["一\n二", "一\t二", "一\u202e二"])
def test_a_name_is_one_line(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        plain_name(text, field="name", limit=20)
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("²", None),
        ("²:x", None),
        ("١٢", None),
        ("１２", None),
        ("-3", None),
        ("0", None),
        ("", None),
        (None, None),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("9" * 40, None),
    ],
)
def test_ascii_int_reads_ascii_digits_only_within_the_database_range(text: str | None, expected: int | None) -> None:
    assert ascii_int(text) == expected


def test_superscripts_and_other_scripts_digits_are_not_ascii_digits() -> None:
    assert "²".isdigit() and not is_ascii_digits("²")
    assert not is_ascii_digits("١") and not is_ascii_digits("") and is_ascii_digits("0123")
