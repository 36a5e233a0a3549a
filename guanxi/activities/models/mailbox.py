"""Mailboxes fetched over IMAP: a user's own, or a shared one (sales@, info@) of a team.

The password is kept sealed (`guanxi.core.secretbox`) and never shown back. The fetch
state — the highest UID stored under the folder's UIDVALIDITY, the last fetch and the
last error — lets each run take only new messages and shows what went wrong.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.activities.choices import MailSecurity
from guanxi.core import secretbox
from guanxi.core.models import BaseModel


class MailboxQuerySet(models.QuerySet):
    def manageable_by(self, user) -> MailboxQuerySet:
        """Return the mailboxes a user may change: their own; administrators' all."""
        if user.is_superuser or user.is_staff:
            return self.all()
        return self.filter(owner=user)

    def readable_by(self, user) -> MailboxQuerySet:
        """Return the mailboxes whose messages a user may read and file.

        A personal mailbox is its owner's; a shared one is for the users and teams it is
        shared with (administrators see every mailbox).
        """
        if user.is_superuser or user.is_staff:
            return self.all()
        return self.filter(
            Q(owner=user)
            | Q(owner__isnull=True, users=user)
            | Q(owner__isnull=True, teams__members=user)
        ).distinct()


class Mailbox(BaseModel):
    """Hold one IMAP mailbox to fetch incoming email from, and where its fetching stands."""

    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("IMAP server"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("connection security"),
        max_length=10,
        choices=MailSecurity.choices,
        default=MailSecurity.SSL,
    )
    username = models.CharField(_("user name"), max_length=200)
    password_sealed = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    email = models.EmailField(
        _("address"),
        blank=True,
        help_text=_("The mailbox's own address; mail sent from it is matched by its recipients."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mailboxes",
        help_text=_("Empty for a shared mailbox."),
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with users"),
        blank=True,
        related_name="shared_mailboxes",
    )
    teams = models.ManyToManyField(
        "core.Team", verbose_name=_("shared with teams"), blank=True, related_name="mailboxes"
    )
    is_active = models.BooleanField(_("active"), default=True)
    uid_validity = models.PositiveBigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.PositiveBigIntegerField(_("last UID seen"), default=0)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # Set while a worker fetches, so a second run at the same time leaves the mailbox alone.
    fetching_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = MailboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "id"], name="mailbox_active_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    @property
    def has_password(self) -> bool:
        return bool(self.password_sealed)

    def set_password(self, password: str) -> None:
        self.password_sealed = secretbox.seal(password)

    def get_password(self) -> str:
        """Return the password in clear, for the IMAP login only (raises SecretUnreadable)."""
        return secretbox.unseal(self.password_sealed)

    def own_addresses(self) -> set[str]:
        """Return the addresses mail from this mailbox's own user is sent from, lower case."""
        found = {self.email.lower()} if self.email else set()
        if "@" in self.username:
            found.add(self.username.lower())
        if self.owner is not None and self.owner.email:
            found.add(self.owner.email.lower())
        return found
