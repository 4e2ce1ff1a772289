"""Residents' voice's period figures (core.figures; docs/voice.md): opinions received by
channel, their outcomes and those within the time limit, and the ratings."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from nuanxin.core.figures import Figure, FigureRow, FigureSource
from nuanxin.voice.actions import answer_days
from nuanxin.voice.models import Opinion, OpinionChannel


def _rows(rows: QuerySet[Any]) -> Iterator[FigureRow]:
    """Each opinion on the day it came, by channel; its outcome on the day it was given, and
    whether within NUANXIN_VOICE_ANSWER_DAYS; its rating, when rated, on the day rated."""
    limit = timedelta(days=answer_days())
    values = rows.values_list("area_id", "channel", "received_at", "state", "replied_at", "rating", "rated_at")
    for area, channel, received, state, replied, rating, rated in values.iterator():
        yield area, timezone.localdate(received), "voice_received", 1
        yield area, timezone.localdate(received), f"voice_via_{channel}", 1
        if replied is not None:
            day = timezone.localdate(replied)
            yield area, day, f"voice_{state}", 1
            if replied - received <= limit:
                yield area, day, "voice_in_time", 1
        if rating is not None and rated is not None:
            yield area, timezone.localdate(rated), "voice_rated", 1
            yield area, timezone.localdate(rated), "voice_rating_sum", rating


SOURCE = FigureSource(
    model=Opinion,
    rows=_rows,
    family="voice",
    permission="voice.view",
    section=_("Residents' voice"),
    figures=(
        Figure("voice_received", _("opinions received")),
        *(
            Figure(f"voice_via_{c}", format_lazy(_("through {channel}"), channel=label))
            for c, label in OpinionChannel.choices
        ),
        *(
            Figure(f"voice_{s}", format_lazy(_("outcome: {state}"), state=label))
            for s, label in Opinion.State.choices
            if s != Opinion.State.OPEN
        ),
        Figure("voice_in_time", _("outcomes within the time limit")),
        Figure("voice_rated", _("outcomes rated")),
        Figure("voice_rating_sum", _("stars given")),
    ),
)
