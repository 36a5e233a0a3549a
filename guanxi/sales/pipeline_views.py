"""Settings screens of pipelines and their stages (销售流程设置), for administrators."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.sales.models import Pipeline, Stage
from guanxi.sales.pipeline_forms import (
    PipelineForm,
    StageDeleteForm,
    StageFormSet,
    stage_initial,
)
from guanxi.sales.pipeline_services import (
    pipeline_delete,
    pipeline_save,
    stage_delete,
    stage_reorder,
)
from guanxi.web.views.decorators import settings_required


@settings_required
def pipeline_settings(request):
    """List the pipelines with their stages and how many deals each holds."""
    pipelines = Pipeline.objects.annotate(deals=Count("opportunities")).order_by("position", "id")
    stages = Stage.objects.filter(is_archived=False).order_by("pipeline", "position", "id")
    by_pipeline: dict[int, list[Stage]] = {}
    for stage in stages:
        by_pipeline.setdefault(stage.pipeline_id, []).append(stage)
    for pipeline in pipelines:
        pipeline.stage_list = by_pipeline.get(pipeline.pk, [])
    return render(
        request,
        "sales/pipelines/list.html",
        {"settings_section": "pipelines", "pipelines": pipelines},
    )


def _form_errors(form, formset, error: ValidationError) -> None:
    for key, messages_of in error.message_dict.items():
        for message in messages_of:
            if key in form.fields:
                form.add_error(key, message)
            else:
                formset._non_form_errors = formset.error_class(
                    [*formset.non_form_errors(), message]
                )


@settings_required
def pipeline_settings_edit(request, pk: int | None = None):
    """Create or change a pipeline together with its stages."""
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk else Pipeline()
    form = PipelineForm(request.POST or None, instance=pipeline, prefix="pipeline")
    formset = StageFormSet(request.POST or None, initial=stage_initial(pipeline), prefix="stages")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        stages = [row.cleaned_data for row in formset.forms if row.has_name()]
        try:
            pipeline = pipeline_save(
                actor=request.user,
                pipeline=pipeline,
                values=form.cleaned_data,
                stages=stages,
            )
        except ValidationError as error:
            _form_errors(form, formset, error)
        else:
            messages.success(request, _("The pipeline “%(name)s” was saved.") % {"name": pipeline})
            return redirect("web:pipeline_settings")
    title = _("Edit pipeline") if pipeline.pk else _("New pipeline")
    return render(
        request,
        "sales/pipelines/form.html",
        {
            "settings_section": "pipelines",
            "form": form,
            "formset": formset,
            "pipeline": pipeline,
            "page_title": title,
        },
        status=400 if request.method == "POST" else 200,
    )


@settings_required
@require_POST
def pipeline_settings_delete(request, pk: int):
    """Delete a pipeline no deal uses."""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    try:
        pipeline_delete(actor=request.user, pipeline=pipeline)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The pipeline “%(name)s” was deleted.") % {"name": pipeline})
    return redirect("web:pipeline_settings")


@settings_required
@require_POST
def pipeline_stage_move(request, pk: int, direction: str):
    """Move a stage one place up or down in its pipeline."""
    stage = get_object_or_404(Stage, pk=pk, is_archived=False)
    ids = list(
        stage.pipeline.stages.filter(is_archived=False)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(stage.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        stage_reorder(actor=request.user, pipeline=stage.pipeline, stage_ids=ids)
    return redirect("web:pipeline_settings")


@settings_required
def pipeline_stage_delete(request, pk: int):
    """Delete a stage; when deals sit in it, offer to move them to another stage first."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk, is_archived=False)
    deals = stage.opportunities.count()
    form = StageDeleteForm(request.POST if request.method == "POST" else None, stage=stage)
    if request.method == "POST" and form.is_valid():
        try:
            moved = stage_delete(
                actor=request.user, stage=stage, move_to=form.cleaned_data["move_to"]
            )
        except ValidationError as error:
            for key, messages_of in error.message_dict.items():
                for message in messages_of:
                    form.add_error("move_to" if key == "move_to" else None, message)
        else:
            messages.success(
                request,
                _("The stage “%(name)s” was deleted; %(count)s deals moved.")
                % {"name": stage.name, "count": moved},
            )
            return redirect("web:pipeline_settings")
    return render(
        request,
        "sales/pipelines/stage_delete.html",
        {"settings_section": "pipelines", "stage": stage, "deals": deals, "form": form},
        status=400 if form.errors else 200,
    )
