"""Volunteer pages. On the phone: joining without an account and registering in under a
minute, the published activities with sign-up and cancellation, my sign-ups, and the check-in
page the venue's QR code opens. In the console: the organiser's list, an activity's publish
and cancel forms and roster, the QR code to show at the venue, checking people in and out by
hand, and the partners. The rules stay in `nuanxin.volunteers.signups.actions`; a refusal is shown at
the field it names."""

import contextlib
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nuanxin.accounts.models import User
from nuanxin.core import audit, phone_codes, ratelimit
from nuanxin.core.access import deny, require
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.forms import HoneypotForm
from nuanxin.core.http import ScopedRequest
from nuanxin.core.masking import mask_phone
from nuanxin.core.ratelimit import RateLimited, set_retry_after
from nuanxin.core.scoping import Scope
from nuanxin.core.validators import normalize_mobile
from nuanxin.territory.models import Area, Place
from nuanxin.volunteers.models import Attendance, ParticipantGroup, Partner, SignUp, Volunteer
from nuanxin.volunteers.signups import actions as signups
from nuanxin.volunteers.signups import checkins
from nuanxin.volunteers.signups.queries import (
    attendance_of,
    ends_at,
    home_grid_choices,
    kept_partner_or_404,
    kept_partners,
    may_organise,
    my_signup,
    my_signups,
    organised_activities,
    organised_activity_or_404,
    partner_rows,
    published_activities,
    published_activity_or_404,
    roster,
    signup_open,
    signup_or_404,
    starts_at,
    volunteer_of,
)

# The groups a person registers as (community staff are not volunteers by their job).
REGISTER_GROUPS = [(value, label) for value, label in ParticipantGroup.choices if value != ParticipantGroup.STAFF]


# --- registration -------------------------------------------------------------------------------


class RegisterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Real name"), max_length=signups.NAME_MAX)
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    group = forms.ChoiceField(label=gettext_lazy("I come as"), choices=REGISTER_GROUPS, initial=ParticipantGroup.RIDER)
    employer = forms.CharField(
        label=gettext_lazy("Platform or employer"), max_length=signups.EMPLOYER_MAX, required=False
    )
    home_grid = forms.ModelChoiceField(
        label=gettext_lazy("Grid I mostly work in"), queryset=Area.objects.none(), required=False
    )
    skills = forms.CharField(label=gettext_lazy("Skills (comma-separated)"), max_length=400, required=False)
    availability = forms.CharField(
        label=gettext_lazy("When I am free"), max_length=signups.AVAILABILITY_MAX, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["home_grid"]
        field.queryset = home_grid_choices(user)  # type: ignore[attr-defined]
        field.label_from_instance = lambda area: (  # type: ignore[attr-defined]
            f"{area.parent.name} · {area.name}" if area.parent_id else area.name
        )


@login_required
def register(request: ScopedRequest) -> HttpResponse:
    """The phone form: name, phone, group, platform and home grid, then "my volunteering"."""
    if volunteer_of(request.user) is not None:
        return redirect("volunteers:me")
    form = RegisterForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            signups.register_volunteer(actor=request.user, user=request.user, scope=request.scope, **form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Welcome: you are registered as a volunteer."))
            target = request.POST.get("next") or ""
            if target.startswith("/volunteers/checkin/"):
                return redirect(target)
            return redirect("volunteers:me")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "volunteers/signups/register.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


# --- joining without an account -----------------------------------------------------------------

# Joining proves the phone first: the number gets a one-time code by text message (in demo
# mode the development sink shows it on the page), and the account is made only with that
# code. Allowances per client address, shared by every app server (core/ratelimit.py):
# RATE_LIMIT_JOIN accounts made and RATE_LIMIT_JOIN_ATTEMPT posts of either step; per number,
# RATE_LIMIT_PHONE_CODE codes sent.
JOIN_PURPOSE = "join"
_PHONE_TOKEN_SALT = "nuanxin.volunteers.join.phone"


class JoinPhoneForm(HoneypotForm):
    """Step one: the number the code goes to (and the honeypot)."""

    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["phone"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class JoinForm(HoneypotForm):
    """Step two: the code from the text message, and the rest of the registration (and the honeypot)."""

    code = forms.CharField(
        label=gettext_lazy("Code from the text message"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Real name"),
        max_length=signups.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    group = forms.ChoiceField(label=gettext_lazy("I come as"), choices=REGISTER_GROUPS, initial=ParticipantGroup.RIDER)
    employer = forms.CharField(
        label=gettext_lazy("Platform or employer"), max_length=signups.EMPLOYER_MAX, required=False
    )
    home_grid = forms.ModelChoiceField(label=gettext_lazy("Grid I mostly work in"), queryset=Area.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["home_grid"]
        field.queryset = (  # type: ignore[attr-defined]
            Area.objects.filter(level=Area.Level.GRID).defer("boundary").select_related("parent").order_by("path")
        )
        field.label_from_instance = lambda area: (  # type: ignore[attr-defined]
            f"{area.parent.name} · {area.name}" if area.parent_id else area.name
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


# Where joining may lead back to: an activity's check-in, and a report's follow link (to
# follow the report made before having an account, docs/cases.md).
_NEXT_AFTER_JOIN = ("/volunteers/checkin/", "/cases/follow/")


def _next_after_join(request: HttpRequest) -> str:
    """A check-in or follow link to go back to after joining or registering (nothing else: no
    open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target.startswith(_NEXT_AFTER_JOIN) and "//" not in target else ""


def _phone_registered(phone: str) -> bool:
    return (
        User.objects.filter(username__iexact=phone).exists()
        or Volunteer.objects.filter(phone_index=signups.phone_index(phone)).exists()
    )


def _join_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "volunteers/signups/join.html", context, status=status)


def join(request: HttpRequest) -> HttpResponse:
    """The phone page for someone without an account, in two steps. One: the mobile number;
    a one-time code goes to it by text message (core.phone_codes). Two: the code, real name,
    a password twice, group, platform and home grid make the account (it signs in with the
    phone) and the volunteer registration at once (`signups.join`), then sign them in. Per
    address a few joins and posts an hour (429 with Retry-After beyond), a honeypot for bots."""
    if request.user.is_authenticated:
        return redirect("volunteers:register" if volunteer_of(request.user) is None else "field")
    next_url = _next_after_join(request)
    if request.method != "POST":
        return _join_page(request, {"form": JoinPhoneForm(), "next": next_url, "step": "phone"})
    who = ratelimit.who_for(request, "join")
    try:
        ratelimit.check("join", who)
        ratelimit.hit("join_attempt", who)
    except RateLimited as error:
        audit.record("accounts.join_limited", result="denied", detail={})
        page = _join_page(request, {"form": JoinPhoneForm(), "next": next_url, "limited": True}, status=429)
        return set_retry_after(page, error)
    if request.POST.get("step") == "join":
        return _join_with_code(request, next_url, who)
    return _send_join_code(request, next_url)


def _code_step(request: HttpRequest, form: JoinForm, phone: str, next_url: str, shown: str = "") -> dict[str, Any]:
    return {
        "form": form,
        "next": next_url,
        "step": "code",
        "phone_masked": mask_phone(phone),
        "phone_token": signing.dumps(phone, salt=_PHONE_TOKEN_SALT),
        "dev_text": shown,
    }


def _send_join_code(request: HttpRequest, next_url: str) -> HttpResponse:
    """Step one: check the number and send it a code."""
    form = JoinPhoneForm(request.POST)
    if form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            if _phone_registered(phone):
                raise DomainError(_("This phone is registered: sign in."), field="phone", code="registered")
            sent = phone_codes.send_code(
                phone=phone,
                purpose=JOIN_PURPOSE,
                text=_("Your nuanxin code is %(code)s. It is valid for %(minutes)d minutes. Do not tell anyone."),
            )
        except RateLimited as error:
            form.add_error("phone", error.message)
            return set_retry_after(_join_page(request, {"form": form, "next": next_url, "step": "phone"}, 429), error)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            return _join_page(request, _code_step(request, JoinForm(), phone, next_url, sent.shown))
    return _join_page(request, {"form": form, "next": next_url, "step": "phone"}, status=400)


def _join_with_code(request: HttpRequest, next_url: str, who: str) -> HttpResponse:
    """Step two: the code and the registration make the account."""
    try:
        phone = signing.loads(
            request.POST.get("phone_token", ""), salt=_PHONE_TOKEN_SALT, max_age=phone_codes.code_seconds()
        )
    except signing.BadSignature:  # expired or forged: start again from the number
        context = {"form": JoinPhoneForm(), "next": next_url, "step": "phone"}
        return _join_page(request, context | {"error": _("This code has expired. Send a new one.")}, status=400)
    form = JoinForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            phone_codes.check_code(phone=phone, purpose=JOIN_PURPOSE, code=data["code"])
            user = signups.join(
                name=data["name"],
                phone=phone,
                password=data["password"],
                group=data["group"],
                employer=data["employer"],
                home_grid=data["home_grid"],
            )
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            phone_codes.forget_code(phone=phone, purpose=JOIN_PURPOSE)
            ratelimit.spend("join", who)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Sign in next time with your phone number and password."))
            return redirect(next_url or "field")
    return _join_page(request, _code_step(request, form, phone, next_url), status=400)


@login_required
def me(request: ScopedRequest) -> HttpResponse:
    """My volunteering: my registration (phone masked) and my sign-ups."""
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    rows = list(my_signups(volunteer)[:100])
    return render(
        request,
        "volunteers/signups/me.html",
        {"volunteer": volunteer, "phone": mask_phone(volunteer.phone), "signups": rows},
    )


# --- activities on the phone --------------------------------------------------------------------


@login_required
def activity_list(request: ScopedRequest) -> HttpResponse:
    """Published activities not over yet, soonest first, with places left and my state."""
    volunteer = volunteer_of(request.user)
    activities = list(published_activities()[:100])
    mine: dict[int, SignUp] = {}
    if volunteer is not None:
        live = SignUp.objects.filter(volunteer=volunteer, activity__in=activities).exclude(state=SignUp.State.CANCELLED)
        mine = {s.activity_id: s for s in live}
    rows = [{"activity": a, "signup": mine.get(a.pk)} for a in activities]
    return render(request, "volunteers/signups/activities.html", {"rows": rows, "volunteer": volunteer})


class SignUpForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), required=False)

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("Any role")), *[(r, r) for r in roles]]  # type: ignore[attr-defined]


def _activity_page(
    request: ScopedRequest, activity_id: int, form: SignUpForm | None = None, status: int = 200
) -> HttpResponse:
    activity = published_activity_or_404(request.user, activity_id)
    volunteer = volunteer_of(request.user)
    context = {
        "activity": activity,
        "volunteer": volunteer,
        "signup": my_signup(volunteer, activity),
        "open": signup_open(activity),
        "form": form or SignUpForm(roles=activity.roles_needed or []),
        "starts_at": starts_at(activity),
        "ends_at": ends_at(activity),
        "may_organise": may_organise(request.scope, activity),
    }
    return render(request, "volunteers/signups/activity.html", context, status=status)


@login_required
def activity(request: ScopedRequest, activity_id: int) -> HttpResponse:
    return _activity_page(request, activity_id)


@login_required
@require_POST
def sign_up(request: ScopedRequest, activity_id: int) -> HttpResponse:
    activity = published_activity_or_404(request.user, activity_id)
    form = SignUpForm(request.POST, roles=activity.roles_needed or [])
    if form.is_valid():
        try:
            signup = signups.sign_up(actor=request.user, activity=activity, role=form.cleaned_data["role"])
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            if signup.state == SignUp.State.CONFIRMED:
                messages.success(request, _("You are signed up."))
            else:
                messages.info(request, _("The activity is full: you are on the waiting list."))
            return redirect("volunteers:activity", activity.pk)
    return _activity_page(request, activity_id, form=form, status=400)


@login_required
@require_POST
def cancel(request: ScopedRequest, signup_id: int) -> HttpResponse:
    """Cancel one's own sign-up, or, for an organiser, one of their activity (like the API);
    404 for anyone else."""
    signup = signup_or_404(request.scope, signup_id)
    own = signup.volunteer.user_id == request.user.pk
    try:
        signups.cancel_signup(actor=request.user, signup=signup, scope=request.scope)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your sign-up is cancelled.") if own else _("The sign-up is cancelled."))
    return redirect("volunteers:activity" if own else "volunteers:manage", signup.activity_id)


# --- check-in by the venue's code ---------------------------------------------------------------


def checkin(request: ScopedRequest, token: str) -> HttpResponse:
    """The page the venue's QR code opens: check in, then (a second tap) check out. A forged
    or expired code gets a 400 page saying so. A visitor who is not signed in sees the
    activity's title with "join" and "sign in", both coming back here."""
    try:
        activity = checkins.activity_for_token(token)
    except DomainError as exc:
        return render(request, "volunteers/signups/checkin_invalid.html", {"error": exc.message}, status=400)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render(request, "volunteers/signups/checkin_anonymous.html", {"activity": activity})
    volunteer = volunteer_of(request.user)
    error = ""
    status = 200
    if request.method == "POST" and volunteer is not None:
        step = request.POST.get("step")
        try:
            if step == "in":
                checkins.check_in(
                    actor=request.user, scope=request.scope, activity=activity, method=Attendance.Method.QR
                )
                messages.success(request, _("Checked in. Welcome!"))
            elif step == "out":
                checkins.check_out(actor=request.user, scope=request.scope, activity=activity)
                messages.success(request, _("Checked out. Thank you!"))
            else:
                raise DomainError(_("Unknown step."), field="step")
        except DomainError as exc:
            error, status = exc.message, 400
        else:
            return redirect("volunteers:checkin", token)
    context = {
        "activity": activity,
        "volunteer": volunteer,
        "attendance": attendance_of(volunteer, activity),
        "error": error,
        "token": token,
    }
    return render(request, "volunteers/signups/checkin.html", context, status=status)


# --- organisers ---------------------------------------------------------------------------------


@login_required
def organise(request: ScopedRequest) -> HttpResponse:
    """The activities the viewer may publish or run, upcoming first."""
    if not (request.scope.has("activities.manage") or request.scope.has("volunteers.manage")):
        require(request.scope, "activities.manage")
    activities = list(organised_activities(request.scope)[:200])
    return render(request, "volunteers/signups/organise.html", {"activities": activities})


class PublishForm(forms.Form):
    start_time = forms.TimeField(label=gettext_lazy("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=gettext_lazy("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}))
    capacity = forms.IntegerField(label=gettext_lazy("Capacity (empty: no limit)"), required=False, min_value=1)
    roles_needed = forms.CharField(
        label=gettext_lazy("Roles needed (comma-separated)"), max_length=1200, required=False
    )
    venue = forms.CharField(label=gettext_lazy("Venue used"), max_length=signups.RESOURCE_TEXT_MAX, required=False)
    money = forms.DecimalField(label=gettext_lazy("Money used (yuan)"), required=False, min_value=0, decimal_places=2)
    goods = forms.CharField(label=gettext_lazy("Goods used"), max_length=signups.RESOURCE_TEXT_MAX, required=False)


def _publish_initial(activity: Any) -> dict[str, Any]:
    resources = activity.resources or {}
    return {
        "start_time": activity.start_time,
        "end_time": activity.end_time,
        "capacity": activity.capacity,
        "roles_needed": "，".join(activity.roles_needed or []),
        "venue": resources.get("venue", ""),
        "money": resources.get("money"),
        "goods": resources.get("goods", ""),
    }


@login_required
def manage(request: ScopedRequest, activity_id: int) -> HttpResponse:
    """An activity's organiser page: publish it (times, capacity, roles, resources), its
    roster (names masked) and links to the venue's code and the attendance."""
    activity = organised_activity_or_404(request.scope, activity_id)
    may_publish = request.scope.has_at("activities.manage", activity.area.path)
    form = PublishForm(request.POST or None, initial=_publish_initial(activity))
    status = 200
    if request.method == "POST":
        if not may_publish:
            organised_activity_or_404(request.scope, activity_id, publish=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                signups.publish_activity(
                    actor=request.user,
                    activity=activity,
                    scope=request.scope,
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    capacity=data["capacity"],
                    roles_needed=data["roles_needed"] or "",
                    resources={"venue": data["venue"], "money": data["money"], "goods": data["goods"]},
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("The activity is open for sign-up."))
                return redirect("volunteers:manage", activity.pk)
        status = 400
    return _manage_page(request, activity, form=form, may_publish=may_publish, status=status)


class CancelActivityForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to everyone signed up)"), max_length=signups.CANCEL_REASON_MAX
    )


def _manage_page(
    request: ScopedRequest,
    activity: Any,
    *,
    form: PublishForm,
    may_publish: bool,
    cancel_form: CancelActivityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    end = ends_at(activity)
    context = {
        "activity": activity,
        "form": form,
        "may_publish": may_publish,
        "may_cancel": may_publish
        and activity.published
        and not activity.cancelled
        and (end is None or end > timezone.now()),
        "cancel_form": cancel_form or CancelActivityForm(),
        "roster": roster(activity),
        "starts_at": starts_at(activity),
        "ends_at": end,
    }
    return render(request, "volunteers/signups/manage.html", context, status=status)


@login_required
@require_POST
def cancel_activity(request: ScopedRequest, activity_id: int) -> HttpResponse:
    """Cancel a published activity with a reason (organisers with activities.manage there);
    everyone confirmed or waiting is told."""
    activity = organised_activity_or_404(request.scope, activity_id, publish=True)
    cancel_form = CancelActivityForm(request.POST)
    if cancel_form.is_valid():
        try:
            signups.cancel_activity(
                actor=request.user, activity=activity, reason=cancel_form.cleaned_data["reason"], scope=request.scope
            )
        except DomainError as exc:
            show_on_form(cancel_form, exc)
        else:
            messages.success(request, _("The activity is cancelled; the people signed up are told."))
            return redirect("volunteers:manage", activity.pk)
    form = PublishForm(initial=_publish_initial(activity))
    return _manage_page(request, activity, form=form, may_publish=True, cancel_form=cancel_form, status=400)


@login_required
def qr(request: ScopedRequest, activity_id: int) -> HttpResponse:
    """The venue's code: an SVG of the absolute check-in link, with the hours it is valid."""
    activity = organised_activity_or_404(request.scope, activity_id)
    context: dict[str, Any] = {"activity": activity, "svg": "", "url": "", "window": None}
    if activity.published and activity.checkin_secret and not activity.cancelled:
        url = request.build_absolute_uri(reverse("volunteers:checkin", args=[checkins.checkin_token(activity)]))
        context["url"] = url
        context["svg"] = segno.make(url, error="m").svg_inline(scale=8, border=2, omitsize=False)
        context["window"] = checkins.checkin_window(activity)
    return render(request, "volunteers/signups/qr.html", context)


class AttendanceForm(forms.Form):
    volunteer = forms.ModelChoiceField(queryset=Volunteer.objects.none())
    step = forms.ChoiceField(choices=[("in", "in"), ("out", "out")])

    def __init__(self, *args: Any, activity: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = Volunteer.objects.filter(  # type: ignore[attr-defined]
            pk__in=SignUp.objects.filter(activity=activity).exclude(state=SignUp.State.CANCELLED).values("volunteer_id")
        )


@login_required
def attendance(request: ScopedRequest, activity_id: int) -> HttpResponse:
    """Check people in and out by hand, from the roster."""
    activity = organised_activity_or_404(request.scope, activity_id)
    error = ""
    status = 200
    if request.method == "POST":
        form = AttendanceForm(request.POST, activity=activity)
        if form.is_valid():
            volunteer = form.cleaned_data["volunteer"]
            try:
                if form.cleaned_data["step"] == "in":
                    checkins.check_in(
                        actor=request.user,
                        activity=activity,
                        volunteer=volunteer,
                        method=Attendance.Method.BY_HAND,
                        scope=request.scope,
                    )
                else:
                    checkins.check_out(
                        actor=request.user, activity=activity, volunteer=volunteer, by_hand=True, scope=request.scope
                    )
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("volunteers:attendance", activity.pk)
        else:
            error = _("Choose a volunteer signed up for this activity.")
        status = 400
    context = {"activity": activity, "roster": roster(activity), "error": error, "now": timezone.now()}
    return render(request, "volunteers/signups/attendance.html", context, status=status)


# --- partners -----------------------------------------------------------------------------------


class PartnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Partner.Kind.choices)
    place = forms.ModelChoiceField(
        label=gettext_lazy("Place (merchant or unit, optional)"), queryset=Place.objects.none(), required=False
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = (  # type: ignore[attr-defined]
            Place.objects.filter(scope.q("partners.manage", "grid__path"))
            .exclude(kind__in=[Place.Kind.COMPOUND, Place.Kind.BUILDING])
            .order_by("name", "id")
        )


@login_required
def partners(request: ScopedRequest) -> HttpResponse:
    """The partners the viewer keeps (representatives masked), for staff with
    volunteers.manage; the form to add one for those with partners.manage only (a post
    without it is refused, 404)."""
    require(request.scope, "volunteers.manage")
    may_add = request.scope.has("partners.manage")
    if request.method == "POST" and not may_add:
        raise deny(request.scope, "partners.manage")
    form = PartnerForm(request.POST or None, scope=request.scope) if may_add else None
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            data = form.cleaned_data
            try:
                partner = signups.create_partner(
                    actor=request.user, name=data["name"], kind=data["kind"], place=data["place"], scope=request.scope
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("The partner is added."))
                return redirect("volunteers:partner", partner.pk)
        status = 400
    rows = partner_rows(list(kept_partners(request.scope)[:500]))
    return render(request, "volunteers/signups/partners.html", {"rows": rows, "form": form}, status=status)


class RepresentativeForm(forms.Form):
    user = forms.CharField(label=gettext_lazy("Account (username or mobile phone)"), max_length=150)

    def clean_user(self) -> Any:
        value = self.cleaned_data["user"].strip()
        with contextlib.suppress(DomainError):  # a phone as typed: the username it became
            value = normalize_mobile(value)
        user = User.objects.filter(username__iexact=value, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No account with this username."))
        return user


@login_required
def partner(request: ScopedRequest, partner_id: int) -> HttpResponse:
    """One partner: its kind, place, representatives (masked) and volunteers count, with a
    form to add a representative for those with accounts.manage where the partner is (the
    action says why not to anyone else who posts). 404 outside the viewer's reach."""
    require(request.scope, "volunteers.manage")
    found = kept_partner_or_404(request.scope, partner_id)
    if found.place is not None:
        may_add = request.scope.has_at("accounts.manage", found.place.grid.path)
    else:
        may_add = request.scope.has("accounts.manage")
    form = RepresentativeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                signups.add_representative(
                    actor=request.user, partner=found, user=form.cleaned_data["user"], scope=request.scope
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("The representative is added."))
                return redirect("volunteers:partner", found.pk)
        status = 400
    row = partner_rows([found])[0]
    return render(
        request,
        "volunteers/signups/partner.html",
        {"row": row, "partner": found, "form": form, "may_add": may_add},
        status=status,
    )
