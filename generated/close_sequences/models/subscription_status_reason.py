from enum import StrEnum


class SubscriptionStatusReason(StrEnum):
    """Known values of `SubscriptionStatusReason`; a value Close adds later parses too (see `_missing_`)."""

    ACCOUNT_FAILURES = "account-failures"
    ACCOUNT_INVALID = "account-invalid"
    ASSIGNEES_MISSING = "assignees-missing"
    ASSIGNMENT_FIELD_INVALID = "assignment-field-invalid"
    BILLING_ERROR = "billing-error"
    BULK_ACTION = "bulk-action"
    CALL_ANSWERED = "call-answered"
    CALL_FAILED = "call-failed"
    EMAIL_AI_GENERATION_FAILED = "email-ai-generation-failed"
    EMAIL_BOUNCED = "email-bounced"
    FIELD_MAPPING_ERROR = "field-mapping-error"
    FILTER_CONFIG_INVALID = "filter-config-invalid"
    FILTER_NOT_MATCHED = "filter-not-matched"
    INTERNAL_ERROR = "internal-error"
    LEAD_NOT_VISIBLE = "lead-not-visible"
    LEAD_STATUS_CHANGED = "lead-status-changed"
    LEAD_STATUS_FIELD_INVALID = "lead-status-field-invalid"
    MANUAL = "manual"
    MEETING_BOOKED = "meeting-booked"
    MEMBERSHIP_INACTIVE = "membership-inactive"
    NO_USER_PHONE = "no-user-phone"
    OUTCOME_MET = "outcome-met"
    PENDING_CALL_TIMED_OUT = "pending-call-timed-out"
    RATE_LIMITED = "rate-limited"
    REPLY_RECEIVED = "reply-received"
    RUN_AS_DISABLED = "run-as-disabled"
    SENDING_THROTTLED_TOO_LONG = "sending-throttled-too-long"
    SEND_AS_ERROR = "send-as-error"
    SEQUENCE_DELETED = "sequence-deleted"
    SMS_FAILED = "sms-failed"
    WORKFLOW_PAUSED = "workflow-paused"

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> "SubscriptionStatusReason | None":
        # Close adds enum values over time. An unknown string becomes a pseudo-member,
        # so an older client still parses the response and writes the value back unchanged;
        # it is not listed by iteration. Cached so the same value gives the same object.
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]
