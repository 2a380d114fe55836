from __future__ import annotations

import pytest

from civic.crypto import DecryptionError, FieldCipher, new_key_text, parse_key


def test_round_trip_and_fresh_nonce() -> None:
    cipher = FieldCipher(parse_key(new_key_text()))
    a, b = cipher.encrypt("みどり町 本町1-2-3"), cipher.encrypt("みどり町 本町1-2-3")
    assert a != b
    assert cipher.decrypt(a) == "みどり町 本町1-2-3"


def test_tampering_is_detected() -> None:
    cipher = FieldCipher(parse_key(new_key_text()))
    token = cipher.encrypt("secret")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptionError):
        cipher.decrypt(flipped)
    with pytest.raises(DecryptionError):
        cipher.decrypt("not-a-token")


def test_context_binds_ciphertext() -> None:
    cipher = FieldCipher(parse_key(new_key_text()))
    token = cipher.encrypt("x", context=b"qr")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=b"other")


@pytest.mark.parametrize("bad", ["", "abc", "00" * 16, "zz" * 32 + "!"])
def test_bad_keys_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_key(bad)


def test_bytes_are_sealed_without_base64_tamper_proof_and_readable_after_rotation() -> None:
    old, new = parse_key(new_key_text()), parse_key(new_key_text())
    data = b"%PDF-1.4 " + bytes(range(256)) * 40
    sealed = FieldCipher(old).encrypt_bytes(data)
    assert len(sealed) == len(data) + 40 and data not in sealed
    assert FieldCipher(old).decrypt_bytes(sealed) == data
    assert FieldCipher(new, retired=[old]).decrypt_bytes(sealed) == data  # the key rotated: still readable
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for bad in (flipped, b"garbage", b"v1.00000000." + sealed[12:]):
        with pytest.raises(DecryptionError):
            FieldCipher(old).decrypt_bytes(bad)
    with pytest.raises(DecryptionError):
        FieldCipher(new).decrypt_bytes(sealed)
