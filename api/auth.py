"""Bearer tokens for operators and moderators, compared in constant time and never logged."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from api.errors import ApiError
from api.stored_tokens import StoredTokens

Role = Literal["operator", "moderator"]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="svodka"'}


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    name: str
    token: str  # kept only to key rate limits (hashed there); never logged or returned


class Tokens:
    def __init__(
        self, operators: dict[str, str], moderators: dict[str, str], stored: StoredTokens | None = None
    ) -> None:
        self._all = [(t.encode(), "operator", n) for t, n in operators.items()]
        self._all += [(t.encode(), "moderator", n) for t, n in moderators.items()]
        self.stored = stored  # tokens issued with `svodka tokens add`, beside the environment's

    def identify(self, token: str | None) -> Principal | None:
        if not token:
            return None
        given = token.encode()
        found: Principal | None = None
        # Every configured token is compared, so the time taken says nothing about which matched.
        for known, role, name in self._all:
            if hmac.compare_digest(given, known):
                found = Principal(role, name, token)
        if found is None and self.stored is not None and (issued := self.stored.identify(token)):
            found = Principal(issued[0], issued[1], token)
        return found

    def holds(self, role: str, name: str) -> bool:
        """Whether some token still names `name` in `role`: a console session (api/console) lasts
        only as long as the token it was opened with, or another for the same person."""
        if any(r == role and n == name for _, r, n in self._all):
            return True
        return self.stored is not None and self.stored.holds(role, name)

    def require(self, token: str | None, role: Role) -> Principal:
        principal = self.identify(token)
        if principal is None:
            message = "A bearer token is required." if not token else "This token is not valid."
            raise ApiError(401, message, field="Authorization", headers=CHALLENGE)
        return self.check_role(principal, role)

    @staticmethod
    def check_role(principal: Principal, role: Role) -> Principal:
        if principal.role != role:
            raise ApiError(403, f"This needs an {role} token." if role == "operator" else
                           f"This needs a {role} token.", field="Authorization")
        return principal
