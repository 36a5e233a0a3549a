"""REST routes of pipelines with their stages: `GET/POST /pipelines`, `GET/PUT/DELETE
/pipelines/{id}`. Everyone who sees opportunities reads them; administrators change them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError
from guanxi.core.choices import Action
from guanxi.core.permissions import require
from guanxi.sales.models import Pipeline, Stage
from guanxi.sales.pipeline_services import pipeline_delete, pipeline_save

router = Router(tags=["Pipelines"])


class StageIn(Schema):
    id: int | None = None
    name_zh: str
    name_en: str = ""
    probability: int = 10
    is_won: bool = False
    is_lost: bool = False
    required_fields: list[str] = []
    rotting_days: int | None = None


class StageOut(StageIn):
    id: int
    name: str
    position: int


class PipelineIn(Schema):
    name_zh: str
    name_en: str = ""
    is_default: bool = False
    is_active: bool = True
    position: int = 0
    stages: list[StageIn]


class PipelineOut(Schema):
    id: int
    name: str
    name_zh: str
    name_en: str
    is_default: bool
    is_active: bool
    position: int
    stages: list[StageOut]


class PipelineList(Schema):
    count: int
    items: list[PipelineOut]


def _out(pipeline: Pipeline, stages: list[Stage]) -> dict:
    return {
        "id": pipeline.pk,
        "name": pipeline.name,
        "name_zh": pipeline.name_zh,
        "name_en": pipeline.name_en,
        "is_default": pipeline.is_default,
        "is_active": pipeline.is_active,
        "position": pipeline.position,
        "stages": [
            {
                "id": stage.pk,
                "name": stage.name,
                "name_zh": stage.name_zh,
                "name_en": stage.name_en,
                "position": stage.position,
                "probability": stage.probability,
                "is_won": stage.is_won,
                "is_lost": stage.is_lost,
                "required_fields": stage.required_fields,
                "rotting_days": stage.rotting_days,
            }
            for stage in stages
        ],
    }


def _stages_by_pipeline(pipeline_ids) -> dict[int, list[Stage]]:
    found: dict[int, list[Stage]] = {}
    stages = Stage.objects.filter(pipeline_id__in=pipeline_ids, is_archived=False).order_by(
        "position", "id"
    )
    for stage in stages:
        found.setdefault(stage.pipeline_id, []).append(stage)
    return found


def _require_admin(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise PermissionDenied


def _pipeline(pk: int) -> Pipeline:
    pipeline = Pipeline.objects.filter(pk=pk).first()
    if pipeline is None:
        raise ApiError(404, _("Not found."))
    return pipeline


def _save(request, pipeline: Pipeline, payload: PipelineIn) -> dict:
    values = payload.dict()
    stages = values.pop("stages")
    try:
        pipeline = pipeline_save(
            actor=request.auth, pipeline=pipeline, values=values, stages=stages
        )
    except ValidationError as error:
        raise ApiError(
            400,
            _("The data is not valid."),
            {key: [str(m) for m in messages] for key, messages in error.message_dict.items()},
        ) from None
    return _out(pipeline, _stages_by_pipeline([pipeline.pk]).get(pipeline.pk, []))


@router.get("/pipelines", response=PipelineList, operation_id="pipelines_list")
def pipelines_list(request, active: bool | None = None):
    """List the pipelines with their stages in order."""
    require(request.auth, "opportunity", Action.VIEW)
    pipelines = list(Pipeline.objects.order_by("position", "id"))
    if active is not None:
        pipelines = [pipeline for pipeline in pipelines if pipeline.is_active == active]
    stages = _stages_by_pipeline([pipeline.pk for pipeline in pipelines])
    items = [_out(pipeline, stages.get(pipeline.pk, [])) for pipeline in pipelines]
    return {"count": len(items), "items": items}


@router.post("/pipelines", response={201: PipelineOut}, operation_id="pipelines_create")
def pipelines_create(request, payload: PipelineIn):
    """Create a pipeline with its stages (administrators)."""
    _require_admin(request.auth)
    return Status(201, _save(request, Pipeline(), payload))


@router.get("/pipelines/{int:pk}", response=PipelineOut, operation_id="pipelines_get")
def pipelines_get(request, pk: int):
    require(request.auth, "opportunity", Action.VIEW)
    pipeline = _pipeline(pk)
    return _out(pipeline, _stages_by_pipeline([pk]).get(pk, []))


@router.put("/pipelines/{int:pk}", response=PipelineOut, operation_id="pipelines_update")
def pipelines_update(request, pk: int, payload: PipelineIn):
    """Replace a pipeline and its stages: stages with an id change, others are added, the
    ones left out are removed (refused while deals sit in them)."""
    _require_admin(request.auth)
    return _save(request, _pipeline(pk), payload)


@router.delete("/pipelines/{int:pk}", response={204: None}, operation_id="pipelines_delete")
def pipelines_delete(request, pk: int):
    _require_admin(request.auth)
    try:
        pipeline_delete(actor=request.auth, pipeline=_pipeline(pk))
    except ValidationError as error:
        raise ApiError(409, " ".join(error.messages)) from None
    return Status(204, None)
