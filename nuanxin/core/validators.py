"""Validation of plain text, Chinese identity numbers and mobile numbers."""

import re
import unicodedata
from datetime import date
from operator import mul

from django.utils import timezone
from django.utils.translation import gettext as _

from nuanxin.core.errors import DomainError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# ASCII digits only: full-width digits are folded to ASCII first (NFKC), so one person
# always has one canonical form and one blind index.
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# The start of an HTML tag, comment or declaration: people's words never need one.
MARKUP = re.compile(r"<\s*[a-zA-Z/!?]")


# The range of the database's integers (signed 64 bits): an id, a count or an offset outside
# it is refused before it reaches the database driver.
DB_INT_MIN = -(2**63)
DB_INT_MAX = 2**63 - 1

# Characters that change how the text around them is shown without being seen themselves: the
# bidirectional embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069), which make
# "gpj.exe" read as "exe.jpg" or reorder an address. The single marks U+200E/U+200F (and the
# Arabic letter mark U+061C) are allowed: they are how Uyghur and other right-to-left text
# typed on phones keeps its punctuation in place, and they reorder nothing beyond themselves.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def hidden_character(text: str, *, multiline: bool = True) -> str | None:
    """The first character no name or text may hold, or None: a control character (category
    Cc; tab and line breaks are text in multi-line text) or a bidirectional override or isolate."""
    allowed = "\n\r\t" if multiline else ""
    for ch in text:
        if ch in BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and ch not in allowed):
            return ch
    return None


def plain_text(
    text: str | None,
    *,
    field: str,
    limit: int,
    required: bool = False,
    message: str = "",
    multiline: bool = True,
) -> str:
    """Text people typed, trimmed; refuses it empty when required (with `message` if given),
    longer than `limit`, or holding HTML or script tags, control characters or bidirectional
    overrides (see `hidden_character`; pass multiline=False for a name or a title, where a line
    break or a tab is refused too). The one rule for every name and text that is stored; the
    error names `field`."""
    text = (text or "").strip()
    if required and not text:
        raise DomainError(message or _("This field is required."), field=field)
    if len(text) > limit:
        raise DomainError(_("At most %(n)d characters.") % {"n": limit}, field=field)
    if MARKUP.search(text):
        raise DomainError(_("Plain text only: remove the HTML or script tags."), field=field)
    if hidden_character(text, multiline=multiline) is not None:
        raise DomainError(
            _("Remove the invisible control or text-direction characters (they may have come with a paste)."),
            field=field,
        )
    return text


def plain_name(text: str | None, *, field: str, limit: int, required: bool = True, message: str = "") -> str:
    """A name or a title: `plain_text` on one line."""
    return plain_text(text, field=field, limit=limit, required=required, message=message, multiline=False)


def is_ascii_digits(text: str | None) -> bool:
    """True for a non-empty run of 0-9 only. `str.isdigit` also says yes to "²" and "١",
    which `int()` then refuses or reads as another number."""
    return bool(text) and text.isascii() and text.isdigit()  # type: ignore[union-attr]


def ascii_int(text: str | None, *, minimum: int = 1, maximum: int = DB_INT_MAX) -> int | None:
    """The integer written in ASCII digits in `text` (an id in a query string or a token), or
    None when it is not one or lies outside minimum..maximum (by default a database row id)."""
    text = (text or "").strip()
    if not is_ascii_digits(text) or len(text) > 19:
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def id_check_digit(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits."""
    if len(first17) != len(_ID_WEIGHTS):
        raise ValueError("an ID number's check digit is computed from its first 17 digits")
    return id_check_of_sum(id_weighted_sum(first17))


def id_weighted_sum(digits: str, start: int = 0) -> int:
    """The weighted sum behind the check character of the digits that stand at positions
    start, start + 1, ... of the first 17. Sums of parts add up to the whole's, so a maker of
    millions of numbers can sum a shared part (region, birth day) once."""
    # map rather than a generator: a third of the cost, on the millions a city's data makes.
    return sum(map(mul, map(int, digits), _ID_WEIGHTS[start:]))


def id_check_of_sum(total: int) -> str:
    """The check character of the first 17 digits whose weighted sum is `total`."""
    return _ID_CHECK[total % 11]


def normalize_id_number(value: str, *, field: str = "id_number") -> str:
    """Return the 18-character ID number in canonical form, or raise DomainError."""
    candidate = unicodedata.normalize("NFKC", value or "").strip().upper()
    if not _ID_SHAPE.match(candidate):
        raise DomainError(_("An ID number has 17 digits followed by a digit or X."), field=field)
    try:
        born = date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        raise DomainError(_("The ID number contains an impossible birth date."), field=field) from None
    if born.year < 1880 or born > timezone.localdate():
        raise DomainError(_("The ID number contains an impossible birth date."), field=field)
    if id_check_digit(candidate[:17]) != candidate[17]:
        raise DomainError(_("The ID number's check digit is wrong; please check it."), field=field)
    return candidate


def normalize_mobile(value: str, *, field: str = "phone") -> str:
    """Return an 11-digit mainland mobile number, or raise DomainError."""
    candidate = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value or ""))
    if candidate.startswith("+86"):
        candidate = candidate[3:]
    if not _MOBILE.match(candidate):
        raise DomainError(_("A mobile number has 11 digits and starts with 13 to 19."), field=field)
    return candidate
