"""Settings screen of tags: rename, recolour, merge by renaming, delete (administrators)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.core import grouping
from guanxi.core.models import Tag
from guanxi.web.views.decorators import settings_required


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "color"]

    def clean_name(self):
        names = grouping.clean_tag_names([self.cleaned_data.get("name", "")])
        if not names:
            raise forms.ValidationError(_("Enter the tag's name."), code="required")
        clash = Tag.objects.filter(name__iexact=names[0]).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("A tag with this name already exists."), code="unique")
        return names[0]


@settings_required
def tag_list(request):
    tags = Tag.objects.annotate(usage=Count("taggings")).order_by("name")
    return render(request, "web/settings/tags.html", {"settings_section": "tags", "tags": tags})


@settings_required
@require_http_methods(["GET", "POST"])
def tag_edit(request, pk: int | None = None):
    tag = get_object_or_404(Tag, pk=pk) if pk else None
    form = TagForm(request.POST or None, instance=tag)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            tag = form.save(commit=False)
            tag.created_by = tag.created_by or request.user
            tag.save()
        messages.success(request, _("The tag “%(name)s” was saved.") % {"name": tag})
        return redirect("web:tag_list")
    context = {
        "settings_section": "tags",
        "form": form,
        "page_title": tag.name if tag else _("New tag"),
        "cancel_url": reverse("web:tag_list"),
        "testid": "tag-form",
    }
    return render(
        request, "web/settings/org_form.html", context, status=400 if form.errors else 200
    )


@settings_required
@require_http_methods(["GET", "POST"])
def tag_delete(request, pk: int):
    """Delete a tag after confirmation; it is taken off every record that carries it."""
    tag = get_object_or_404(Tag, pk=pk)
    if request.method == "POST":
        tag.delete()
        messages.success(request, _("The tag “%(name)s” was deleted.") % {"name": tag.name})
        return redirect("web:tag_list")
    usage = tag.taggings.count()
    context = {
        "settings_section": "tags",
        "page_title": _("Delete the tag “%(name)s”") % {"name": tag.name},
        "question": _("The tag is on %(count)s records and will be taken off all of them.")
        % {"count": usage},
        "confirm_label": _("Delete"),
        "cancel_url": reverse("web:tag_list"),
    }
    return render(request, "web/settings/org_confirm.html", context)


urlpatterns = [
    path("tags/", tag_list, name="tag_list"),
    path("tags/new/", tag_edit, name="tag_create"),
    path("tags/<int:pk>/", tag_edit, name="tag_edit"),
    path("tags/<int:pk>/delete/", tag_delete, name="tag_delete"),
]
