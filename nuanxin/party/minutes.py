"""A joint meeting's papers, generated from its structured record (docs/party.md): the minutes
as Word and PDF in a Chinese layout (time and place, who came for which unit, the agenda, the
minutes, each resolution with its owner, deadline and milestones), and the invitation as an
iCalendar file (RFC 5545) that any calendar opens."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from nuanxin.core.paper import SANS_FONT, SERIF_FONT, document_language, pdf_from_html, word_bytes, word_document
from nuanxin.party.models import JointMeeting, Task


@dataclass(frozen=True)
class Minutes:
    meeting: JointMeeting
    when: str
    present: list[tuple[str, list[str]]]  # (the unit, or the community's side; who came)
    agenda: list[str]
    resolutions: list[Task]


def minutes_of(meeting: JointMeeting) -> Minutes:
    start, end = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
    by_unit: dict[str, list[str]] = {}
    community = meeting.committee.name
    for row in meeting.attendance.select_related("user", "unit__place").order_by("signed_at", "id"):
        side = row.unit.place.name if row.unit else community
        by_unit.setdefault(side, []).append(row.user.display_name or row.user.username)
    # The community's side first, then the units by name.
    present = sorted(by_unit.items(), key=lambda pair: (pair[0] != community, pair[0]))
    tasks = list(
        meeting.tasks.select_related("owner_unit__place", "owner_branch", "owner_user")
        .prefetch_related("milestones")
        .order_by("id")
    )
    return Minutes(
        meeting=meeting,
        when=f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}",
        present=present,
        agenda=[item.title for item in meeting.agenda.all()],
        resolutions=tasks,
    )


def render_docx(meeting: JointMeeting) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    record = minutes_of(meeting)
    with translation.override(document_language()):
        document = word_document(title=meeting.title, subject=_("Minutes"))
        heading = document.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = heading.add_run(meeting.title)
        run.bold = True
        run.font.size = Pt(18)
        subtitle = document.add_paragraph(_("Minutes"))
        subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
        document.add_paragraph(_("Time: %(when)s") % {"when": record.when})
        document.add_paragraph(_("Place: %(where)s") % {"where": meeting.location})
        document.add_heading(_("Present"), level=2)
        for side, names in record.present:
            document.add_paragraph(f"{side}：{'、'.join(names)}")
        if not record.present:
            document.add_paragraph(_("Nobody signed in."))
        document.add_heading(_("Agenda"), level=2)
        for n, title in enumerate(record.agenda, 1):
            document.add_paragraph(f"{n}. {title}")
        document.add_heading(_("Minutes"), level=2)
        for line in (meeting.minutes or _("Not recorded yet.")).splitlines():
            document.add_paragraph(line)
        document.add_heading(_("Resolutions"), level=2)
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        labels = (_("Resolution"), _("Owner"), pgettext("a task", "Deadline"), _("Milestones"))
        for cell, label in zip(table.rows[0].cells, labels, strict=True):
            cell.text = label
        for task in record.resolutions:
            cells = table.add_row().cells
            cells[0].text = task.title
            cells[1].text = task.owner_name
            cells[2].text = f"{task.deadline:%Y-%m-%d}"
            cells[3].text = "；".join(f"{m.due_on:%m-%d} {m.title}" for m in task.milestones.all())
        return word_bytes(document)


def render_pdf(meeting: JointMeeting) -> bytes:
    with translation.override(document_language()):
        html = render_to_string(
            "party/minutes_document.html",
            {"record": minutes_of(meeting), "serif": SERIF_FONT, "sans": SANS_FONT},
        )
    return pdf_from_html(html)


# --- the invitation (iCalendar) -------------------------------------------------------------


def _text(value: str) -> str:
    """An iCalendar TEXT value: backslashes, semicolons, commas and line breaks escaped."""
    escaped = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return escaped.replace("\r\n", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a UTF-8 character (RFC 5545 §3.1)."""
    parts, current, size = [], "", 0
    for ch in line:
        width = len(ch.encode())
        if size + width > 75:
            parts.append(current)
            current, size = " ", 1
        current += ch
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def invitation_ics(meeting: JointMeeting, *, url: str, host: str, now: datetime | None = None) -> str:
    """The meeting as one VEVENT: its time (UTC), place, agenda as the description, its page."""
    with translation.override(document_language()):
        agenda = "\n".join(f"{n}. {item.title}" for n, item in enumerate(meeting.agenda.all(), 1))
        description = _("Agenda:") + "\n" + agenda
    lines: list[Any] = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//nuanxin//party//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:joint-meeting-{meeting.pk}@{host}",
        f"DTSTAMP:{_utc(now or timezone.now())}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(meeting.ends_at)}",
        f"SUMMARY:{_text(meeting.title)}",
        f"LOCATION:{_text(meeting.location)}",
        f"DESCRIPTION:{_text(description)}",
        f"URL:{url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)
