"""What counts as the same customer or contact: compared fields, weights and threshold."""

from django.utils.translation import gettext_lazy as _

from guanxi.core.dedupe import normalize
from guanxi.core.registry import DuplicateField, DuplicateRules

ACCOUNT_DUPLICATES = DuplicateRules(
    fields=[
        DuplicateField("name", _("name"), normalize.COMPANY_NAME, ("name",), 0.45, max_block=20),
        DuplicateField("phone", _("phone"), normalize.PHONE, ("phone",), 0.25),
        # A mailbox such as info@group.com shared by a dozen branches names the group, not
        # one customer: such blocks are left to the name and phone keys.
        DuplicateField("email", _("email"), normalize.EMAIL, ("email",), 0.2, max_block=10),
        DuplicateField("address", _("address"), normalize.ADDRESS, ("address",), 0.1),
    ],
    threshold=0.75,
)

CONTACT_DUPLICATES = DuplicateRules(
    fields=[
        # Namesakes (张伟) are compared within one customer through the combined key below;
        # across customers only where few share the name.
        DuplicateField("name", _("name"), normalize.PERSON_NAME, ("name",), 0.4, max_block=8),
        DuplicateField("phone", _("phone"), normalize.PHONE, ("mobile", "phone"), 0.3),
        DuplicateField("email", _("email"), normalize.EMAIL, ("email",), 0.2),
        DuplicateField("account", _("customer"), normalize.EXACT, ("account",), 0.15),
        DuplicateField("address", _("address"), normalize.ADDRESS, ("address",), 0.05),
    ],
    threshold=0.75,
    combined_keys=[("name", "account")],
)
