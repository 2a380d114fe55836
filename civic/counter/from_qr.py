"""A 届書 draft from what the resident prepared at home (手続きナビ's sealed QR code, §8(6) t, u)."""

from __future__ import annotations

from typing import Any

from civic.procedures.payload import Ticket

#: 手続きナビ's life events → the kind of 届書 they lead to (others start as 転入; staff change it).
EVENT_KINDS = {"moving_in": "tennyu", "moving-in": "tennyu", "tennyu": "tennyu", "moving_out": "tenshutsu",
               "tenshutsu": "tenshutsu", "moving_within": "tenkyo", "tenkyo": "tenkyo"}


def draft_from_ticket(ticket: Ticket) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    kind = next((v for k, v in EVENT_KINDS.items() if k in ticket.event), "tennyu")
    household: dict[str, Any] = {}
    members: list[dict[str, Any]] = []
    if ticket.household is not None:
        for a in ticket.household.addresses:
            target = "new_address" if a.role in ("new", "to", "after") else "old_address"
            if target not in household:
                household[target] = {"postal_code": a.postal_code, "text": a.text}
        for p in ticket.household.people:
            members.append({"name": p.name, "kana": p.kana, "birth_date": p.birth_date.isoformat(), "sex": p.sex,
                            "relationship": p.relationship})
        heads = [p.name for p in ticket.household.people if p.relationship == "世帯主"]
        household["head"] = heads[0] if heads else (members[0]["name"] if members else "")
    for key in ("moved_on", "move_date", "date"):
        if key in ticket.answers:
            household["moved_on"] = ticket.answers[key]
            break
    return kind, household, members
