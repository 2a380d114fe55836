"""Password hashing with argon2id (memory-hard) and the password rules staff are told about."""

from __future__ import annotations

import asyncio
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 128


class Passwords:
    """Hashing runs in a worker thread so a login never blocks the event loop.

    The defaults are argon2-cffi's (RFC 9106 low-memory profile: 64 MiB, 3 passes);
    ``Passwords.for_tests()`` uses tiny parameters so test suites stay fast.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    @classmethod
    def for_tests(cls) -> Passwords:
        return cls(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self.hasher.verify(stored, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    async def prepare(self) -> None:
        """Make the dummy hash (same parameters as real ones) before any sign-in is answered, so the first
        unknown login id costs no more than the first wrong password."""
        if self._dummy is None:
            self._dummy = await self.hash("madoguchi-dummy-password")

    async def burn(self, password: str) -> None:
        """Spend the time of one verification (unknown login), so timing does not reveal accounts."""
        if self._dummy is None:
            await self.prepare()
        assert self._dummy is not None  # prepare() set it
        await self.verify(self._dummy, password)


def password_problem(password: str, *, login: str = "") -> str | None:
    """Why this password is refused (Japanese, actionable), or None."""
    if len(password) < MIN_LENGTH:
        return f"パスワードは{MIN_LENGTH}文字以上にしてください（いまは{len(password)}文字です）。"
    if len(password) > MAX_LENGTH:
        return f"パスワードは{MAX_LENGTH}文字以内にしてください。"
    if any(unicodedata.category(c).startswith("C") for c in password):
        return "パスワードに制御文字（改行・タブなど）は使えません。"
    if len(set(password)) < 4:
        return "パスワードには4種類以上の文字を使ってください（同じ文字の繰り返しは使えません）。"
    if login and login.lower() in password.lower():
        return "パスワードにログインIDを含めないでください。"
    return None
