"""Organisation: users, departments, teams, roles and territories (PLT-1)."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.choices import Action, Scope


class Department(models.Model):
    """Hold a node of the department tree; `path` makes "this department and below" one query."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    manager = models.ForeignKey(
        "core.User",
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    path = models.CharField(_("path"), max_length=500, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class Team(models.Model):
    """Group users across departments, e.g. a key-account team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams",
    )
    leader = models.ForeignKey(
        "core.User",
        verbose_name=_("leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    members = models.ManyToManyField(
        "core.User", verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """Name a set of per-entity permissions that users are given."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    max_accounts = models.PositiveIntegerField(
        _("maximum owned customers"),
        null=True,
        blank=True,
        help_text=_(
            "How many customers a user with this role may own before claiming more from the "
            "public pool is refused. Empty: no limit. A user with several roles gets the "
            "highest limit."
        ),
    )
    mask_personal_data = models.BooleanField(
        _("mask personal data"),
        default=False,
        help_text=_(
            "Users whose roles all mask personal data see phone numbers, emails and ID "
            "numbers partly hidden (138****1234) on screens, in the API and in exports."
        ),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RolePermission(models.Model):
    """Grant a role some actions on one entity within a data scope (数据权限)."""

    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="permissions"
    )
    entity = models.CharField(_("entity"), max_length=50)
    actions = models.JSONField(_("actions"), default=list)
    scope = models.CharField(_("data scope"), max_length=20, choices=Scope.choices)

    class Meta:
        verbose_name = _("role permission")
        verbose_name_plural = _("role permissions")
        constraints = [
            models.UniqueConstraint(fields=["role", "entity"], name="core_rolepermission_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role} · {self.entity}"

    def clean_actions(self) -> list[str]:
        return [action for action in self.actions if action in Action.values]


class Territory(models.Model):
    """Hold a sales territory (销售区域), a tree of regions used for assignment and reports."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent territory"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    regions = models.TextField(
        _("regions"),
        blank=True,
        help_text=_("Provinces, cities or countries covered, one per line."),
    )
    users = models.ManyToManyField(
        "core.User", verbose_name=_("users"), related_name="territories", blank=True
    )

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Hold a person who logs in to Guanxi, with their place in the organisation."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), related_name="users", blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        help_text=_("Empty: follow the browser."),
    )
    time_zone = models.CharField(_("time zone"), max_length=50, blank=True)
    preferences = models.JSONField(_("preferences"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username
