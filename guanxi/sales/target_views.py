"""The sales targets screen (销售目标): people and departments × the months of a year."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.core.models import Department, User
from guanxi.core.money import default_currency
from guanxi.sales import forecast_scope, forecast_services
from guanxi.sales.forecast_choices import PeriodType
from guanxi.sales.models import Target

MAX_PEOPLE = 300


@dataclass
class GridRow:
    kind: str
    subject: object
    name: str
    editable: bool
    depth: int = 0
    cells: dict[int, Decimal | None] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.subject.pk}"

    @property
    def total(self) -> Decimal:
        return sum((v for v in self.cells.values() if isinstance(v, Decimal)), Decimal("0"))

    def inputs(self):
        return [(month, self.cells.get(month)) for month in range(1, 13)]


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _subjects(actor, root: Department | None) -> tuple[list[Department], list[User]]:
    """Return the departments and people of the grid: those the actor manages or sees."""
    departments = Department.objects.all()
    visible = forecast_scope.visible_department_q(actor)
    if visible is not None:
        departments = departments.filter(visible)
    people = User.objects.filter(is_active=True).select_related("department")
    allowed = forecast_scope.visible_people(actor)
    managed = forecast_scope.managed_user_q(actor)
    if allowed is not None:
        people = people.filter(Q(pk__in=allowed) | (managed if managed is not None else Q()))
    if root is not None:
        departments = departments.filter(path__startswith=root.path)
        people = people.filter(department__path__startswith=root.path)
    return list(departments.order_by("path")), list(
        people.order_by("department__path", "username")[:MAX_PEOPLE]
    )


def _grid(actor, year: int, root: Department | None) -> list[GridRow]:
    departments, people = _subjects(actor, root)
    rows = [
        GridRow("department", d, d.name, forecast_scope.can_manage_department(actor, d), d.depth)
        for d in departments
    ]
    rows += [
        GridRow("user", p, str(p.get_full_name() or p), forecast_scope.can_manage_user(actor, p))
        for p in people
    ]
    by_key = {(row.kind, row.subject.pk): row for row in rows}
    targets = Target.objects.filter(
        Q(user_id__in=[p.pk for p in people]) | Q(department_id__in=[d.pk for d in departments]),
        period_type=PeriodType.MONTH,
        period_start__year=year,
        currency=default_currency(),
    )
    for target in targets:
        key = ("user", target.user_id) if target.user_id else ("department", target.department_id)
        if key in by_key:
            by_key[key].cells[target.period_start.month] = target.amount
    return rows


def _read_cells(post, rows: list[GridRow]) -> tuple[dict, dict, list[str]]:
    cells, subjects, errors = {}, {}, []
    for row in rows:
        if not row.editable:
            continue
        for month in range(1, 13):
            name = f"cell-{row.key}-{month}"
            if name not in post:
                continue
            text = post[name].replace(",", "").strip()
            try:
                amount = Decimal(text) if text else None
            except InvalidOperation:
                amount = Decimal("-1")
            if amount is not None and (amount < 0 or not amount.is_finite()):
                errors.append(
                    _("%(name)s, month %(month)s: give an amount of 0 or more.")
                    % {"name": row.name, "month": month}
                )
                continue
            if amount != row.cells.get(month):
                cells[(row.kind, row.subject.pk, month)] = amount
                subjects[(row.kind, row.subject.pk)] = row.subject
    return cells, subjects, errors


@login_required
@require_http_methods(["GET", "POST"])
def target_grid(request):
    """Show a year's monthly targets; managers edit the rows of the people they manage."""
    source = request.POST if request.method == "POST" else request.GET
    year = _year(source.get("year"))
    root = (
        Department.objects.filter(pk=source.get("department") or 0).first()
        if (source.get("department") or "").isdigit()
        else None
    )
    rows = _grid(request.user, year, root)
    status = 200
    if request.method == "POST":
        cells, subjects, errors = _read_cells(request.POST, rows)
        if not errors:
            try:
                changed = forecast_services.target_grid_save(
                    actor=request.user, year=year, cells=cells, subjects=subjects
                )
            except PermissionDenied:
                errors = [_("You do not have permission to do this.")]
            else:
                messages.success(request, _("%(count)s targets saved.") % {"count": changed})
                query = {"year": year, **({"department": root.pk} if root else {})}
                return redirect(f"{reverse('web:target_grid')}?{urlencode(query)}")
        for error in errors:
            messages.error(request, error)
        for row in rows:  # show what was typed, to be corrected
            for month in range(1, 13):
                posted = request.POST.get(f"cell-{row.key}-{month}")
                if row.editable and posted is not None:
                    row.cells[month] = posted
        status = 400
    departments, _people = _subjects(request.user, None)
    context = {
        "year": year,
        "root": root,
        "rows": rows,
        "months": [(number, MONTHS_3[number]) for number in range(1, 13)],
        "departments": departments,
        "currency": default_currency(),
        "editable": any(row.editable for row in rows),
        "years": [year - 1, year, year + 1],
    }
    return render(request, "sales/forecast/targets.html", context, status=status)
