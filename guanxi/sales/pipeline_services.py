"""Writes of pipelines (销售流程) and their stages: the default pipeline, saving, deleting.

A pipeline is saved with all its stages at once, so the rule "exactly one won and one lost
stage" is checked on the whole list the user sent, from the screen or the API alike.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.choices import AuditAction
from guanxi.core.models import User
from guanxi.sales import funnel_times
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageChange
from guanxi.sales.opportunity_fields import requirable_keys

# (Chinese, English, probability, won, lost, rotting days) of the standard B2B pipeline.
STANDARD_STAGES = (
    ("初步接洽", "Prospecting", 10, False, False, 14),
    ("需求确认", "Needs confirmed", 30, False, False, 21),
    ("方案报价", "Proposal", 60, False, False, 21),
    ("谈判审核", "Negotiation", 80, False, False, 14),
    ("赢单", "Won", 100, True, False, None),
    ("输单", "Lost", 0, False, True, None),
)
STAGE_KEYS = (
    "name_zh",
    "name_en",
    "probability",
    "is_won",
    "is_lost",
    "required_fields",
    "rotting_days",
)


def pipeline_default() -> Pipeline:
    """Return the default pipeline, creating the standard bilingual one when none exists."""
    pipeline = (
        Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    )
    if pipeline is not None:
        return pipeline
    with transaction.atomic():
        pipeline = Pipeline.objects.create(
            name_zh="标准销售流程", name_en="Standard sales", is_default=True
        )
        Stage.objects.bulk_create(
            Stage(
                pipeline=pipeline,
                name_zh=zh,
                name_en=en,
                position=position,
                probability=probability,
                is_won=won,
                is_lost=lost,
                rotting_days=rotting,
            )
            for position, (zh, en, probability, won, lost, rotting) in enumerate(STANDARD_STAGES)
        )
    return pipeline


def stages_validate(stages: list[dict[str, Any]]) -> None:
    """Refuse a stage list without exactly one won and one lost stage or with bad values."""
    errors: list[str] = []
    if not [stage for stage in stages if not stage.get("is_won") and not stage.get("is_lost")]:
        errors.append(_("A pipeline needs at least one open stage."))
    if sum(1 for stage in stages if stage.get("is_won")) != 1:
        errors.append(_("A pipeline needs exactly one won stage."))
    if sum(1 for stage in stages if stage.get("is_lost")) != 1:
        errors.append(_("A pipeline needs exactly one lost stage."))
    if any(stage.get("is_won") and stage.get("is_lost") for stage in stages):
        errors.append(_("A stage cannot be both won and lost."))
    if any(not (stage.get("name_zh") or "").strip() for stage in stages):
        errors.append(_("Every stage needs a Chinese name."))
    if any(not 0 <= int(stage.get("probability") or 0) <= 100 for stage in stages):
        errors.append(_("A probability lies between 0 and 100."))
    known = set(requirable_keys())
    unknown = sorted(
        {key for stage in stages for key in stage.get("required_fields") or [] if key not in known}
    )
    if unknown:
        errors.append(
            _("These are not fields of an opportunity: %(keys)s") % {"keys": ", ".join(unknown)}
        )
    if errors:
        raise ValidationError({"stages": errors})


def _stage_values(values: dict[str, Any], position: int) -> dict[str, Any]:
    clean = {key: values[key] for key in STAGE_KEYS if key in values}
    clean["required_fields"] = list(clean.get("required_fields") or [])
    clean["name_en"] = clean.get("name_en") or ""
    clean["position"] = position
    return clean


@transaction.atomic
def pipeline_save(
    *,
    actor: User,
    pipeline: Pipeline,
    values: dict[str, Any],
    stages: list[dict[str, Any]],
) -> Pipeline:
    """Create or change a pipeline with its ordered stages.

    Stages with an `id` are changed, those without are added, and stages of the pipeline
    the list leaves out are deleted — refused while deals sit in them.
    """
    stages_validate(stages)
    if not (values.get("name_zh") or pipeline.name_zh or "").strip():
        raise ValidationError({"name_zh": [_("Enter the pipeline's Chinese name.")]})
    before = audit.snapshot(pipeline) if pipeline.pk else None
    for key in ("name_zh", "name_en", "is_default", "is_active", "position"):
        if key in values:
            setattr(pipeline, key, values[key] if values[key] is not None else "")
    if pipeline.pk is None:
        pipeline.created_by = actor
    pipeline.updated_by = actor
    pipeline.save()
    existing = (
        {stage.pk: stage for stage in pipeline.stages.filter(is_archived=False)} if before else {}
    )
    kept = {int(values["id"]) for values in stages if values.get("id")}
    unknown = kept - set(existing)
    if unknown:
        raise ValidationError({"stages": [_("A stage of another pipeline cannot be moved here.")]})
    _delete_stages(pipeline, [stage for pk, stage in existing.items() if pk not in kept])
    for position, stage_values in enumerate(stages):
        clean = _stage_values(stage_values, position)
        if stage_values.get("id"):
            Stage.objects.filter(pk=int(stage_values["id"])).update(**clean)
        else:
            Stage.objects.create(pipeline=pipeline, **clean)
    if pipeline.is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).update(is_default=False)
    after = audit.snapshot(pipeline)
    after["stages"] = [
        stage.name_zh for stage in pipeline.stages.filter(is_archived=False).order_by("position")
    ]
    if before is not None:
        before["stages"] = [stage.name_zh for stage in existing.values()]
    audit.record(
        actor=actor,
        entity="pipeline",
        instance=pipeline,
        action=AuditAction.UPDATE if before is not None else AuditAction.CREATE,
        changes=audit.diff(before or {}, after),
    )
    return pipeline


def _delete_stages(pipeline: Pipeline, stages: list[Stage]) -> None:
    if not stages:
        return
    busy = (
        Opportunity.objects.filter(stage__in=stages)
        .values("stage__name_zh")
        .annotate(deals=Count("id"))
    )
    if busy:
        names = ", ".join(f"{row['stage__name_zh']} ({row['deals']})" for row in busy)
        raise ValidationError(
            {
                "stages": [
                    _(
                        "These stages still have deals and cannot be removed: %(stages)s. "
                        "Move their deals to another stage first."
                    )
                    % {"stages": names}
                ]
            }
        )
    _retire([stage.pk for stage in stages])


@transaction.atomic
def stage_delete(*, actor: User, stage: Stage, move_to: Stage | None = None) -> int:
    """Delete a stage, first moving its deals to `move_to`; return how many deals moved.

    A stage with deals is refused unless a target stage of the same pipeline is given; a
    stage deals passed through stays (their history names it).
    """
    remaining = list(stage.pipeline.stages.filter(is_archived=False).exclude(pk=stage.pk))
    stages_validate(
        [{key: getattr(other, key) for key in STAGE_KEYS} for other in remaining],
    )
    deals = Opportunity.objects.select_for_update().filter(stage=stage)
    moved = 0
    if deals.exists():
        if move_to is None:
            raise ValidationError(
                {"move_to": [_("This stage still has deals. Choose the stage to move them to.")]}
            )
        if move_to.pipeline_id != stage.pipeline_id or move_to.pk == stage.pk:
            raise ValidationError({"move_to": [_("Choose another stage of the same pipeline.")]})
        moved = _move_all(actor=actor, deals=list(deals), stage=stage, move_to=move_to)
    _retire([stage.pk])
    audit.record(
        actor=actor,
        entity="pipeline",
        instance=stage.pipeline,
        action=AuditAction.UPDATE,
        changes={"stages": [stage.name_zh, None]},
    )
    return moved


def _retire(stage_ids: list[int]) -> None:
    """Delete stages; those deals passed through are archived, as their history names them."""
    used = set(
        StageChange.objects.filter(to_stage_id__in=stage_ids).values_list("to_stage_id", flat=True)
    )
    Stage.objects.filter(pk__in=used).update(is_archived=True)
    Stage.objects.filter(pk__in=set(stage_ids) - used).delete()


def _move_all(*, actor: User, deals: list[Opportunity], stage: Stage, move_to: Stage) -> int:
    """Move every deal of a stage being deleted, with the stage change recorded."""
    now = timezone.now()
    changes = StageChange.objects.bulk_create(
        StageChange(
            opportunity=deal,
            from_stage=stage,
            to_stage=move_to,
            changed_at=now,
            changed_by=actor,
            seconds_in_previous=max(0, int((now - deal.stage_entered_at).total_seconds())),
            amount=deal.amount,
        )
        for deal in deals
    )
    funnel_times.count_moves(zip(deals, changes, strict=True))
    return Opportunity.objects.filter(pk__in=[deal.pk for deal in deals]).update(
        stage=move_to, stage_entered_at=now, probability=move_to.probability
    )


@transaction.atomic
def pipeline_delete(*, actor: User, pipeline: Pipeline) -> None:
    """Delete a pipeline no deal uses; the last active pipeline stays."""
    if Opportunity.objects.filter(pipeline=pipeline).exists():
        raise ValidationError(
            _("“%(name)s” still has deals; move them to another pipeline first.")
            % {"name": pipeline}
        )
    audit.record(
        actor=actor,
        entity="pipeline",
        instance=pipeline,
        action=AuditAction.DELETE,
        changes={"name_zh": [pipeline.name_zh, None]},
    )
    pipeline.delete()


@transaction.atomic
def stage_reorder(*, actor: User, pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Put a pipeline's stages in the given order (all of its stages, each once)."""
    current = set(pipeline.stages.filter(is_archived=False).values_list("pk", flat=True))
    if set(stage_ids) != current or len(stage_ids) != len(current):
        raise ValidationError({"stages": [_("Send every stage of the pipeline once.")]})
    for position, pk in enumerate(stage_ids):
        Stage.objects.filter(pk=pk).update(position=position)
    audit.record(
        actor=actor,
        entity="pipeline",
        instance=pipeline,
        action=AuditAction.UPDATE,
        changes={"stage_order": [None, stage_ids]},
    )
