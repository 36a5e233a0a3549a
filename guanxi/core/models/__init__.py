from guanxi.core.models.base import BaseModel, OwnedModel
from guanxi.core.models.config import CustomField, Sequence, localized
from guanxi.core.models.dedupe import (
    DuplicateCluster,
    DuplicateKey,
    DuplicateProfile,
    DuplicateRule,
    MergeRecord,
)
from guanxi.core.models.grouping import Group, GroupMember, Tag, Tagging
from guanxi.core.models.org import Department, Role, RolePermission, Team, Territory, User
from guanxi.core.models.records import AuditEntry, SearchToken, Share
from guanxi.core.models.system import ApiToken, Job, Notification, NotificationPreference

__all__ = [
    "ApiToken",
    "AuditEntry",
    "BaseModel",
    "CustomField",
    "Department",
    "DuplicateCluster",
    "DuplicateKey",
    "DuplicateProfile",
    "DuplicateRule",
    "Group",
    "GroupMember",
    "Job",
    "MergeRecord",
    "Notification",
    "NotificationPreference",
    "OwnedModel",
    "Role",
    "RolePermission",
    "SearchToken",
    "Sequence",
    "Share",
    "Tag",
    "Tagging",
    "Team",
    "Territory",
    "User",
    "localized",
]
