"""Pages around the records: home, search, jobs, language, profile."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core import registry, search
from guanxi.core.choices import Action, JobStatus
from guanxi.core.jobs import job_file_path
from guanxi.core.models import AuditEntry, Job, Notification, User
from guanxi.core.permissions import can


@login_required
def home(request):
    """Show the user's workbench: their records, recent changes, unread notifications."""
    cards = []
    for entity in registry.entities():
        if not can(request.user, entity.name, Action.VIEW):
            continue
        mine = entity.model.objects.filter(owner=request.user)
        cards.append(
            {
                "entity": entity,
                "mine": mine.order_by()[:10001].count(),
                "recent": list(
                    entity.model.objects.visible_to(request.user)
                    .select_related(*entity.select_related)
                    .order_by("-updated_at")[:5]
                ),
            }
        )
    my_changes = AuditEntry.objects.filter(actor=request.user).order_by("-at")[:10]
    notifications = Notification.objects.filter(recipient=request.user, read_at__isnull=True)[:5]
    return render(
        request,
        "web/home.html",
        {"cards": cards, "my_changes": my_changes, "notifications": notifications},
    )


@login_required
def search_page(request):
    """Show global search results grouped by entity."""
    query = request.GET.get("q", "").strip()
    hits = search.search(request.user, query, per_entity=25) if query else []
    return render(request, "web/search.html", {"hits": hits, "search_query": query})


@login_required
def search_quick(request):
    """Return the dropdown of results shown while the user types in the top bar."""
    query = request.GET.get("q", "").strip()
    hits = search.search(request.user, query, per_entity=5) if query else []
    return render(request, "web/partials/search_quick.html", {"hits": hits, "search_query": query})


@login_required
def job_list(request):
    jobs = Job.objects.filter(user=request.user)[:50]
    return render(request, "web/jobs.html", {"jobs": jobs})


@login_required
def job_detail(request, pk: int):
    """Show a job's progress bar; HTMX polls the partial until the job ends."""
    job = Job.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    template = "web/partials/job_progress.html" if request.htmx else "web/job.html"
    return render(request, template, {"job": job})


@login_required
def job_download(request, pk: int):
    """Send the file a finished job made (e.g. a labels PDF); only to the job's user."""
    job = Job.objects.filter(pk=pk, user=request.user, status=JobStatus.DONE).first()
    filename = (job.result or {}).get("file") if job else None
    if not filename:
        raise Http404
    path = job_file_path(job, filename)
    if not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename)


@require_POST
def set_language(request):
    """Switch the UI language; a logged-in user keeps it as their preference."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "display_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "language",
            "time_zone",
        ]
        labels = {"time_zone": gettext_lazy("Time zone (e.g. Asia/Shanghai)")}

    def clean_time_zone(self):
        import zoneinfo

        value = self.cleaned_data["time_zone"].strip()
        if value and value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Unknown time zone."), code="invalid")
        return value


@login_required
def profile(request):
    """Let users keep their own name, contact details, language and time zone."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        response = redirect("web:profile")
        if request.user.language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, request.user.language, samesite="Lax"
            )
        return response
    tokens = request.user.api_tokens.all()
    return render(
        request,
        "web/profile.html",
        {"form": form, "tokens": tokens},
        status=400 if form.errors else 200,
    )
