"""Template helpers of the public pool."""

from django import template

from guanxi.customers.ownership import accessible_pool_ids

register = template.Library()


@register.filter
def claimable_by(account, user) -> bool:
    """Tell whether the user may claim the customer: unowned, in a pool open to them."""
    return account.in_pool and account.pool_id in accessible_pool_ids(user)
