"""Loyalty and classification endpoints (CUS-2, CUS-6).

`/membership-levels`, `/earning-rules` and `/classification-rules` are read by any user
and changed by administrators; `/accounts/{id}/points` reads and writes an account's
ledger, `/accounts/{id}/classify` hands classification fields back to the rules. The
endpoints validate with the screens' forms and write through the same services.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.forms.models import model_to_dict
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError, invalid
from guanxi.api.generic import get_record
from guanxi.api.org import get_or_404, page, require_admin
from guanxi.core import registry
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.customers import classification, points
from guanxi.customers import loyalty_services as services
from guanxi.customers.choices import ClassificationField, PointsKind
from guanxi.customers.loyalty_forms import (
    ClassificationRuleForm,
    EarningRuleForm,
    MembershipLevelForm,
    clean_conditions,
)
from guanxi.customers.models import (
    Account,
    ClassificationRule,
    EarningRule,
    MembershipLevel,
    PointsEntry,
)

router = Router(tags=["Loyalty and classification"])


# --- Schemas ------------------------------------------------------------------------------


class MembershipLevelIn(Schema):
    name: str | None = None
    name_en: str | None = None
    threshold: int | None = None
    colour: str | None = None
    allow_negative: bool | None = None
    benefits: str | None = None


class MembershipLevelOut(Schema):
    id: int
    name: str
    name_en: str
    threshold: int
    colour: str
    allow_negative: bool
    benefits: str


class MembershipLevelList(Schema):
    count: int
    items: list[MembershipLevelOut]


class EarningRuleIn(Schema):
    name: str | None = None
    event: str | None = None
    points_fixed: int | None = None
    points_per_unit: Decimal | None = None
    valid_days: int | None = None
    active: bool | None = None


class EarningRuleOut(Schema):
    id: int
    name: str
    event: str
    points_fixed: int
    points_per_unit: Decimal
    valid_days: int | None
    active: bool


class EarningRuleList(Schema):
    count: int
    items: list[EarningRuleOut]


class Condition(Schema):
    metric: str
    operator: str
    value: str = ""


class ClassificationRuleIn(Schema):
    name: str | None = None
    field: str | None = None
    value: str | None = None
    conditions: list[dict[str, Any]] | None = None
    priority: int | None = None
    active: bool | None = None


class ClassificationRuleOut(Schema):
    id: int
    name: str
    field: str
    value: str
    conditions: list[Condition]
    priority: int
    active: bool


class ClassificationRuleList(Schema):
    count: int
    items: list[ClassificationRuleOut]


class MetricOut(Schema):
    key: str
    label: str
    kind: str
    choices: list[list[str]]


class JobOut(Schema):
    id: int
    status: str
    url: str


class PointsIn(Schema):
    kind: str
    points: int
    reason: str = ""


class PointsEntryOut(Schema):
    id: int
    kind: str
    points: int
    balance_after: int
    remaining: int
    expires_at: datetime.datetime | None
    reason: str
    actor: int | None
    source: str
    source_ref: str
    created_at: datetime.datetime


class PointsOut(Schema):
    account: int
    balance: int
    lifetime: int
    level: MembershipLevelOut | None
    count: int
    items: list[PointsEntryOut]


class ClassifyIn(Schema):
    automatic: list[str] = []


class ClassificationOut(Schema):
    account: int
    grade: str
    relationship: str
    loyalty: str
    value_class: str
    lifecycle_stage: str
    classification_manual: list[str]


# --- Helpers ------------------------------------------------------------------------------


def _overlay(instance, fields: list[str], payload: Schema) -> dict:
    """Return the record's values (a new one's defaults) with the sent fields laid over them."""
    data = {k: v for k, v in model_to_dict(instance, fields=fields).items() if v is not None}
    data.update({k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None})
    return data


def level_out(level: MembershipLevel) -> dict:
    return model_to_dict(level, fields=list(MembershipLevelOut.model_fields)) | {"id": level.pk}


def earning_rule_out(rule: EarningRule) -> dict:
    return model_to_dict(rule, fields=list(EarningRuleOut.model_fields)) | {"id": rule.pk}


def classification_rule_out(rule: ClassificationRule) -> dict:
    fields = list(ClassificationRuleOut.model_fields)
    return model_to_dict(rule, fields=fields) | {"id": rule.pk, "conditions": rule.conditions}


# --- Membership levels ----------------------------------------------------------------------


@router.get("membership-levels", response=MembershipLevelList, operation_id="levels_list")
def level_list(request, limit: int = 50, offset: int = 0):
    count, items = page(MembershipLevel.objects.all(), limit, offset)
    return {"count": count, "items": [level_out(level) for level in items]}


@router.post("membership-levels", response={201: MembershipLevelOut}, operation_id="levels_create")
def level_create(request, payload: MembershipLevelIn):
    actor = require_admin(request)
    fields = list(MembershipLevelForm.Meta.fields)
    form = MembershipLevelForm(_overlay(MembershipLevel(), fields, payload))
    if not form.is_valid():
        raise invalid(form)
    return Status(201, level_out(services.level_save(actor=actor, form=form)))


@router.get("membership-levels/{int:pk}", response=MembershipLevelOut, operation_id="levels_get")
def level_get(request, pk: int):
    return level_out(get_or_404(MembershipLevel.objects.all(), pk))


@router.patch(
    "membership-levels/{int:pk}", response=MembershipLevelOut, operation_id="levels_update"
)
def level_update(request, pk: int, payload: MembershipLevelIn):
    actor = require_admin(request)
    level = get_or_404(MembershipLevel.objects.all(), pk)
    form = MembershipLevelForm(
        _overlay(level, list(MembershipLevelForm.Meta.fields), payload), instance=level
    )
    if not form.is_valid():
        raise invalid(form)
    return level_out(services.level_save(actor=actor, form=form))


@router.delete("membership-levels/{int:pk}", response={204: None}, operation_id="levels_delete")
def level_delete(request, pk: int):
    actor = require_admin(request)
    services.level_delete(actor=actor, level=get_or_404(MembershipLevel.objects.all(), pk))
    return Status(204, None)


# --- Earning rules --------------------------------------------------------------------------


@router.get("earning-rules", response=EarningRuleList, operation_id="earning_rules_list")
def earning_rule_list(request, limit: int = 50, offset: int = 0):
    count, items = page(EarningRule.objects.all(), limit, offset)
    return {"count": count, "items": [earning_rule_out(rule) for rule in items]}


@router.post("earning-rules", response={201: EarningRuleOut}, operation_id="earning_rules_create")
def earning_rule_create(request, payload: EarningRuleIn):
    actor = require_admin(request)
    form = EarningRuleForm(_overlay(EarningRule(), list(EarningRuleForm.Meta.fields), payload))
    if not form.is_valid():
        raise invalid(form)
    return Status(201, earning_rule_out(services.earning_rule_save(actor=actor, form=form)))


@router.patch(
    "earning-rules/{int:pk}", response=EarningRuleOut, operation_id="earning_rules_update"
)
def earning_rule_update(request, pk: int, payload: EarningRuleIn):
    actor = require_admin(request)
    rule = get_or_404(EarningRule.objects.all(), pk)
    form = EarningRuleForm(
        _overlay(rule, list(EarningRuleForm.Meta.fields), payload), instance=rule
    )
    if not form.is_valid():
        raise invalid(form)
    return earning_rule_out(services.earning_rule_save(actor=actor, form=form))


@router.delete("earning-rules/{int:pk}", response={204: None}, operation_id="earning_rules_delete")
def earning_rule_delete(request, pk: int):
    actor = require_admin(request)
    services.earning_rule_delete(actor=actor, rule=get_or_404(EarningRule.objects.all(), pk))
    return Status(204, None)


# --- Classification rules -------------------------------------------------------------------


@router.get(
    "classification-rules",
    response=ClassificationRuleList,
    operation_id="classification_rules_list",
)
def classification_rule_list(request, limit: int = 50, offset: int = 0):
    count, items = page(ClassificationRule.objects.all(), limit, offset)
    return {"count": count, "items": [classification_rule_out(rule) for rule in items]}


@router.get(
    "classification-rules/metrics",
    response=list[MetricOut],
    operation_id="classification_metrics",
)
def classification_metrics(request):
    """List the metrics conditions may test, with the codes of choice metrics."""
    return [
        {
            "key": item.key,
            "label": str(item.label),
            "kind": item.kind,
            "choices": [[str(code), str(label)] for code, label in item.choices()]
            if item.choices
            else [],
        }
        for item in classification.metrics()
    ]


def _classification_rule_save(actor, rule: ClassificationRule, payload: ClassificationRuleIn):
    sent = payload.dict(exclude_unset=True)
    conditions = sent.get("conditions")
    if conditions is None:
        conditions = list(rule.conditions or [])
    cleaned, errors = clean_conditions(conditions)
    if errors:
        raise ApiError(400, _("The data is not valid."), {"conditions": errors})
    fields = list(ClassificationRuleForm.Meta.fields)
    data = _overlay(rule, fields, payload)
    data.pop("conditions", None)
    form = ClassificationRuleForm(data, instance=rule if rule.pk else None, conditions=cleaned)
    if not form.is_valid():
        raise invalid(form)
    return services.classification_rule_save(actor=actor, form=form)


@router.post(
    "classification-rules",
    response={201: ClassificationRuleOut},
    operation_id="classification_rules_create",
)
def classification_rule_create(request, payload: ClassificationRuleIn):
    actor = require_admin(request)
    rule = _classification_rule_save(actor, ClassificationRule(), payload)
    return Status(201, classification_rule_out(rule))


@router.post(
    "classification-rules/apply",
    response={202: JobOut},
    operation_id="classification_rules_apply",
)
def classification_rules_apply(request):
    """Apply the rules to every account now, as a background job; poll the job's page."""
    actor = require_admin(request)
    job = services.classification_apply_start(actor=actor)
    return Status(202, {"id": job.pk, "status": job.status, "url": f"/jobs/{job.pk}/"})


@router.get(
    "classification-rules/{int:pk}",
    response=ClassificationRuleOut,
    operation_id="classification_rules_get",
)
def classification_rule_get(request, pk: int):
    return classification_rule_out(get_or_404(ClassificationRule.objects.all(), pk))


@router.patch(
    "classification-rules/{int:pk}",
    response=ClassificationRuleOut,
    operation_id="classification_rules_update",
)
def classification_rule_update(request, pk: int, payload: ClassificationRuleIn):
    actor = require_admin(request)
    rule = get_or_404(ClassificationRule.objects.all(), pk)
    return classification_rule_out(_classification_rule_save(actor, rule, payload))


@router.delete(
    "classification-rules/{int:pk}",
    response={204: None},
    operation_id="classification_rules_delete",
)
def classification_rule_delete(request, pk: int):
    actor = require_admin(request)
    rule = get_or_404(ClassificationRule.objects.all(), pk)
    services.classification_rule_delete(actor=actor, rule=rule)
    return Status(204, None)


# --- An account's points and classification -------------------------------------------------


def _points_out(account: Account, limit: int, offset: int) -> dict:
    entries = PointsEntry.objects.filter(account=account).order_by("-id")
    count, items = page(entries, limit, offset)
    level = account.membership_level
    return {
        "account": account.pk,
        "balance": account.points_balance,
        "lifetime": account.points_lifetime,
        "level": level_out(level) if level else None,
        "count": count,
        "items": [model_to_dict(e) | {"id": e.pk, "created_at": e.created_at} for e in items],
    }


@router.get("accounts/{int:pk}/points", response=PointsOut, operation_id="accounts_points")
def account_points(request, pk: int, limit: int = 50, offset: int = 0):
    """Return an account's balance, level and ledger (newest first, paged)."""
    require(request.auth, "account", Action.VIEW)
    account = get_record(registry.get("account"), request.auth, pk)
    return _points_out(account, limit, offset)


@router.post(
    "accounts/{int:pk}/points", response={201: PointsOut}, operation_id="accounts_points_write"
)
def account_points_write(request, pk: int, payload: PointsIn):
    """Earn, redeem or adjust points: `kind` earn | redeem | adjust, `points`, `reason`."""
    require(request.auth, "account", Action.EDIT)
    account = get_record(registry.get("account"), request.auth, pk, Action.EDIT)
    service = {
        PointsKind.EARN: points.points_earn,
        PointsKind.REDEEM: points.points_redeem,
        PointsKind.ADJUST: points.points_adjust,
    }.get(payload.kind)
    if service is None:
        raise ApiError(
            400, _("The data is not valid."), {"kind": [_("Choose earn, redeem or adjust.")]}
        )
    try:
        service(actor=request.auth, account=account, points=payload.points, reason=payload.reason)
    except points.PointsError as error:
        raise ApiError(400, error.message, {error.field: [error.message]}) from None
    account.refresh_from_db()
    return Status(201, _points_out(account, 50, 0))


@router.post(
    "accounts/{int:pk}/classify", response=ClassificationOut, operation_id="accounts_classify"
)
def account_classify(request, pk: int, payload: ClassifyIn):
    """Hand classification fields set by hand back to the rules, then apply the rules."""
    require(request.auth, "account", Action.EDIT)
    account = get_record(registry.get("account"), request.auth, pk, Action.EDIT)
    unknown = [name for name in payload.automatic if name not in ClassificationField.values]
    if unknown:
        raise ApiError(
            400,
            _("The data is not valid."),
            {"automatic": [_("Unknown classification field: %s") % ", ".join(unknown)]},
        )
    classification.hand_back(actor=request.auth, account=account, fields=payload.automatic)
    account.refresh_from_db()
    values = {name: getattr(account, name) for name in ClassificationField.values}
    return {
        "account": account.pk,
        **values,
        "classification_manual": account.classification_manual,
    }
