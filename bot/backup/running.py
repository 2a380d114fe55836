"""Whether the service is running on a SQLite database: the serving process holds an advisory lock
on a file beside the database for its lifetime, and ``restore`` refuses while anyone holds it.
(On PostgreSQL, restore looks at the database's other sessions instead.)"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class RunLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @staticmethod
    def path_for(database: Path) -> Path:
        return database.with_name(database.name + ".running")

    def acquire(self) -> bool:
        """Take the lock for this process; False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def holder(self) -> str | None:
        """The pid of the process holding the lock, or None when nobody does."""
        if not self.path.exists():
            return None
        if self.acquire():
            self.release()
            return None
        return self.path.read_text(encoding="utf-8").strip() or "?"
