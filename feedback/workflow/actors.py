"""Who acts on a case: a staff member, the system, or a citizen proved for one case."""

from dataclasses import dataclass

from feedback.access import role_of


@dataclass(frozen=True)
class Actor:
    """Who acts: a citizen (proved by reference and PIN), the system, or a staff user.

    `case_id` binds an actor to the one case it proved itself for (a citizen who gave the
    PIN, or an agent acting on the PIN the citizen gave); the workflow refuses a citizen
    action on any other case. Bound actors come from `citizen_of`, called only after a proof
    (feedback.citizens) or right after the submission that created the case.
    """

    kind: str
    user: object = None
    case_id: int | None = None

    @property
    def role(self) -> str | None:
        if self.kind != "staff":
            return self.kind
        return role_of(self.user)

    def is_bound_to(self, case) -> bool:
        return self.case_id is not None and self.case_id == case.pk


SYSTEM = Actor("system")


def staff(user) -> Actor:
    return Actor("staff", user)


def citizen_of(case, *, agent=None) -> Actor:
    """The citizen of this case (or an agent acting on their PIN), bound to it alone."""
    if agent is not None:
        return Actor("staff", agent, case_id=case.pk)
    return Actor("citizen", case_id=case.pk)
