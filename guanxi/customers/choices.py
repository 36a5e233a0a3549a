"""Choices of customers and contacts (CUS-1 … CUS-3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AccountType(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    PROSPECT = "prospect", _("Prospect")
    PARTNER = "partner", _("Partner")
    RESELLER = "reseller", _("Reseller / agent")
    COMPETITOR = "competitor", _("Competitor")
    OTHER = "other", _("Other")


class AccountKind(models.TextChoices):
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class Grade(models.TextChoices):
    VIP = "vip", _("VIP")
    IMPORTANT = "important", _("Important")
    ORDINARY = "ordinary", _("Ordinary")


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    IT = "it", _("IT and software")
    INTERNET = "internet", _("Internet")
    FINANCE = "finance", _("Finance")
    RETAIL = "retail", _("Retail and wholesale")
    EDUCATION = "education", _("Education")
    HEALTHCARE = "healthcare", _("Healthcare")
    CONSTRUCTION = "construction", _("Construction and real estate")
    LOGISTICS = "logistics", _("Logistics")
    ENERGY = "energy", _("Energy")
    GOVERNMENT = "government", _("Government and public sector")
    SERVICES = "services", _("Professional services")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website")
    EXHIBITION = "exhibition", _("Exhibition")
    COLD_CALL = "cold_call", _("Cold call")
    ADVERTISING = "advertising", _("Advertising")
    PARTNER = "partner", _("Partner")
    SOCIAL = "social", _("Social media")
    OTHER = "other", _("Other")


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    PURCHASER = "purchaser", _("Purchaser")
    USER = "user", pgettext_lazy("contact role", "User")
    TECHNICAL = "technical", _("Technical contact")
    FINANCE = "finance", _("Finance contact")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Not stated")


class OwnershipStart(models.TextChoices):
    """How a customer came to its owner."""

    CREATED = "created", _("Created")
    CLAIMED = "claimed", _("Claimed from the pool")
    ASSIGNED = "assigned", _("Assigned")
    TRANSFERRED = "transferred", _("Transferred")


class OwnershipEnd(models.TextChoices):
    """How an owner lost a customer."""

    RELEASED = "released", _("Released to the pool")
    RETURNED = "returned", _("Returned by the pool rule")
    TRANSFERRED = "transferred", _("Transferred")
    MERGED = "merged", _("Merged")


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Consented")
    WITHDRAWN = "withdrawn", _("Opted out")


class ConsentSource(models.TextChoices):
    FORM = "form", _("Entered by a user")
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    CUSTOMER_REQUEST = "customer_request", _("Customer request")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    OTHER = "other", _("Other")
