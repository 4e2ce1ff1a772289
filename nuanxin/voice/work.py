"""What residents' voice has waiting (core.workqueue): the open topics where the viewer answers
opinions, the oldest first, those past NUANXIN_VOICE_ANSWER_DAYS overdue."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from nuanxin.core.scoping import Scope
from nuanxin.core.workqueue import Item, Source
from nuanxin.voice.actions import answer_days
from nuanxin.voice.models import Opinion


def _open_topics(scope: Scope) -> QuerySet[Opinion]:
    return Opinion.objects.filter(
        scope.q("voice.manage", "community__path"), state=Opinion.State.OPEN, topic__isnull=True
    )


def _first(scope: Scope, user: Any, now: datetime, n: int) -> list[Item]:
    due = timedelta(days=answer_days())
    return [
        Item(
            title=opinion.text[:40],
            detail=opinion.get_category_display(),
            url=reverse("voice:opinion", args=[opinion.pk]),
            when=timezone.localdate(opinion.received_at + due),
            overdue=opinion.received_at + due < now,
        )
        for opinion in _open_topics(scope).order_by("received_at", "id")[:n]
    ]


TO_TRIAGE = Source(
    key="voice_opinions",
    label=gettext_lazy("Opinions to answer"),
    url="voice:triage",
    capability="voice",
    applies=lambda scope, user: scope.has("voice.manage"),
    count=lambda scope, user, now: _open_topics(scope).count(),
    first=_first,
    order=60,
)
