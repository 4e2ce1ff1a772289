from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the audit log calls this app's actions (core.audit_labels).
AUDIT_LABELS = {
    "accounts.login": _("Signed in"),
    "accounts.login_failed": _("Sign-in failed"),
    "accounts.logout": _("Signed out"),
    "accounts.user_created": _("Account created"),
    "accounts.role_granted": _("Role granted"),
    "accounts.role_revoked": _("Role revoked"),
    "accounts.token_issued": _("API token issued"),
    "accounts.token_revoked": _("API token revoked"),
    "accounts.tokens_revoked": _("All API tokens revoked"),
    "accounts.mfa_enrolled": _("Two-step sign-in set up"),
    "accounts.mfa_verified": _("Two-step sign-in passed"),
    "accounts.mfa_failed": _("Two-step sign-in failed"),
    "accounts.mfa_recovery_code_used": _("Recovery code used"),
    "accounts.mfa_reset": _("Two-step sign-in reset"),
    "admin.password_changed": _("Password changed in the admin site"),
}


class AccountsConfig(AppConfig):
    name = "nuanxin.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from nuanxin.accounts import signals  # noqa: F401  (audit of logins)

        # What the audit log calls its actions.
        from nuanxin.core import audit_labels

        audit_labels.describe(AUDIT_LABELS)
