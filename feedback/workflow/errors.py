"""Why the workflow refused: specific exceptions that every channel turns into its own error."""


class WorkflowError(Exception):
    """A transition that cannot happen; `code` for adapters, `message` for people."""

    code = "workflow_error"

    def __init__(self, message, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code


class TransitionNotAllowed(WorkflowError):
    """Not from this status, or not now (a window has passed, a deadline has not)."""

    code = "transition_not_allowed"


class ActionNotPermitted(WorkflowError):
    """Not by this actor: their role, their part of the tree, or a case they did not prove."""

    code = "not_permitted"


class MissingInformation(WorkflowError):
    """The action needs a parameter that was not given, or was given wrong."""

    code = "missing_information"
