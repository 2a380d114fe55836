"""Every route × every built-in role: allowed roles get past the permission check, others get 403."""

from __future__ import annotations

import re

from admin_api.auth import Principal
from admin_api.keys import OPERATIONS
from civic.staff.permissions import BUILTIN_ROLES
from tests.admin_api.support import ROLES, AdminEnv

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
PATTERNS = {role.key: frozenset(role.permissions) for role in BUILTIN_ROLES}


def _concrete(path: str) -> str:
    def value(m: re.Match) -> str:
        regex = m.group(2) or ""
        return regex.split("|")[0] if "|" in regex else "1"
    return _PARAM.sub(value, path)


async def test_every_route_checks_its_permission_for_every_role(env: AdminEnv, client) -> None:
    declared = {(op.method, op.path): op for op in env.app[OPERATIONS]}
    assert len(declared) >= 50
    checked = 0
    # Logging out ends the token, so it goes last.
    for (method, path), op in sorted(declared.items(), key=lambda kv: kv[0][1] == "/auth/logout"):
        for role in ROLES:
            principal = Principal(0, role, role, PATTERNS[role])
            r = await client.request(method, _concrete(path), headers=env.auth(role))
            body = await r.read()
            if op.public:
                assert r.status != 401, (method, path, role)
            elif op.permission is None or principal.can(op.permission):
                assert r.status not in (401, 403), (method, path, role, r.status, body[:200])
            else:
                assert r.status == 403, (method, path, role, r.status)
                assert op.permission in (await r.json())["error"]["message"]
            checked += 1
    assert checked == len(declared) * len(ROLES)


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
