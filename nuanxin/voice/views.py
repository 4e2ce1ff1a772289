"""Residents' voice pages (docs/voice.md): on the phone, give an opinion and follow one's own;
for staff, enter an opinion heard elsewhere, the triage list and an opinion's outcome; for
everyone, each community's echo wall (回音壁)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nuanxin.cases.models import CaseClass
from nuanxin.core.access import deny, require, require_at
from nuanxin.core.errors import DomainError, show_on_form
from nuanxin.core.http import ScopedRequest
from nuanxin.core.photos import photo_response
from nuanxin.territory.models import Area
from nuanxin.voice import actions, queries
from nuanxin.voice.forms import CaseForm, NeedForm, OpinionForm, RateForm, RecordForm, ReplyForm
from nuanxin.voice.models import Opinion, OpinionCategory, OpinionChannel


def _community_in(data: Any, communities: list[Area]) -> Area | None:
    return next((c for c in communities if str(c.pk) == str(data.get("community"))), None)


def _chosen(form: Any, communities: list[Area]) -> tuple[Area | None, Any]:
    """The community and place a bound form names, among those offered."""
    community = _community_in(form.data, communities)
    place = None
    if community is not None and form.cleaned_data.get("place"):
        place = queries.places_of(community).filter(pk=form.cleaned_data["place"]).first()
    return community, place


def _opinion_form(request: ScopedRequest, form_class: type[OpinionForm], communities: list[Area]) -> Any:
    """The form, bound on a POST; its places are those of the community sent, else the first."""
    data = request.POST if request.method == "POST" else None
    community = (_community_in(data, communities) if data else None) or (communities[0] if communities else None)
    places = queries.places_of(community) if community is not None else []
    form = form_class(data, request.FILES if data else None, communities=communities, places=places)
    if data is None and communities:
        form.initial["community"] = communities[0].pk
    return form


@login_required
def give(request: ScopedRequest) -> HttpResponse:
    """Give an opinion on the phone, named or anonymous, in under a minute."""
    communities = list(queries.communities_to_give(request.scope))
    if not communities:
        raise deny(request.scope, "voice.give")
    form = _opinion_form(request, OpinionForm, communities)
    if request.method == "POST" and form.is_valid():
        community, place = _chosen(form, communities)
        data = form.cleaned_data
        try:
            actions.give_opinion(
                actor=request.user,
                scope=request.scope,
                community=community,  # type: ignore[arg-type]
                category=data["category"],
                text=data["text"],
                place=place,
                anonymous=data["anonymous"],
                photo=data["photo"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(
                request,
                _("Thank you. It is with the community now.")
                if data["anonymous"]
                else _("Thank you. You will be told what becomes of it."),
            )
            return redirect("voice:mine")
    return render(request, "voice/give.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def mine(request: ScopedRequest) -> HttpResponse:
    """The viewer's own named opinions with their outcome, to rate."""
    return render(request, "voice/mine.html", {"opinions": queries.mine(request.user.pk)[:100], "rate": RateForm()})


@login_required
def record(request: ScopedRequest) -> HttpResponse:
    """Staff enter an opinion heard by another channel for someone (代录)."""
    communities = list(queries.communities_to_record(request.scope))
    if not communities:
        raise deny(request.scope, "voice.record")
    form = _opinion_form(request, RecordForm, communities)
    if request.method == "POST" and form.is_valid():
        community, place = _chosen(form, communities)
        data = form.cleaned_data
        try:
            opinion = actions.enter_opinion(
                actor=request.user,
                scope=request.scope,
                community=community,  # type: ignore[arg-type]
                channel=data["channel"],
                category=data["category"],
                text=data["text"],
                place=place,
                anonymous=data["anonymous"],
                photo=data["photo"],
            )
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("The opinion is entered."))
            if request.scope.has_at("voice.view", opinion.area.path):
                return redirect("voice:opinion", opinion.pk)
            return redirect("voice:record")
    return render(request, "voice/record.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def triage(request: ScopedRequest) -> HttpResponse:
    """The topics in the viewer's reach, open first, with filters."""
    require(request.scope, "voice.view")
    rows = queries.triage_list(request.scope)
    state = request.GET.get("state", Opinion.State.OPEN)
    if state in Opinion.State.values:
        rows = rows.filter(state=state)
    category = request.GET.get("category", "")
    if category in OpinionCategory.values:
        rows = rows.filter(category=category)
    channel = request.GET.get("channel", "")
    if channel in OpinionChannel.values:
        rows = rows.filter(channel=channel)
    page = Paginator(rows.order_by("received_at", "id"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "category": category,
        "channel": channel,
        "states": Opinion.State.choices,
        "categories": OpinionCategory.choices,
        "channels": OpinionChannel.choices,
        "may_record": request.scope.has("voice.record"),
    }
    return render(request, "voice/triage.html", context)


def _opinion_page(request: ScopedRequest, opinion: Opinion, **forms: Any) -> HttpResponse:
    manages = opinion.state == Opinion.State.OPEN and request.scope.has_at("voice.manage", opinion.community.path)
    context = {
        "opinion": opinion,
        "grouped": queries.grouped_with(opinion) if request.scope.has_at("voice.view", opinion.area.path) else [],
        "answer_form": forms.get("answer_form") or (ReplyForm() if manages else None),
        "decline_form": forms.get("decline_form") or (ReplyForm() if manages else None),
        "case_form": forms.get("case_form")
        or (CaseForm(classes=CaseClass.objects.filter(active=True).order_by("name")) if manages else None),
        "need_form": forms.get("need_form") or (NeedForm(initial={"title": opinion.text[:100]}) if manages else None),
        "rate_form": RateForm(initial={"rating": opinion.rating or 5})
        if opinion.author_id == request.user.pk and opinion.state != Opinion.State.OPEN
        else None,
    }
    return render(request, "voice/opinion.html", context, status=400 if forms else 200)


@login_required
def opinion_detail(request: ScopedRequest, opinion_id: int) -> HttpResponse:
    return _opinion_page(request, queries.opinion_or_404(request.scope, opinion_id))


@login_required
def opinion_photo(request: ScopedRequest, opinion_id: int) -> HttpResponseBase:
    opinion = queries.opinion_or_404(request.scope, opinion_id)
    if not opinion.photo_name:
        raise deny(request.scope, f"voice.opinion {opinion.pk} photo")
    return photo_response(opinion.photo_name)


# --- the outcome: answered, a case, a need, declined --------------------------------------


def _triage_post(request: ScopedRequest, opinion_id: int, name: str, form: Any, run: Any) -> HttpResponse:
    opinion = queries.opinion_or_404(request.scope, opinion_id)
    require_at(request.scope, "voice.manage", opinion, opinion.community.path)
    if form.is_valid():
        try:
            topic = run(opinion, form.cleaned_data)
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Done: %(n)d opinions of this topic told.") % {"n": len(topic)})
            return redirect("voice:opinion", opinion.pk)
    return _opinion_page(request, opinion, **{name: form})


@login_required
@require_POST
def answer(request: ScopedRequest, opinion_id: int) -> HttpResponse:
    return _triage_post(
        request,
        opinion_id,
        "answer_form",
        ReplyForm(request.POST),
        lambda opinion, data: actions.answer(
            actor=request.user, scope=request.scope, opinion=opinion, reply=data["reply"]
        ),
    )


@login_required
@require_POST
def decline(request: ScopedRequest, opinion_id: int) -> HttpResponse:
    return _triage_post(
        request,
        opinion_id,
        "decline_form",
        ReplyForm(request.POST),
        lambda opinion, data: actions.decline(
            actor=request.user, scope=request.scope, opinion=opinion, reason=data["reply"]
        ),
    )


@login_required
@require_POST
def to_case(request: ScopedRequest, opinion_id: int) -> HttpResponse:
    classes = CaseClass.objects.filter(active=True).order_by("name")
    return _triage_post(
        request,
        opinion_id,
        "case_form",
        CaseForm(request.POST, classes=classes),
        lambda opinion, data: actions.to_case(
            actor=request.user,
            scope=request.scope,
            opinion=opinion,
            case_class=classes.get(pk=data["case_class"]),
            reply=data["reply"],
        ),
    )


@login_required
@require_POST
def to_need(request: ScopedRequest, opinion_id: int) -> HttpResponse:
    return _triage_post(
        request,
        opinion_id,
        "need_form",
        NeedForm(request.POST),
        lambda opinion, data: actions.to_need(
            actor=request.user, scope=request.scope, opinion=opinion, title=data["title"], reply=data["reply"]
        ),
    )


@login_required
@require_POST
def rate(request: ScopedRequest, opinion_id: int) -> HttpResponse:
    """Whoever gave the opinion rates its outcome."""
    opinion = queries.opinion_or_404(request.scope, opinion_id)
    if opinion.author_id != request.user.pk:
        raise deny(request.scope, f"voice.opinion {opinion.pk} rate")
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            actions.rate(actor=request.user, scope=request.scope, opinion=opinion, rating=form.cleaned_data["rating"])
        except DomainError as error:
            show_on_form(form, error)
        else:
            messages.success(request, _("Thank you for rating it."))
            return redirect("voice:mine")
    return render(
        request, "voice/mine.html", {"opinions": queries.mine(request.user.pk)[:100], "rate": form}, status=400
    )


# --- the echo wall: public ------------------------------------------------------------------


def wall(request: ScopedRequest, community_id: int) -> HttpResponse:
    """The community's echo wall (回音壁): each topic with its outcome, newest first, naming
    nobody; searchable. Open to everyone, signed in or not."""
    community = get_object_or_404(Area, pk=community_id, level=Area.Level.COMMUNITY)
    q = request.GET.get("q", "").strip()[:50]
    page = Paginator(queries.wall(community, q), queries.WALL_PAGE).get_page(request.GET.get("page"))
    return render(request, "voice/wall.html", {"community": community, "page": page, "q": q})
