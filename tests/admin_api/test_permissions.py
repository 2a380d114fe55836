"""Every route × every built-in role: allowed roles get past the permission check, others get 403."""

from __future__ import annotations

import re

from aiohttp import ClientResponse

from admin_api.auth import Principal
from admin_api.keys import OPERATIONS
from admin_api.routing import Operation
from civic.staff.permissions import BUILTIN_ROLES
from tests.admin_api.support import ROLES, AdminEnv

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
PATTERNS = {role.key: frozenset(role.permissions) for role in BUILTIN_ROLES}


def _concrete(path: str) -> str:
    def value(m: re.Match) -> str:
        regex = m.group(2) or ""
        return regex.split("|")[0] if "|" in regex else "1"
    return _PARAM.sub(value, path)


def _success(op: Operation) -> int:
    return op.status if op.response is not None or op.status != 200 else 204


#: What the administrator may be told when the bare request (no body, id 1, nothing published yet)
#: cannot succeed here.
INPUT_REFUSALS = {(400, "body_required"), (404, "not_found"), (404, "release_not_found"),
                  (415, "unsupported_media_type"), (422, "nothing_to_publish"), (409, "nothing_published"),
                  (409, "nothing_tried"), (409, "builtin_role")}


async def _answer(r: ClientResponse) -> tuple[int, str | None]:
    if r.content_type != "application/json" or r.status < 400:
        await r.read()
        return r.status, None
    return r.status, (await r.json())["error"]["code"]


async def test_every_route_checks_its_permission_for_every_role(env: AdminEnv, client) -> None:
    """A role that may call a route gets exactly the administrator's answer (the declared success,
    or the same refusal of the bare request); a role that may not gets 403 naming the permission."""
    declared = {(op.method, op.path): op for op in env.app[OPERATIONS]}
    assert len(declared) >= 50 and ROLES[0] == "admin"
    checked, succeeded = 0, 0
    # Logging out ends the token, so it goes last.
    for (method, path), op in sorted(declared.items(), key=lambda kv: kv[0][1] == "/auth/logout"):
        must_succeed = method == "GET" and "\\d+" not in path  # nothing to look up: it can only succeed
        admin_answer = None
        for role in ROLES:
            principal = Principal(0, role, role, PATTERNS[role])
            r = await client.request(method, _concrete(path), headers=env.auth(role))
            answer = await _answer(r)
            if op.public:
                assert answer == (400, "body_required"), (method, path, role, answer)
            elif op.permission is None or principal.can(op.permission):
                if admin_answer is None:
                    admin_answer = answer
                    assert answer == (_success(op), None) or (not must_succeed and answer in INPUT_REFUSALS), (
                        method, path, answer)
                    succeeded += answer[0] == _success(op)
                assert answer == admin_answer, (method, path, role, answer, admin_answer)
            else:
                assert answer == (403, "forbidden"), (method, path, role, answer)
                assert op.permission in (await r.json())["error"]["message"]
            checked += 1
    assert checked == len(declared) * len(ROLES)
    # most routes that a bare request can complete (no body to send) were really called, not just refused
    bare = [op for op in declared.values() if op.body is None and not op.consumes and not op.public]
    assert succeeded >= len(bare) * 2 // 3


def test_the_built_in_roles_mean_what_their_names_say() -> None:
    def can(role: str, permission: str) -> bool:
        return Principal(0, role, role, PATTERNS[role]).can(permission)

    assert all(can("admin", p) for p in ("staff.manage", "audit.view", "personal.view", "richmenus.publish"))
    assert can("viewer", "stats.read") and can("viewer", "richmenus.read") and can("viewer", "bookings.read")
    for sensitive in ("staff.manage", "audit.view", "talklog.view", "personal.view", "richmenus.edit"):
        assert not can("viewer", sensitive)
    assert can("editor", "richmenus.edit") and not can("editor", "richmenus.publish")
    assert can("delivery", "deliveries.send") and can("delivery", "segments.edit") and can("delivery", "richmenus.edit")
    assert can("facility", "bookings.manage") and can("facility", "facilities.edit")
    assert not can("facility", "richmenus.edit") and not can("facility", "deliveries.send")
    assert can("facility", "personal.view")  # bookings by phone and at the counter need names and numbers
    for role in ("editor", "delivery", "facility", "viewer"):
        assert not can(role, "staff.manage") and not can(role, "audit.view") and not can(role, "talklog.view")
    for role in ("editor", "delivery", "counter", "viewer"):
        assert not can(role, "personal.view")
