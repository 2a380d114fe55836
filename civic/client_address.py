"""Who is calling: the client's address behind the town's reverse proxies (``TRUSTED_PROXIES``).

``X-Forwarded-For`` is honoured only when the immediate peer is a trusted proxy; the chain is read
from the right (the hop nearest us) and stops at the first address that is not a trusted proxy.
Anything else would let a client choose its own address (and so escape every per-address limit).
The service rewrites ``request.remote`` with this once, at its edge (``bot.app``), so rate limits,
login throttling, the operation log and access logs all see the same client address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.0.2.7, ::1"`` → networks; ``ValueError`` naming the bad entry."""
    networks = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def parse_address(text: str | None) -> Address | None:
    """An address as proxies write it: ``192.0.2.1``, ``192.0.2.1:5678``, ``[2001:db8::1]:443``, ``2001:db8::1``."""
    if not text:
        return None
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    def __init__(self, networks: Iterable[Network | str] = ()) -> None:
        self.networks = tuple(n if not isinstance(n, str) else ipaddress.ip_network(n, strict=False) for n in networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in n for n in self.networks if n.version == address.version)

    def client_of(self, peer: str | None, forwarded_for: Iterable[str] = ()) -> str | None:
        """The client's address: ``peer`` unless it is a trusted proxy that says who it forwarded for."""
        current = parse_address(peer)
        if current is None or not self.trusts(current):
            return peer
        hops = [h for value in forwarded_for for h in value.split(",") if h.strip()]
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                break  # garbage in the chain: the last trusted hop is all we know
            current = address
            if not self.trusts(address):
                break
        return str(current)
