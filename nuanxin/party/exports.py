"""The party pages' spreadsheets (.xlsx, through core.spreadsheets.SheetWriter): an
organisation's current members (phones masked), the alliance's pacts with each commitment's
committed and delivered amounts, and the resolution tasks. Each reads only what the viewer
reaches, as the page it comes from; the views audit every download."""

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import chain
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from nuanxin.core.spreadsheets import workbook_bytes, xlsx_response
from nuanxin.party import alliance, queries
from nuanxin.party.models import Pact, PartyMember, Task


def _sheet(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> HttpResponse:
    data = workbook_bytes(chain([header], rows), sheet_title=title)
    return xlsx_response(data, filename=filename, private=True)


def members_sheet(title: str, members: QuerySet[PartyMember]) -> HttpResponse:
    header = (
        pgettext("a person", "Name"),
        _("Standing"),
        _("Status in the community"),
        _("Origin organisation"),
        _("Works at"),
        _("Phone"),
        _("In the community since"),
    )
    rows = (
        (
            row["member"].name,
            row["member"].get_standing_display(),
            row["member"].get_status_display(),
            row["member"].origin,
            row["member"].workplace,
            row["phone"],
            row["member"].since,
        )
        for row in queries.member_rows(members)
    )
    return _sheet(title, header, rows, f"{title}.xlsx")


def pacts_sheet(pacts: Iterable[Pact], day: date) -> HttpResponse:
    header = (
        _("Unit"),
        _("Term"),
        _("Commitment"),
        _("Kind"),
        _("Period"),
        _("Committed so far"),
        _("Delivered"),
        _("Whole term"),
        _("Unit of count"),
    )
    rows = (
        (
            pact.unit.place.name,
            f"{pact.starts_on:%Y-%m-%d} – {pact.ends_on:%Y-%m-%d}",
            row.commitment.what,
            row.commitment.get_kind_display(),
            row.commitment.get_period_display(),
            float(row.committed),
            float(row.delivered),
            float(row.in_term),
            row.commitment.counted_in,
        )
        for pact in pacts
        for row in alliance.standing(pact, day)
    )
    title = _("Pacts")
    return _sheet(title, header, rows, f"{title}-{day:%Y%m%d}.xlsx")


def tasks_sheet(tasks: Iterable[Task]) -> HttpResponse:
    header = (
        _("Resolution"),
        _("Meeting"),
        _("Owner"),
        pgettext("a task", "Deadline"),
        _("Progress"),
        _("State"),
        _("finished on"),
        _("done on time"),
    )
    rows = (
        (
            task.title,
            task.meeting.title,
            task.owner_name,
            task.deadline,
            task.progress,
            task.get_state_display(),
            task.finished_on,
            "" if task.on_time is None else _("yes") if task.on_time else _("no"),
        )
        for task in tasks
    )
    title = _("Resolution tasks")
    return _sheet(title, header, rows, f"{title}.xlsx")
