"""The activity form: one form for calls, meetings, visits, notes and tasks."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.activities import links, richtext
from guanxi.activities.choices import ActivityKind, Recurrence
from guanxi.activities.models import Activity
from guanxi.core import registry
from guanxi.core.forms import EntityForm

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_OCCURRENCES = 200


class ActivityForm(EntityForm):
    """Record or plan an activity linked to a record (a customer, contact, deal …).

    The link comes from the page the user started on (`link_entity`, `link_id`); the user
    may see the record or the activity cannot link to it.
    """

    entity_name = "activity"

    class Meta:
        model = Activity
        fields = [
            "subject",
            "kind",
            "status",
            "priority",
            "starts_at",
            "ends_at",
            "all_day",
            "due_at",
            "location",
            "participant_users",
            "participant_contacts",
            "description",
            "outcome",
            "outcome_note",
            "remind_before",
            "recurrence",
            "recurrence_interval",
            "recurrence_until",
            "owner",
            "link_entity",
            "link_id",
        ]
        widgets = {
            "starts_at": DATETIME_WIDGET,
            "ends_at": DATETIME_WIDGET,
            "due_at": DATETIME_WIDGET,
            "recurrence_until": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 5, "data-richtext": "1"}),
            "link_entity": forms.HiddenInput,
            "link_id": forms.HiddenInput,
        }
        help_texts = {
            "remind_before": gettext_lazy(
                "Minutes before the start or due time; leave empty for no reminder."
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        for name in ("starts_at", "ends_at", "due_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["link_entity"].required = False
        self.fields["link_id"].required = False
        self.linked = None
        if not self._link_given():
            self._add_customer_field()
        if self.instance.pk and self.instance.link_entity:
            self.linked = links.linked_record(
                self.instance.link_entity, self.instance.link_id, user
            )

    def _link_given(self) -> bool:
        return bool(
            self.instance.link_entity
            or self.initial.get("link_entity")
            or (self.data and self.data.get("link_entity"))
        )

    def _add_customer_field(self) -> None:
        """Offer to link a free-standing activity to a customer, found as one types."""
        from guanxi.customers.models import Account

        self.fields["customer"] = forms.ModelChoiceField(
            label=_("Customer"),
            queryset=Account.objects.all(),
            required=False,
            help_text=_("The customer this activity is with (optional)."),
        )
        self._scope_choices("customer", self.fields["customer"])
        order = list(self.fields)
        order.remove("customer")
        order.insert(order.index("participant_users"), "customer")
        self.order_fields(order)

    @property
    def header(self) -> str:
        label = self.linked_label()
        return _("Linked to %(record)s") % {"record": label} if label else ""

    def linked_label(self) -> str:
        """Say what the activity is (or will be) linked to, e.g. "Customer: 杭州云帆"."""
        entity_name = self.data.get("link_entity") or self.initial.get("link_entity")
        pk = self.data.get("link_id") or self.initial.get("link_id")
        record = self.linked or links.linked_record(entity_name, pk, self.user)
        if record is None:
            return ""
        entity = registry.get(entity_name or self.instance.link_entity)
        return f"{capfirst(entity.verbose_name)}: {record}"

    def clean_description(self) -> str:
        return richtext.clean_html(self.cleaned_data.get("description") or "")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", _("The end must be after the start."))
        if ends_at and not starts_at:
            self.add_error("starts_at", _("Give the start as well as the end."))
        if kind in (ActivityKind.MEETING, ActivityKind.VISIT) and not starts_at:
            self.add_error("starts_at", _("A meeting or visit needs a start time."))
        if cleaned.get("recurrence") and cleaned.get("recurrence") != Recurrence.NONE:
            if not (starts_at or cleaned.get("due_at")):
                self.add_error(
                    "recurrence", _("A repeating activity needs a start time or a due time.")
                )
            interval = cleaned.get("recurrence_interval") or 1
            if interval < 1 or interval > 99:
                self.add_error("recurrence_interval", _("Repeat every 1 to 99 periods."))
        self._clean_link(cleaned)
        return cleaned

    def _clean_link(self, cleaned) -> None:
        customer = cleaned.get("customer")
        if customer is not None and not cleaned.get("link_entity"):
            cleaned["link_entity"], cleaned["link_id"] = "account", customer.pk
            self.instance.link_entity, self.instance.link_id = "account", customer.pk
        entity_name = cleaned.get("link_entity") or ""
        pk = cleaned.get("link_id")
        if not entity_name and pk is None:
            self.instance.account_id = None
            return
        if links.linkable(entity_name) is None:
            self.add_error("link_entity", _("Activities cannot be linked to this kind of record."))
            return
        if self.instance.pk and (entity_name, pk) == (
            self.instance.link_entity,
            self.instance.link_id,
        ):
            # Unchanged link: keep it even if the record has since left the user's scope.
            return
        record = links.linked_record(entity_name, pk, self.user)
        if record is None:
            self.add_error("link_id", _("The linked record does not exist or you may not see it."))
            return
        self.linked = record
        self.instance.account_id = links.account_id_of(entity_name, record)
