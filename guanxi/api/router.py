"""The REST API object: authentication, the error shape, and every entity's routes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from guanxi.activities import api as activities_api
from guanxi.activities import calendar_api, mailbox_api, messages_api
from guanxi.activities.sms import api as sms_api
from guanxi.api import duplicates, labels, notifications, org, privacy
from guanxi.api.auth import AUTH
from guanxi.api.errors import ApiError, body
from guanxi.api.generic import build_router
from guanxi.core import registry
from guanxi.customers import api as customers_api
from guanxi.customers import loyalty_api
from guanxi.dataio.api import exports_router, imports_router
from guanxi.sales import api as sales_api
from guanxi.service import api as service_api
from guanxi.workflow import api as workflow_api

api = NinjaAPI(
    title="Guanxi CRM API",
    version="1.0.0",
    description=(
        "REST API of Guanxi (关系) CRM. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `guanxi token USERNAME`). Lists return `{count, items}` and take "
        "`q`, filters, `ordering`, `limit` and `offset`. Errors return "
        "`{detail, errors: {field: [messages]}}` in the language of `Accept-Language`."
    ),
    auth=AUTH,
    urls_namespace="api-1.0.0",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiError)
def api_error(request, error: ApiError):
    return api.create_response(
        request, {**body(error.detail, error.errors), **error.extra}, status=error.status
    )


@api.exception_handler(NinjaValidationError)
def validation_error(request, error: NinjaValidationError):
    errors: dict[str, list[str]] = {}
    for item in error.errors:
        location = [str(part) for part in item.get("loc", [])[1:]] or ["__all__"]
        if location and location[0] in ("payload", "filters"):
            location = location[1:] or ["__all__"]
        errors.setdefault(".".join(location), []).append(_("Enter a valid value."))
    return api.create_response(request, body(_("The data is not valid."), errors), status=400)


@api.exception_handler(AuthenticationError)
def authentication_error(request, error):
    return api.create_response(
        request, body(_("Authentication required: send a valid API token.")), status=401
    )


@api.exception_handler(PermissionDenied)
def permission_denied(request, error):
    return api.create_response(
        request, body(_("You do not have permission to do this.")), status=403
    )


@api.exception_handler(Http404)
def not_found(request, error):
    return api.create_response(request, body(_("Not found.")), status=404)


@api.exception_handler(HttpError)
def http_error(request, error: HttpError):
    return api.create_response(request, body(str(error)), status=error.status_code)


# Business actions first: `/accounts/claim` must not be read as an account id.
api.add_router("/", customers_api.router)
api.add_router("/", activities_api.router)
api.add_router("/", calendar_api.router)
api.add_router("/", sms_api.router)
api.add_router("/", messages_api.router)
for _entity in registry.entities():
    api.add_router(f"/{_entity.plural}", build_router(_entity))
api.add_router("/", org.router)
api.add_router("/", customers_api.contacts_router)
api.add_router("/imports", imports_router)
api.add_router("/exports", exports_router)
api.add_router("/duplicates", duplicates.router)
api.add_router("/notifications", notifications.router)
api.add_router("/", labels.router)
api.add_router("/", privacy.router)
api.add_router("/", loyalty_api.router)
api.add_router("/", service_api.router)
api.add_router("/", sales_api.router)
api.add_router("/", mailbox_api.router)
api.add_router("/", workflow_api.router)
