"""Logins, logouts and failed logins go to the audit log (never the password). An account's
API tokens are revoked when its password changes, when it is deactivated and when one of its
roles is withdrawn, whatever path made the change (an action, the admin, a command); and any
change to the account, its roles or its tokens makes the worker processes forget what they
remembered of its tokens."""

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from nuanxin.accounts.actions import TokenRevoked, revoke_tokens
from nuanxin.accounts.models import ApiToken, RoleGrant, User
from nuanxin.accounts.token_memory import restamp
from nuanxin.core import audit


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        request.session["login_at"] = int(time.time())
    audit.record("accounts.login", actor=user, obj=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("accounts.logout", actor=user, obj=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # A mistyped username is often a password typed into the wrong box: name only real accounts.
    typed = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=typed).first()
    audit.record(
        "accounts.login_failed",
        result="failed",
        obj=user,
        object_repr=typed if user else f"(unknown account, {len(typed)} characters)",
    )


@receiver(post_save, sender=User)
def _revoke_tokens_of_changed_account(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if created or (update_fields is not None and not {"password", "is_active"} & set(update_fields)):
        return
    # `_password` holds the new password from set_password until the save is done; Django
    # clears it for a hash upgrade at sign-in, which is not a change. An unusable password
    # (set_unusable_password) locks the account's password sign-in: its tokens go too.
    if getattr(instance, "_password", None) is not None or not instance.has_usable_password():
        revoke_tokens(actor=None, user=instance, reason=TokenRevoked.PASSWORD_CHANGED)
    elif not instance.is_active:
        revoke_tokens(actor=None, user=instance, reason=TokenRevoked.DEACTIVATED)


@receiver(post_delete, sender=RoleGrant)
def _revoke_tokens_of_withdrawn_role(sender: Any, instance: RoleGrant, **kwargs: Any) -> None:
    # A token carries no roles of its own, but a client holding one may have cached what the
    # role let it see: it signs in again and starts from what the account holds now.
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        revoke_tokens(actor=None, user=user, reason=TokenRevoked.ROLE_WITHDRAWN)


# What a worker remembers of a bearer token (accounts/token_memory.py) rests on the user row,
# the role grants and the token: any change to them makes every process read them again.
@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _forget_remembered_account(sender: Any, instance: User, **kwargs: Any) -> None:
    restamp(instance.pk)


@receiver(post_save, sender=RoleGrant)
@receiver(post_delete, sender=RoleGrant)
@receiver(post_delete, sender=ApiToken)
def _forget_remembered_tokens(sender: Any, instance: RoleGrant | ApiToken, **kwargs: Any) -> None:
    restamp(instance.user_id)
