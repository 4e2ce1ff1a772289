"""Signing in with a mobile number: a volunteer who joined from the phone knows their phone
and password, not the username the system made up for them."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from nuanxin.core.errors import DomainError
from nuanxin.core.validators import normalize_mobile
from nuanxin.volunteers.models import Volunteer
from nuanxin.volunteers.signups.actions import phone_index


class PhoneBackend(ModelBackend):
    """Authenticates "username" as a mobile number through the volunteers' phone blind index;
    anything that is not a mobile number is left to the other backends."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not username or not password:
            return None
        try:
            phone = normalize_mobile(username)
        except DomainError:
            return None
        volunteer = Volunteer.objects.select_related("user").filter(phone_index=phone_index(phone)).first()
        if volunteer is None:
            return None
        user = volunteer.user
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
