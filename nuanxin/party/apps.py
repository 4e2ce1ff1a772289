from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "party.org_created": _("Party organisation founded"),
    "party.member_registered": _("Party member registered"),
    "party.member_left": _("Party member left"),
    "party.member_transferred": _("Party member transferred"),
    "party.office_taken": _("Party office taken"),
    "party.office_left": _("Party office left"),
    "party.two_new_surveyed": _("Two-new organisation surveyed"),
    "party.two_new_covered": _("Two-new organisation covered"),
    "party.founding_advanced": _("Branch founding stage recorded"),
    "party.meeting_planned": _("Branch meeting planned"),
    "party.meeting_recorded": _("Branch meeting recorded"),
    "party.meeting_replied": _("Signed in to a branch meeting or asked for leave"),
    "party.unit_joined": _("Unit joined the alliance"),
    "party.unit_left": _("Unit left the alliance"),
    "party.pact_signed": _("Pact recorded"),
    "party.pact_document_viewed": _("Signed pact downloaded"),
    "party.pact_document_kept": _("Signed pact uploaded"),
    "party.delivery_recorded": _("Pact delivery logged"),
    "party.pact_evaluated": _("Pact evaluated"),
    "party.need_raised": _("Need put on the list"),
    "party.need_claimed": _("Need claimed"),
    "party.resource_offered": _("Resource offered"),
    "party.project_started": _("Project started"),
    "party.project_done": _("Project done"),
    "party.joint_meeting_planned": _("Joint meeting planned"),
    "party.joint_meeting_signed_in": _("Signed in to a joint meeting"),
    "party.joint_meeting_held": _("Joint meeting recorded"),
    "party.task_created": _("Resolution task assigned"),
    "party.task_reported": _("Resolution progress reported"),
    "party.task_verified": _("Resolution task verified"),
    "party.task_published": _("Resolution result published"),
    "party.task_escalated": _("Overdue resolution escalated"),
    "party.minutes_downloaded": _("Joint meeting minutes downloaded"),
    "party.points_awarded": _("Party member points awarded"),
    "party.points_rule_set": _("Party member points rule set"),
    "party.members_exported": _("Party members exported"),
    "party.pacts_exported": _("Pacts exported"),
    "party.tasks_exported": _("Resolution tasks exported"),
}


class PartyConfig(AppConfig):
    name = "nuanxin.party"
    label = "party"
    verbose_name = _("Party building")

    def ready(self) -> None:
        # A meeting cadence that cannot be read stops the site now, not at the first quarter view.
        from nuanxin.party import life

        life.cadence()

        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)

        # What waits for whoever keeps party work (core.workqueue).
        from nuanxin.core import workqueue
        from nuanxin.party.work import (
            DELIVERIES,
            FOUNDINGS,
            OWN_WORK,
            PROJECTS,
            SOURCE,
            TASKS_TO_VERIFY,
            UNIT_WORK,
        )

        for source in (
            SOURCE,
            FOUNDINGS,
            PROJECTS,
            UNIT_WORK,
            DELIVERIES,
            OWN_WORK,
            TASKS_TO_VERIFY,
        ):
            workqueue.register(source)

        # Approved service hours earn party members points too (core.changes).
        from nuanxin.core import changes
        from nuanxin.party.points import award_for_service

        changes.on("hours.approved", award_for_service)

        # Its period figures, counted by the rollups (core.figures).
        from nuanxin.core import figures
        from nuanxin.party.figures import SOURCES as FIGURES

        for figure_source in FIGURES:
            figures.register(figure_source)

        # The demo community's organisations and members (core.demo_history).
        from nuanxin.core import demo_history
        from nuanxin.party.demo import party_history

        demo_history.register("party", party_history, order=60)
