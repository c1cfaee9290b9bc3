"""Contains all the data models used in inputs/outputs"""

from .bulk_action_status import BulkActionStatus
from .bulk_action_type import BulkActionType
from .bulk_sequence_subscription import BulkSequenceSubscription
from .bulk_sequence_subscription_create import BulkSequenceSubscriptionCreate
from .bulk_sequence_subscription_list import BulkSequenceSubscriptionList
from .contact_preference import ContactPreference
from .error_body import ErrorBody
from .event import Event
from .event_action import EventAction
from .event_meta import EventMeta
from .event_object_type import EventObjectType
from .rate_limit_details import RateLimitDetails
from .rate_limit_error_body import RateLimitErrorBody
from .schedule import Schedule
from .schedule_range import ScheduleRange
from .sequence import Sequence
from .sequence_create import SequenceCreate
from .sequence_list import SequenceList
from .sequence_status import SequenceStatus
from .sequence_step import SequenceStep
from .sequence_step_input import SequenceStepInput
from .sequence_subscription import SequenceSubscription
from .sequence_subscription_create import SequenceSubscriptionCreate
from .sequence_subscription_list import SequenceSubscriptionList
from .sequence_subscription_update import SequenceSubscriptionUpdate
from .sequence_update import SequenceUpdate
from .step_threading import StepThreading
from .step_type import StepType
from .subscription_counts_by_status import SubscriptionCountsByStatus
from .subscription_status import SubscriptionStatus
from .subscription_status_reason import SubscriptionStatusReason
from .validation_error_body import ValidationErrorBody
from .validation_error_body_field_errors import ValidationErrorBodyFieldErrors
from .webhook_event import WebhookEvent

__all__ = (
    "BulkActionStatus",
    "BulkActionType",
    "BulkSequenceSubscription",
    "BulkSequenceSubscriptionCreate",
    "BulkSequenceSubscriptionList",
    "ContactPreference",
    "ErrorBody",
    "Event",
    "EventAction",
    "EventMeta",
    "EventObjectType",
    "RateLimitDetails",
    "RateLimitErrorBody",
    "Schedule",
    "ScheduleRange",
    "Sequence",
    "SequenceCreate",
    "SequenceList",
    "SequenceStatus",
    "SequenceStep",
    "SequenceStepInput",
    "SequenceSubscription",
    "SequenceSubscriptionCreate",
    "SequenceSubscriptionList",
    "SequenceSubscriptionUpdate",
    "SequenceUpdate",
    "StepThreading",
    "StepType",
    "SubscriptionCountsByStatus",
    "SubscriptionStatus",
    "SubscriptionStatusReason",
    "ValidationErrorBody",
    "ValidationErrorBodyFieldErrors",
    "WebhookEvent",
)
