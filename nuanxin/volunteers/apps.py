from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "accounts.joined": _("Joined as a volunteer"),
    "accounts.join_limited": _("Joining refused: too many attempts"),
    "volunteers.registered": _("Volunteer registered"),
    "volunteers.partner_created": _("Partner created"),
    "volunteers.representative_added": _("Partner representative added"),
    "volunteers.activity_published": _("Activity published"),
    "volunteers.activity_updated": _("Activity changed"),
    "volunteers.activity_cancelled": _("Activity cancelled"),
    "volunteers.signed_up": _("Signed up for an activity"),
    "volunteers.signup_cancelled": _("Sign-up cancelled"),
    "volunteers.signup_moved_up": _("Moved up from the waiting list"),
    "volunteers.reminders_sent": _("Activity reminders sent"),
    "volunteers.checked_in": _("Checked in at an activity"),
    "volunteers.checked_out": _("Checked out of an activity"),
    "activities.created": _("Activity recorded"),
    "activities.participant_added": _("Participant added"),
    "activities.participant_removed": _("Participant removed"),
    "activities.places_covered": _("Places covered recorded"),
    "activities.findings_recorded": _("Activity findings recorded"),
    "hours.recorded": _("Volunteer hours recorded"),
    "hours.approved": _("Volunteer hours approved"),
    "hours.correction_requested": _("Hours correction requested"),
    "hours.correction_approved": _("Hours correction approved"),
    "hours.correction_declined": _("Hours correction declined"),
    "hours.star_levels_set": _("Star levels set"),
    "hours.certificate_downloaded": _("Hours certificate downloaded"),
    "points.rule_set": _("Points rule set"),
    "points.default_rules_installed": _("Default points rules installed"),
    "points.awarded": _("Points awarded"),
    "points.reward_created": _("Reward created"),
    "points.reward_updated": _("Reward changed"),
    "points.redeemed": _("Points redeemed"),
    "points.redemption_cancelled": _("Redemption cancelled"),
    "points.redemption_confirmed": _("Voucher confirmed"),
}


class VolunteersConfig(AppConfig):
    name = "nuanxin.volunteers"
    label = "volunteers"
    verbose_name = _("Volunteers and activities")

    def ready(self) -> None:
        # A volunteer who reported a hazard under their own account earns its points when the
        # case is closed as fixed (core.changes: the cases app does not know the points).
        from nuanxin.core import changes
        from nuanxin.volunteers.points.actions import award_report_points

        changes.on("cases.closed", award_report_points)

        # What waits for organisers and partners on the homes (core.workqueue).
        from nuanxin.core import workqueue
        from nuanxin.volunteers.work import HOURS, VOUCHERS

        workqueue.register(HOURS)
        workqueue.register(VOUCHERS)

        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
