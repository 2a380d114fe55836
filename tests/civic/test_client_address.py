"""The client address behind trusted proxies: X-Forwarded-For counts only when a trusted proxy sends it."""

from __future__ import annotations

import pytest

from civic.client_address import TrustedProxies, parse_address, parse_networks

PROXIES = TrustedProxies(parse_networks("10.0.0.0/8, 192.0.2.7, ::1"))


@pytest.mark.parametrize("peer, forwarded, client", [
    ("10.1.2.3", ["198.51.100.9"], "198.51.100.9"),            # our proxy says who it forwarded for
    ("10.1.2.3", ["6.6.6.6, 198.51.100.9"], "198.51.100.9"),    # a client's own header stays on the left
    ("10.1.2.3", ["198.51.100.9, 10.4.4.4"], "198.51.100.9"),   # two trusted hops
    ("10.1.2.3", ["6.6.6.6", "198.51.100.9"], "198.51.100.9"),  # the header sent twice reads as one list
    ("203.0.113.5", ["198.51.100.9"], "203.0.113.5"),           # an untrusted peer cannot choose its address
    ("10.1.2.3", [], "10.1.2.3"),
    ("10.1.2.3", ["not-an-ip"], "10.1.2.3"),
    ("10.1.2.3", ["10.9.9.9, 10.8.8.8"], "10.9.9.9"),           # only proxies: the farthest one
    ("::1", ["[2001:db8::5]:443"], "2001:db8::5"),
    ("192.0.2.7", ["198.51.100.9:5678"], "198.51.100.9"),
    (None, ["198.51.100.9"], None),
])
def test_client_of(peer, forwarded, client) -> None:
    assert PROXIES.client_of(peer, forwarded) == client


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert TrustedProxies().client_of("10.1.2.3", ["198.51.100.9"]) == "10.1.2.3"
    assert not TrustedProxies() and PROXIES


def test_parsing() -> None:
    assert str(parse_address("::ffff:192.0.2.1")) == "192.0.2.1"
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        parse_networks("10.0.0.0/8,10.0.0.0/33")
