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
    SMS_REPLY = "sms_reply", _("Reply by SMS")
    OTHER = "other", _("Other")


class Relationship(models.TextChoices):
    """How an account relates to us (CUS-2)."""

    CONSUMER = "consumer", _("Consumer")
    BUSINESS = "business", _("B2B")
    CHANNEL = "channel", _("Channel")
    INTERNAL = "internal", _("Internal")


class Loyalty(models.TextChoices):
    LOYAL = "loyal", _("Loyal")
    RETURNING = "returning", _("Returning")
    NEW = "new", pgettext_lazy("customer loyalty", "New")
    POTENTIAL = "potential", _("Potential")


class ValueClass(models.TextChoices):
    """Customer value class: how the account buys (灯塔型, 跟随型, 理性型, 逐利型)."""

    LIGHTHOUSE = "lighthouse", _("Lighthouse")
    FOLLOWER = "follower", _("Follower")
    RATIONAL = "rational", _("Rational")
    BARGAIN = "bargain", _("Bargain-seeking")


class LifecycleStage(models.TextChoices):
    """Customer lifecycle stage (客户生命周期), from first contact to lost."""

    SUSPECT = "suspect", _("Suspect")
    PROSPECT = "prospect", _("Prospect")
    FIRST_PURCHASE = "first_purchase", _("First purchase")
    REPEAT = "repeat", _("Repeat purchase")
    LOYAL = "loyal", _("Loyal customer")
    DORMANT = "dormant", _("Dormant")
    LOST = "lost", _("Lost")


class ClassificationField(models.TextChoices):
    """The account fields that classification rules may keep."""

    GRADE = "grade", _("Customer grade")
    RELATIONSHIP = "relationship", _("Relationship")
    LOYALTY = "loyalty", _("Loyalty")
    VALUE_CLASS = "value_class", _("Value class")
    LIFECYCLE_STAGE = "lifecycle_stage", _("Lifecycle stage")


class PointsKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    ADJUST = "adjust", _("Adjusted")
    EXPIRE = "expire", _("Expired")


class LevelColour(models.TextChoices):
    GREY = "secondary", _("Grey")
    BLUE = "blue", _("Blue")
    AZURE = "azure", _("Azure")
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Gold")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")
    PURPLE = "purple", _("Purple")
    DARK = "dark", _("Black")


class Operator(models.TextChoices):
    """Comparison of a rule condition: a metric's value against the condition's value."""

    EQ = "eq", _("is")
    NE = "ne", _("is not")
    GT = "gt", _("is greater than")
    GTE = "gte", _("is at least")
    LT = "lt", _("is less than")
    LTE = "lte", _("is at most")
    IN = "in", _("is one of")
    EMPTY = "empty", _("is empty")
    NOT_EMPTY = "not_empty", _("is not empty")
