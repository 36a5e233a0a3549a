"""The public web-to-lead endpoint (EC-4): a form page, an embed script and the submission.

Any website may embed the form: as an iframe of the page, as a plain HTML form posting
here, or through the script, which posts with JavaScript and reads the answer when the
website's origin is allowed (CORS). A honeypot field drops robots' posts silently, and a
per-IP rate limit in the cache (locmem or Redis) stops floods with 429.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from guanxi.sales.lead_capture import HONEYPOT, PublicLeadForm, lead_capture_web
from guanxi.sales.models import LeadWebForm


def rate_limit() -> int:
    return int(getattr(settings, "GUANXI_LEAD_FORM_RATE_PER_MINUTE", 5))


def over_rate_limit(ip: str) -> bool:
    """Count a submission from an IP address; tell whether it went past the limit a minute."""
    key = f"guanxi:lead-form:{ip}"
    if cache.add(key, 1, 60):
        return rate_limit() < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 60)
        count = 1
    return count > rate_limit()


def _web_form(key: str) -> LeadWebForm:
    found = LeadWebForm.objects.filter(public_key=key, is_active=True).first()
    if found is None:
        raise Http404
    return found


def _cors(response: HttpResponse, request, web_form: LeadWebForm) -> HttpResponse:
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin in web_form.origins():
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin, Accept-Language"
    return response


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _answer(request, web_form, form, *, status: int, done: bool = False) -> HttpResponse:
    thank_you = web_form.thank_you or _("Thank you! We will be in touch soon.")
    if _wants_json(request):
        if done:
            body = {"detail": thank_you}
        elif status == 429:
            body = {"detail": _("Too many submissions. Please try again in a minute.")}
        else:
            body = {
                "detail": _("Please correct the errors below."),
                "errors": {name: list(errors) for name, errors in form.errors.items()},
            }
        response = JsonResponse(body, status=status)
    else:
        response = render(
            request,
            "sales/leads/public_form.html",
            {
                "web_form": web_form,
                "form": form,
                "done": done,
                "thank_you": thank_you,
                "too_many": status == 429,
                "honeypot": HONEYPOT,
            },
            status=status,
        )
    return _cors(response, request, web_form)


@csrf_exempt
@xframe_options_exempt
def web_form_page(request, key: str):
    """Show the form (GET), take a submission (POST), answer a CORS preflight (OPTIONS)."""
    web_form = _web_form(key)
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), request, web_form)
    if request.method != "POST":
        return _answer(request, web_form, PublicLeadForm(web_form), status=200)
    form = PublicLeadForm(web_form, request.POST)
    if over_rate_limit(request.META.get("REMOTE_ADDR", "")):
        return _answer(request, web_form, form, status=429)
    if form.is_spam():
        # Robots are told it worked, so that they do not try harder; nothing is stored.
        return _answer(request, web_form, PublicLeadForm(web_form), status=200, done=True)
    if not form.is_valid():
        return _answer(request, web_form, form, status=400)
    lead_capture_web(web_form=web_form, form=form)
    return _answer(request, web_form, PublicLeadForm(web_form), status=200, done=True)


def web_form_script(request, key: str):
    """Return the script that draws the form into a website's page and posts it."""
    web_form = _web_form(key)
    action = request.build_absolute_uri(f"/forms/leads/{web_form.public_key}/")
    markup = render_to_string(
        "sales/leads/partials/public_fields.html",
        {"web_form": web_form, "form": PublicLeadForm(web_form), "honeypot": HONEYPOT},
        request=request,
    )
    script = render_to_string(
        "sales/leads/embed.js",
        {
            "key_json": json.dumps(web_form.public_key),
            "action_json": json.dumps(action),
            "markup_json": json.dumps(markup),
            "sending_json": json.dumps(_("Sending…")),
            "failed_json": json.dumps(_("The form could not be sent. Please try again.")),
        },
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response
