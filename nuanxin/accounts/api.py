from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from nuanxin.accounts.actions import TokenRevoked, issue_token, revoke_token
from nuanxin.accounts.models import ApiToken
from nuanxin.accounts.scope import scope_of
from nuanxin.core import ratelimit
from nuanxin.core.errors import DomainError
from nuanxin.core.http import ScopedRequest
from nuanxin.core.schemas import Id

router = Router(tags=["accounts"])


class TokenIn(Schema):
    # A username or a mobile number in any spelling ("+86 199-5550-1234"): normalised first.
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)
    # The code from the authenticator app (or a recovery code): required for accounts with
    # two-step verification (docs/accounts-mfa.md).
    otp: str | None = None


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    username: str


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    permissions: list[str]


@router.post("/token", auth=None, response=TokenOut)
def create_token(request: ScopedRequest, payload: TokenIn) -> dict:
    """Exchange a username and password for a bearer token (lockout applies)."""
    ratelimit.limit(request, "sign_in")
    user, token = issue_token(request=request, username=payload.username, password=payload.password, otp=payload.otp)
    return {"token": token, "username": user.username}


@router.get("/me", response=MeOut)
def me(request: ScopedRequest) -> dict:
    user = request.user
    scope = scope_of(user)
    return {
        "username": user.username,
        "name": str(user),
        "roles": sorted(user.roles),
        "permissions": sorted(scope.reach) if not scope.everything else ["*"],
    }


class TokenInfoOut(Schema):
    id: int
    created_at: datetime
    last_used_at: datetime | None
    # When it stops working unless used again: its expiry or the end of its idle allowance.
    expires_at: datetime
    # True for the token this request was sent with.
    current: bool


@router.get("/tokens", response=list[TokenInfoOut])
def my_tokens(request: ScopedRequest) -> list[dict]:
    """The caller's tokens that still work, newest first (never the token itself)."""
    current = getattr(request, "api_token_id", None)
    return [
        {
            "id": row.pk,
            "created_at": row.created_at,
            "last_used_at": row.last_used_at,
            "expires_at": row.usable_until,
            "current": row.pk == current,
        }
        for row in ApiToken.objects.active().filter(user=request.user).order_by("-created_at", "-pk")
    ]


@router.delete("/token", response={204: None})
def revoke_this_token(request: ScopedRequest) -> Status:
    """Revoke the bearer token this request was sent with (signing out an app)."""
    token_id = getattr(request, "api_token_id", None)
    current = ApiToken.objects.filter(pk=token_id, user=request.user).first() if token_id else None
    if current is None:
        raise DomainError(
            _("Send the bearer token to revoke in the Authorization header."), field="Authorization", code="no_token"
        )
    revoke_token(actor=request.user, token=current, reason=TokenRevoked.BY_CLIENT)
    return Status(204, None)


@router.delete("/tokens/{token_id}", response={204: None})
def revoke_my_token(request: ScopedRequest, token_id: Id) -> Status:
    """Revoke one of the caller's own tokens (another account's token is not found)."""
    row = ApiToken.objects.active().filter(pk=token_id, user=request.user).first()
    if row is None:
        raise Http404
    revoke_token(actor=request.user, token=row, reason=TokenRevoked.BY_CLIENT)
    return Status(204, None)
