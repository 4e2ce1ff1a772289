"""The territory tree (city → district → street → community → grid), places and staffing."""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nuanxin.core.scoping import ScopedQuerySet, Scoping


class Area(models.Model):
    class Level(models.TextChoices):
        CITY = "city", _("city")
        DISTRICT = "district", _("district")
        STREET = "street", _("street")
        COMMUNITY = "community", _("community")
        GRID = "grid", _("grid")

    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of codes, "530112/001/007/", fixed at creation: a subtree is a prefix.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    boundary = models.JSONField(_("boundary (GeoJSON)"))
    center_lng = models.FloatField(_("centre longitude"))
    center_lat = models.FloatField(_("centre latitude"))
    updated_at = models.DateTimeField(auto_now=True)

    # Areas are public information (names and boundaries); editing is scoped by role.
    scoping = Scoping(permission="territory.view", area="path", public=Q(pk__isnull=False))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [models.UniqueConstraint(fields=["parent", "code"], name="area_code_unique_in_parent")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.path

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


# Which level may sit under which (a district may also be a root when no city is kept).
CHILD_LEVEL = {
    Area.Level.CITY: Area.Level.DISTRICT,
    Area.Level.DISTRICT: Area.Level.STREET,
    Area.Level.STREET: Area.Level.COMMUNITY,
    Area.Level.COMMUNITY: Area.Level.GRID,
}


class Place(models.Model):
    class Kind(models.TextChoices):
        COMPOUND = "compound", _("residential compound")
        BUILDING = "building", _("building")
        COMMERCIAL_CENTRE = "commercial_centre", _("commercial centre")
        PUBLIC_UNIT = "public_unit", _("public unit")
        MERCHANT = "merchant", _("merchant")
        ENTERPRISE = "enterprise", _("enterprise")
        STATION = "station", _("warm station")

    # Kinds every signed-in user may see (the public map); the rest follow the territory.
    PUBLIC_KINDS = (Kind.COMMERCIAL_CENTRE, Kind.PUBLIC_UNIT, Kind.STATION)
    # Kinds named on the basemap, for anyone (their names and points only: territory/basemap.py).
    BASEMAP_KINDS = (Kind.COMPOUND, Kind.BUILDING, *PUBLIC_KINDS)

    # Indexed in Meta: only compared whole, so without the _like twin of db_index.
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    # Indexed by the (grid, kind) index below.
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="places",
        limit_choices_to={"level": "grid"},
        db_index=False,
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("within"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scoping = Scoping(permission="places.view", area="grid__path", unit="id", public=Q(kind__in=PUBLIC_KINDS))
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid__path", "kind", "name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        # (lng, lat) of stations only: the nearest-station search narrows by a box around the
        # phone first, and in a city a box holds a hundred times more merchants than stations.
        indexes = [
            models.Index(fields=["grid", "kind"]),
            models.Index(fields=["lng", "lat"], condition=Q(kind="station"), name="place_station_lng_lat"),
            models.Index(fields=["kind"], name="place_kind"),
            # The condition as equalities joined by OR, not IN: PostgreSQL prints an IN list back
            # in a form that reads as another definition, and the city generator's bulk load
            # (core/bulk.py) recreates indexes from what PostgreSQL prints.
            models.Index(
                fields=["lng", "lat"],
                condition=Q(kind="compound")
                | Q(kind="building")
                | Q(kind="commercial_centre")
                | Q(kind="public_unit")
                | Q(kind="station"),
                name="place_basemap_lng_lat",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class StaffAssignment(models.Model):
    """A person's dated duty on a grid under the "2+3(1)+N" formula (定人定责)."""

    class Duty(models.TextChoices):
        GRID_LEADER = "grid_leader", _("grid leader")
        GRID_ADVISOR = "grid_advisor", _("grid advisor")
        GRID_WORKER = "grid_worker", _("full-time grid worker")
        PART_TIME_WORKER = "part_time_worker", _("part-time grid worker")
        GRID_HELPER = "grid_helper", _("grid helper")

    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="assignments",
        limit_choices_to={"level": "grid"},
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="assignments"
    )
    duty = models.CharField(_("duty"), max_length=20, choices=Duty.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True, help_text=_("Empty while the duty continues."))
    note = models.CharField(_("note"), max_length=200, blank=True)

    scoping = Scoping(permission="staffing.view", area="grid__path", owner="person_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid__path", "duty", "starts_on"]
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="assignment_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid} {self.get_duty_display()} {self.person}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    @staticmethod
    def active_on_q(day: date, prefix: str = "") -> Q:
        kw: dict[str, Any] = {f"{prefix}starts_on__lte": day}
        return Q(**kw) & (Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day}))


class BasemapLine(models.Model):
    """A line or shape an office draws on its community's basemap: roads, paths, rivers,
    railways, parks (docs/territory.md, "The basemap"). Imported as GeoJSON per community
    (actions.import_basemap replaces the community's lines); coordinates WGS-84.

    Like the wall map in the office, the basemap is public: anyone, signed in or not, reads
    its lines (docs/decisions/0008-a-public-basemap.md)."""

    class Kind(models.TextChoices):
        ROAD = "road", _("road")
        PATH = "path", _("footpath")
        WATER = "water", _("water")
        RAILWAY = "railway", _("railway")
        GREEN = "green", _("green space")
        OTHER = "other", _("other")

    community = models.ForeignKey(
        Area,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        related_name="basemap_lines",
        limit_choices_to={"level": "community"},
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    # The geometry's bounds: the basemap is read a map view (a box) at a time.
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()

    scoping = Scoping(permission="territory.view", area="community__path", public=Q(pk__isnull=False), anonymous=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["community", "kind", "id"]
        verbose_name = _("basemap line")
        verbose_name_plural = _("basemap lines")
        indexes = [models.Index(fields=["min_lng", "max_lng"], name="basemap_line_lng")]

    def __str__(self) -> str:
        return self.name or self.get_kind_display()

    @property
    def audit_area_path(self) -> str:
        return self.community.path
