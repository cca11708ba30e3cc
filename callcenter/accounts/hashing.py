"""argon2id password hashing on one dedicated thread.

A memory-hard hash in the default thread pool leaves each pool thread's malloc arena holding its
buffer (see PERFORMANCE.md); one thread keeps the server's memory flat and queues logins fairly.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class PasswordHasher:
    """Hash and verify passwords off the event loop."""

    def __init__(self, memory_kib: int, time_cost: int) -> None:
        self._argon = _Argon2(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")
        # Verified against when the username is unknown, so timing does not reveal which exist.
        self._decoy = self._argon.hash("decoy-password-for-unknown-users")

    async def hash(self, password: str) -> str:
        """Return an encoded argon2id hash."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._argon.hash, password)

    async def verify(self, encoded: str | None, password: str) -> bool:
        """True when ``password`` matches; a None hash is checked against a decoy and fails."""
        target = encoded or self._decoy

        def check() -> bool:
            try:
                return bool(self._argon.verify(target, password))
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        ok = await asyncio.get_running_loop().run_in_executor(self._pool, check)
        return ok and encoded is not None

    def close(self) -> None:
        """Stop the hashing thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)
