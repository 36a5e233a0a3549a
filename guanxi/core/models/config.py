"""Configuration kept in the database: custom fields, numbering, currencies (PLT-3)."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guanxi.core.choices import CustomFieldType


def localized(english: str, chinese: str) -> str:
    """Return the Chinese text under a Chinese UI when there is one, else the English."""
    language = (get_language() or "").lower()
    if language.startswith("zh") and chinese:
        return chinese
    return english or chinese


class CustomField(models.Model):
    """Define one extra field of an entity; values live in the record's `custom` JSON."""

    entity = models.CharField(_("entity"), max_length=50)
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Letters, digits and underscores; used in the API and exports."),
    )
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100, blank=True)
    field_type = models.CharField(_("type"), max_length=20, choices=CustomFieldType.choices)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For choice fields: a list of {value, label_en, label_zh}."),
    )
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    show_in_list = models.BooleanField(_("show in list by default"), default=False)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="core_customfield_unique_key")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self.label_en, self.label_zh)

    def choice_options(self) -> list[tuple[str, str]]:
        """Return the (value, label) pairs of a choice field in the active language."""
        return [
            (str(item.get("value")), localized(item.get("label_en", ""), item.get("label_zh", "")))
            for item in self.choices
            if isinstance(item, dict) and item.get("value") not in (None, "")
        ]


class Sequence(models.Model):
    """Hand out the numbers of one numbering rule, e.g. customer numbers C000123."""

    key = models.CharField(_("key"), max_length=50, unique=True)
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    padding = models.PositiveSmallIntegerField(_("digits"), default=6)
    next_value = models.PositiveBigIntegerField(_("next number"), default=1)

    class Meta:
        verbose_name = _("numbering rule")
        verbose_name_plural = _("numbering rules")

    def __str__(self) -> str:
        return self.key

    def format(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.padding}d}"
