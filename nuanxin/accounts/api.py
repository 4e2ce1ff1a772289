from ninja import Router, Schema

from nuanxin.accounts.actions import issue_token
from nuanxin.accounts.scope import scope_of
from nuanxin.core.http import ScopedRequest

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str
    password: str


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
    user, token = issue_token(request=request, username=payload.username, password=payload.password)
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
