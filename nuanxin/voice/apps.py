from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "voice.opinion_given": _("Opinion given"),
    "voice.opinion_answered": _("Opinion answered"),
    "voice.opinion_case": _("Opinion turned into a case"),
    "voice.opinion_need": _("Opinion added to the needs list"),
    "voice.opinion_declined": _("Opinion declined"),
    "voice.opinion_rated": _("Opinion's outcome rated"),
}


class VoiceConfig(AppConfig):
    name = "nuanxin.voice"
    label = "voice"
    verbose_name = _("Residents' voice")

    def ready(self) -> None:
        from nuanxin.core import audit_labels, demo_history, figures, workqueue
        from nuanxin.voice.demo import voice_history
        from nuanxin.voice.figures import SOURCE as FIGURES
        from nuanxin.voice.work import TO_TRIAGE

        audit_labels.describe(AUDIT_LABELS)
        workqueue.register(TO_TRIAGE)
        figures.register(FIGURES)
        # After the party's history: an opinion may become a need of its alliance.
        demo_history.register("voice", voice_history, order=70)
