"""The volunteer service certificate (志愿服务记录证明), in Word and PDF.

The national rules (志愿服务记录与证明出具办法) let the residents' committee issue it: the
volunteer's identity, the service recorded and certified (each approved record's date,
activity, organiser and hours), the total, the issuing organisation and date, and a
number. We keep no ID-card number for volunteers, so none is printed. The name is in full:
it is the volunteer's own certificate. Who may download it and the audit entry of every
download are the views' business (`nuanxin.volunteers.hours.views`).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from nuanxin.core.paper import SANS_FONT, SERIF_FONT, document_language, pdf_from_html, word_bytes, word_document
from nuanxin.territory.models import Area
from nuanxin.volunteers.hours.queries import community_containing, hours_of, star_hours, stars_at
from nuanxin.volunteers.models import OrganiserKind, ServiceRecord, Volunteer

# The CJK faces the PDF asks for (Debian's fonts-noto-cjk); Word falls back the same way.


@dataclass
class CertificateLine:
    day: date
    activity: str
    organiser: str
    hours: Decimal


@dataclass
class Certificate:
    number: str
    name: str
    group: str
    registered_on: date
    lines: list[CertificateLine]
    total_hours: Decimal
    stars: int
    issuer: str
    issued_on: date


def certificate_for(volunteer: Volunteer, *, today: date | None = None) -> Certificate:
    """What the certificate says: the approved records, oldest first, and their total.
    The number is the issuing community's code, the day and the volunteer's id, so the
    audit entry of the download identifies the document."""
    today = today or timezone.localdate()
    community = community_containing(volunteer.home_grid)
    records = list(
        ServiceRecord.objects.filter(volunteer=volunteer, state=ServiceRecord.State.APPROVED)
        .select_related("activity__area", "activity__organiser_unit")
        .defer("activity__area__boundary")
        .order_by("activity__starts_on", "id")
    )
    communities: dict[int, str] = {}
    lines = []
    for record in records:
        activity = record.activity
        if activity.organiser_kind != OrganiserKind.COMMUNITY and activity.organiser_unit is not None:
            organiser = activity.organiser_unit.name
        else:
            if activity.area_id not in communities:
                found = community_containing(activity.area)
                communities[activity.area_id] = found.name if found is not None else activity.area.name
            organiser = communities[activity.area_id]
        lines.append(
            CertificateLine(
                day=activity.starts_on, activity=activity.title, organiser=organiser, hours=hours_of(record.minutes)
            )
        )
    total = hours_of(sum(r.minutes for r in records))
    code = community.code if community is not None else "NX"
    return Certificate(
        number=f"ZYFW-{code}-{today:%Y%m%d}-{volunteer.pk:06d}",
        name=volunteer.name,
        group=volunteer.get_group_display(),
        registered_on=timezone.localtime(volunteer.registered_at).date(),
        lines=lines,
        total_hours=total,
        stars=stars_at(total, star_hours(community)),
        issuer=_issuer(community),
        issued_on=today,
    )


def _issuer(community: Area | None) -> str:
    """The residents' committee of the volunteer's community issues it."""
    if community is None:
        return _("nuanxin")
    return _("%(community)s residents' committee") % {"community": community.name}


def render_docx(certificate: Certificate) -> bytes:
    """The certificate as a Word document (A4, one table of the records)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    with translation.override(document_language()):
        document = word_document(title=_("Volunteer service record certificate"), subject=certificate.number)

        heading = document.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = heading.add_run(_("Volunteer service record certificate"))
        run.bold = True
        run.font.size = Pt(20)
        number = document.add_paragraph(_("Certificate number: %(n)s") % {"n": certificate.number})
        number.alignment = WD_ALIGN_PARAGRAPH.RIGHT

        document.add_paragraph(
            _(
                "This certifies that %(name)s (%(group)s), a volunteer registered on %(day)s, has served "
                "as recorded below, each record certified by its organiser."
            )
            % {"name": certificate.name, "group": certificate.group, "day": f"{certificate.registered_on:%Y-%m-%d}"}
        )
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, label in zip(
            table.rows[0].cells, (_("Date"), _("Activity"), _("Organiser"), _("Hours")), strict=True
        ):
            cell.text = label
        for line in certificate.lines:
            cells = table.add_row().cells
            cells[0].text = f"{line.day:%Y-%m-%d}"
            cells[1].text = line.activity
            cells[2].text = line.organiser
            cells[3].text = str(line.hours)
        total = table.add_row().cells
        total[0].merge(total[2]).text = _("Total hours")
        total[3].text = str(certificate.total_hours)
        if not certificate.lines:
            document.add_paragraph(_("No approved service is on record yet."))

        document.add_paragraph(
            _("Total service: %(hours)s hours. Star level: %(stars)s.")
            % {"hours": certificate.total_hours, "stars": certificate.stars}
        )
        document.add_paragraph(
            _("Service time is the time actually served at the activity, within its time, travel excluded.")
        )
        issuer = document.add_paragraph(_("Issued by: %(issuer)s (seal)") % {"issuer": certificate.issuer})
        issuer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        issued = document.add_paragraph(_("Date of issue: %(day)s") % {"day": f"{certificate.issued_on:%Y-%m-%d}"})
        issued.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        return word_bytes(document)


def render_pdf(certificate: Certificate) -> bytes:
    """The certificate as a PDF, from an HTML template in the CJK serif face. The number
    and the total are also in the document's metadata (subject), where tools can read them."""
    with translation.override(document_language()):
        html = render_to_string(
            "volunteers/hours/certificate.html",
            {"certificate": certificate, "serif": SERIF_FONT, "sans": SANS_FONT},
        )
    return pdf_from_html(html)
