"""Residents, households, special groups and key persons.

ID numbers, phones and tag categories are personal data: stored AES-GCM encrypted
(`EncryptedTextField`) with an HMAC blind index beside them for exact lookup, and shown
masked except through an audited reveal. Each row carries its grid (denormalised from its
place) so the scope check is one path prefix.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nuanxin.core.fields import EncryptedTextField
from nuanxin.core.masking import mask_id_number, mask_phone
from nuanxin.core.scoping import ScopedQuerySet, Scoping
from nuanxin.territory.models import Area, Place

# Blind-index purposes: one per kind of value, so equal texts in different columns never match.
ID_NUMBER_PURPOSE = "people.id_number"
PHONE_PURPOSE = "people.phone"
TAG_CATEGORY_PURPOSE = "people.tag_category"

# Places people live in.
HOME_KINDS = (Place.Kind.COMPOUND, Place.Kind.BUILDING)


class Household(models.Model):
    number = models.CharField(_("number"), max_length=40, help_text=_("Building-unit-room, e.g. 3-2-501."))
    # Indexed by the unique (place, number) below.
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="households", db_index=False
    )
    grid = models.ForeignKey(Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="households")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scoping = Scoping(permission="people.view", area="grid__path")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["place_id", "number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [models.UniqueConstraint(fields=["place", "number"], name="household_number_unique_in_place")]

    def __str__(self) -> str:
        return f"{self.place.name} {self.number}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path


class Resident(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    name = models.CharField(_("name"), max_length=30)
    # Full pinyin without spaces or tones ("zhangsan") and initials ("zs"): sort and search keys.
    # The pinyin is indexed in Meta (for the sort; a substring search cannot use a btree); the
    # initials with db_index, whose PostgreSQL _like twin serves the prefix search.
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, editable=False)
    name_initials = models.CharField(_("initials"), max_length=60, db_index=True, editable=False)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    # Only the year of birth is kept in the clear (for age statistics); the date stays inside
    # the encrypted ID number.
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    # The blind indexes are only ever compared whole: indexed in Meta, without a _like twin.
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, editable=False)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    place = models.ForeignKey(Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="residents")
    # Indexed by the (grid, name_pinyin) index below.
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="residents", db_index=False
    )
    # The resident's own account, if they have one: they see their own record.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_records",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scoping = Scoping(permission="people.view", area="grid__path", owner="user_id")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name_pinyin", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"], condition=~Q(id_number_index=""), name="resident_id_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["grid", "name_pinyin"]),
            models.Index(fields=["name_pinyin"], name="resident_name_pinyin"),
            models.Index(fields=["id_number_index"], name="resident_id_number_index"),
            models.Index(fields=["phone_index"], name="resident_phone_index"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_area_path(self) -> str:
        return self.grid.path

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class SpecialGroup(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
    DISABLED = "disabled", _("person with a disability")
    LEFT_BEHIND_CHILD = "left_behind_child", _("left-behind child")
    LOW_INCOME = "low_income", _("low-income (dibao) household")
    VETERAN = "veteran", _("veteran")


class KeyPersonCategory(models.TextChoices):
    COMMUNITY_CORRECTION = "community_correction", _("under community correction")
    DRUG_REHABILITATION = "drug_rehabilitation", _("in community drug rehabilitation")
    MENTAL_ILLNESS_CARE = "mental_illness_care", _("severe mental illness under care")
    RELEASED_PRISONER = "released_prisoner", _("released from prison")


class ResidentTag(models.Model):
    """A special-group or key-person tag. Its category and note are encrypted; who may see
    a tag depends on its kind (TAG_PERMISSION) at the resident's grid."""

    class Kind(models.TextChoices):
        SPECIAL_GROUP = "special_group", _("special group")
        KEY_PERSON = "key_person", _("key person")

    resident = models.ForeignKey(Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    category = EncryptedTextField(_("category"))
    category_index = models.CharField(max_length=64, db_index=True, editable=False)
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        constraints = [
            models.UniqueConstraint(fields=["resident", "category_index"], name="resident_tag_unique_category")
        ]

    def __str__(self) -> str:
        # Neither the category nor the kind: this text may land in the audit log, and the kind
        # alone tells that someone is a key person.
        return f"tag #{self.pk}"

    @property
    def audit_area_path(self) -> str:
        return self.resident.grid.path

    @property
    def category_label(self) -> str:
        categories = TAG_CATEGORIES.get(self.kind)
        return str(dict(categories.choices).get(self.category, self.category)) if categories else self.category

    @property
    def is_key_person(self) -> bool:
        return self.kind == self.Kind.KEY_PERSON


TAG_CATEGORIES: dict[str, type[models.TextChoices]] = {
    ResidentTag.Kind.SPECIAL_GROUP: SpecialGroup,
    ResidentTag.Kind.KEY_PERSON: KeyPersonCategory,
}

# The permission a viewer needs, at the resident's grid, to see a tag of this kind.
TAG_PERMISSION: dict[str, str] = {
    ResidentTag.Kind.SPECIAL_GROUP: "people.view_special",
    ResidentTag.Kind.KEY_PERSON: "people.view_key_person",
}
