"""The rider-friendly community: warm stations (温新驿站), rider meal offers, free temporary
parking points and green delivery channels into compounds.

A station is a place of kind "station" (its name, address, coordinates and grid live on the
place, as for every located thing) with what a rider needs to know: its code, host unit,
opening hours, amenities, capacity, contact and whether it is open now. Stations, offers,
parking points and channels are public: anyone sees them, signed in or not (a rider looks
for a station before having an account); writing them is for staff holding stations.manage
where they are.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nuanxin.core.models import PhotoRecord
from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.territory.models import Area, Place


class Amenity(models.TextChoices):
    HOT_WATER = "hot_water", _("hot water")
    WIFI = "wifi", _("Wi-Fi")
    FIRST_AID = "first_aid", _("first-aid kit")
    MICROWAVE = "microwave", _("microwave")
    TOILET = "toilet", _("toilet")
    CHARGING = "charging", _("phone and e-bike charging")
    FRIDGE = "fridge", _("fridge")
    SEATS = "seats", _("seats")
    UMBRELLA = "umbrella", _("umbrellas to borrow")
    REPAIR_KIT = "repair_kit", _("repair kit")


PUBLIC = Q(pk__isnull=False)


class Station(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("a station", "open")
        CLOSED = "closed", _("temporarily closed")

    place = models.OneToOneField(Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="station")
    code = models.SlugField(_("code"), max_length=20, unique=True)
    host = models.ForeignKey(
        Place,
        verbose_name=_("host unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_stations",
    )
    # As typed ("00:00-24:00", "09:00-12:00,14:00-22:00") and as parsed: [["09:00", "22:00"], ...].
    opening_hours_text = models.CharField(_("opening hours"), max_length=100)
    opening_hours = models.JSONField(default=list, editable=False)
    amenities = models.JSONField(_("amenities"), default=list, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=30, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    scoping = Scoping(permission="stations.view", area="place__grid__path", public=PUBLIC, anonymous=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("warm station")
        verbose_name_plural = _("warm stations")

    def __str__(self) -> str:
        return self.place.name

    @property
    def audit_area_path(self) -> str:
        return self.place.grid.path if self.place.grid_id else ""


class StationPhoto(PhotoRecord):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="photos")

    class Meta(PhotoRecord.Meta):
        verbose_name = _("station photo")
        verbose_name_plural = _("station photos")

    def __str__(self) -> str:
        return f"station photo #{self.pk}"


class StationCheckIn(models.Model):
    """Someone scanned the station's code: use is counted per hour and per day."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="checkins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="station_checkins")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("station check-in")
        verbose_name_plural = _("station check-ins")
        indexes = [models.Index(fields=["station", "at"])]

    def __str__(self) -> str:
        return f"station check-in #{self.pk}"


class MealOffer(models.Model):
    """A merchant's meal offer for riders (骑手专属用餐)."""

    merchant = models.ForeignKey(
        Place, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="meal_offers"
    )
    title = models.CharField(_("offer"), max_length=120)
    price = models.DecimalField(_("price (yuan)"), max_digits=7, decimal_places=2, null=True, blank=True)
    discount = models.CharField(_("discount"), max_length=60, blank=True)
    hours_text = models.CharField(_("hours"), max_length=100)
    hours = models.JSONField(default=list, editable=False)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("offered"), default=True)

    scoping = Scoping(permission="stations.view", area="merchant__grid__path", public=PUBLIC, anonymous=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["merchant__name", "id"]
        verbose_name = _("rider meal offer")
        verbose_name_plural = _("rider meal offers")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="meal_offer_dates",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=False) | ~Q(discount=""), name="meal_offer_price_or_discount"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ParkingPoint(models.Model):
    """A free temporary parking point for delivery vehicles (临时停靠点)."""

    name = models.CharField(_("name"), max_length=120)
    lng = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    grid = models.ForeignKey(Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="parking_points")
    capacity = models.PositiveIntegerField(_("capacity"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    scoping = Scoping(permission="stations.view", area="grid__path", public=PUBLIC, anonymous=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("parking point")
        verbose_name_plural = _("parking points")

    def __str__(self) -> str:
        return self.name


class GreenChannel(models.Model):
    """An agreed fast entry route for deliveries into a compound (送餐绿色通道)."""

    compound = models.ForeignKey(
        Place, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="green_channels"
    )
    gate = models.CharField(_("gate"), max_length=60)
    route = models.CharField(_("route"), max_length=300)
    hours_text = models.CharField(_("hours"), max_length=100)
    hours = models.JSONField(default=list, editable=False)
    rules = models.CharField(_("rules"), max_length=500, blank=True)
    contact = models.CharField(_("contact"), max_length=60, blank=True)

    scoping = Scoping(permission="stations.view", area="compound__grid__path", public=PUBLIC, anonymous=True)
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["compound__name", "gate"]
        verbose_name = _("green delivery channel")
        verbose_name_plural = _("green delivery channels")

    def __str__(self) -> str:
        return f"{self.compound} {self.gate}"
