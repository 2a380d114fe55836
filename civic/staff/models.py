"""Staff accounts, roles, login sessions and the operation log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime


class StaffRole(SQLModel, table=True):
    """A named set of permission patterns (``bookings.manage``, ``bookings.*``, ``*.read``, ``*``)."""

    __tablename__ = "staff_role"

    id: int | None = Field(default=None, primary_key=True)
    #: A short key (``admin``, ``editor``) used by the CLI and in logs.
    key: str = Field(sa_column=sa.Column(sa.String(40), unique=True, nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))  # 管理者, 編集者, …
    #: JSON list of permission patterns.
    permissions: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    builtin: bool = Field(default=False, nullable=False)
    #: Members must sign in with a second factor (TOTP); until they enrol they can do nothing else
    #: (酒田市 第5章 1(5) 二段階認証).
    require_two_factor: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False,
                                                                         server_default=sa.false()))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class StaffAccount(SQLModel, table=True):
    __tablename__ = "staff_account"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_column=sa.Column(sa.String(64), unique=True, nullable=False))
    display_name: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    #: argon2id hash (memory-hard); never the password.
    password_hash: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    role_id: int = Field(foreign_key="staff_role.id", index=True)
    active: bool = Field(default=True, nullable=False)
    failed_logins: int = Field(default=0, nullable=False)
    locked_until: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    last_login_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    password_changed_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    #: TOTP (RFC 6238) secret, encrypted; set once enrolment is confirmed with a first code.
    totp_secret: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    #: A secret shown for enrolment but not yet confirmed.
    totp_pending: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    totp_enabled_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    #: The last time step whose code was accepted: a code is good once (no replay within its 30 s).
    totp_last_step: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class StaffSession(SQLModel, table=True):
    """A login: the bearer token is kept only as its SHA-256, so a database copy cannot log in."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), unique=True, nullable=False))
    staff_id: int = Field(foreign_key="staff_account.id", index=True)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    last_seen_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    remote: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))


class OperationLog(SQLModel, table=True):
    """Who changed what, when, from where, with the state before and after (kept ≥ 24 months, 国富町 表3 26)."""

    __tablename__ = "operation_log"
    __table_args__ = (
        sa.Index("ix_operation_log_target", "target_type", "target_id"),
        sa.Index("ix_operation_log_staff_at", "staff_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    #: Null for actions without a logged-in account (a failed login).
    staff_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    #: Copied, so the entry still reads right after the account is renamed or removed.
    staff_login: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(80), nullable=False, index=True))
    target_type: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    target_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(80), nullable=True))
    #: JSON snapshots; encrypted because they may hold personal data (a booking's name, …).
    before: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    after: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    remote: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted where there is no account row to count them on: per login id without
    an active account (so an unknown id is answered exactly like a known one) and per client address.

    ``key`` is ``login:<sha-256 of the id>`` (a mistyped password in the id field is not kept) or
    ``address:<ip>``. Rows in PostgreSQL are shared by every instance of the service.
    """

    __tablename__ = "staff_login_throttle"

    key: str = Field(sa_column=sa.Column(sa.String(80), primary_key=True))
    failed_logins: int = Field(default=0, nullable=False)
    window_started_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))


class StaffRecoveryCode(SQLModel, table=True):
    """One-time codes for signing in without the authenticator app (a lost phone); kept as hashes."""

    __tablename__ = "staff_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_account.id", index=True)
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class StaffFacility(SQLModel, table=True):
    """The facilities a staff member manages (国富町 表3 no.2 管理施設). An account without rows here
    manages every facility; with rows, the admin API shows and changes only these facilities and their
    units, settings, closed days and bookings."""

    __tablename__ = "staff_facility"

    staff_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("staff_account.id", ondelete="CASCADE"),
                                              primary_key=True))
    facility_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("facility.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True))
