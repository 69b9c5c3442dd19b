"""The case workflow: the one table of actions, the transitions, intake.

Adapters (web, admin, API, USSD, SMS, Open311) import this package and call `perform` with
an action's name and the parameters the table lists, or a transition by name.
"""

from django.utils.translation import gettext_lazy as _

from feedback.workflow import transitions
from feedback.workflow.actions import (
    ACTIONS,
    Action,
    Param,
    allowed_actions,
    appeal_deadline,
    due_soon_limit,
    implied_steps,
    is_due_soon,
    is_overdue,
    next_due,
    refusal,
)
from feedback.workflow.actors import SYSTEM, Actor, citizen_of, staff
from feedback.workflow.errors import (
    ActionNotPermitted,
    MissingInformation,
    TransitionNotAllowed,
    WorkflowError,
)
from feedback.workflow.intake import (
    ContactDetails,
    InvalidPhone,
    Submission,
    check_pin,
    normalise_phone,
    pin_digest,
    route,
    submit,
)
from feedback.workflow.transitions import (
    acknowledge,
    add_information,
    answer_directive,
    appeal,
    approve_outcome,
    assign,
    assignable,
    charter_days,
    close,
    close_with_pointer,
    dismiss_appeal,
    dispute,
    escalate,
    escalate_appeal,
    give_directive,
    interim_reply,
    merge,
    merge_refusal,
    rate,
    receive_information,
    refer,
    reject,
    reopen,
    reply,
    request_information,
    resolve,
    send_back_outcome,
    set_confidential,
    start,
    uphold_appeal,
    withdraw_outcome,
    write_outcome,
)


def perform(name: str, case, *, by: Actor, now=None, **params):
    """Take the action named `name` with the parameters its table entry lists."""
    action = ACTIONS.get(name)
    if action is None:
        raise TransitionNotAllowed(_("That action does not exist."))
    known = {param.name for param in action.params}
    return getattr(transitions, name)(
        case, by=by, now=now, **{key: value for key, value in params.items() if key in known}
    )


__all__ = [
    "ACTIONS",
    "SYSTEM",
    "Action",
    "ActionNotPermitted",
    "Actor",
    "ContactDetails",
    "InvalidPhone",
    "MissingInformation",
    "Param",
    "Submission",
    "TransitionNotAllowed",
    "WorkflowError",
    "acknowledge",
    "add_information",
    "allowed_actions",
    "answer_directive",
    "appeal",
    "appeal_deadline",
    "approve_outcome",
    "assign",
    "assignable",
    "charter_days",
    "check_pin",
    "citizen_of",
    "close",
    "close_with_pointer",
    "dismiss_appeal",
    "dispute",
    "due_soon_limit",
    "escalate",
    "escalate_appeal",
    "give_directive",
    "implied_steps",
    "interim_reply",
    "is_due_soon",
    "is_overdue",
    "merge",
    "merge_refusal",
    "next_due",
    "normalise_phone",
    "perform",
    "pin_digest",
    "rate",
    "receive_information",
    "refer",
    "refusal",
    "reject",
    "reopen",
    "reply",
    "request_information",
    "resolve",
    "route",
    "send_back_outcome",
    "set_confidential",
    "staff",
    "start",
    "submit",
    "uphold_appeal",
    "withdraw_outcome",
    "write_outcome",
]
