"""Rollups of the period figures: counts per node of the territory, day and metric, kept up to
date by the actions that change the records (insights/rollups.py), so that figures for any
node and period add up a few thousand rows instead of scanning the records."""

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _

from nuanxin.territory.models import Area


class FigureCount(models.Model):
    """How many of one metric fell on one day in one node's subtree.

    A record counts at its own area (a dispute's or a visit's grid, an activity's grid or
    community) and at every area above it, so the figures for a node read only that node's
    rows. `category` keeps apart the counts about residents watched as a special group or a
    key person (empty for everything else), which only viewers allowed to know of them see.

    `previous` serves the one figure that is not a sum of daily counts, the distinct
    enterprises checked for food safety: each check counts with the day of the same place's
    check before it, and the enterprises checked from day S on are the checks from S on whose
    previous check came before S (the first check of each place in the period). Every other
    metric keeps NO_PREVIOUS there, which is before any period.
    """

    NO_PREVIOUS = date(1, 1, 1)

    # Indexed by figure_count_key, which starts with it.
    node = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(_("day"))
    metric = models.CharField(_("metric"), max_length=40)
    category = models.CharField(_("category"), max_length=24, blank=True)
    previous = models.DateField(_("previous check"), default=NO_PREVIOUS)
    count = models.BigIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("figure count")
        verbose_name_plural = _("figure counts")
        constraints = [
            models.UniqueConstraint(fields=["node", "day", "metric", "category", "previous"], name="figure_count_key"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.day} @{self.node_id}: {self.count}"
