"""plain_text: the one rule for words people type, wherever they type them."""

import pytest
from django.utils import translation

from nuanxin.core.errors import DomainError
from nuanxin.core.validators import plain_text


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
        ("a\x00b", {}, "HTML"),
    ],
)
def test_plain_text_refusals_name_the_field(text: str, kwargs: dict, message_part: str) -> None:
    with translation.override("en"), pytest.raises(DomainError) as refused:
        plain_text(text, field="summary", limit=20, **kwargs)
    assert refused.value.field == "summary"
    assert message_part in refused.value.message
