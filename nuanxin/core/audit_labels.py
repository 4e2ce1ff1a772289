"""What each audit action is called, for the people who read the log.

An entry stores its action as a code ("cases.accepted"), which stays stable across releases
and languages and is what the MAC covers. Each app names its codes when it is ready, as it
registers its work-queue sources (`describe` from AppConfig.ready); a family of codes built
from a pattern ("admin.<model>_deleted") is named by a function (`describe_family`). The
audit log shows the name and keeps the code beside it; a code nobody named (an entry from
an older release) is shown as it is.
"""

from collections.abc import Callable, Mapping

from django.utils.functional import Promise

Label = str | Promise

_LABELS: dict[str, Label] = {}
_FAMILIES: dict[str, Callable[[str], Label | None]] = {}


def describe(labels: Mapping[str, Label]) -> None:
    """Name an app's audit actions; naming a code again replaces its name."""
    _LABELS.update(labels)


def describe_family(prefix: str, label_for: Callable[[str], Label | None]) -> None:
    """Name every code starting with `prefix` by `label_for(code)` (None: no name for it)."""
    _FAMILIES[prefix] = label_for


def label_of(action: str) -> str:
    """The action's name in the current language, or the code itself when nobody named it."""
    label = _LABELS.get(action)
    if label is None:
        for prefix, label_for in _FAMILIES.items():
            if action.startswith(prefix):
                label = label_for(action)
                break
    return str(label) if label is not None else action


def codes_named(text: str) -> list[str]:
    """The codes whose name, in the current language, contains `text` (case-insensitive):
    the log's action filter finds "受理" as well as "cases.accepted"."""
    needle = text.casefold()
    return sorted(code for code, label in _LABELS.items() if needle in str(label).casefold())
