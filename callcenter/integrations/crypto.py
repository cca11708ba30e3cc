"""Encrypting stored third-party secrets (Twilio's auth token) with a key derived from the secret key."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Fixed salt and info bind the derived key to this one use, so the same CALLCENTER_SECRET_KEY
# can feed other derived keys later without any two of them being equal.
_SALT = b"callcenter/stored-secrets"
_INFO = b"fernet key for third-party credentials, v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted: CALLCENTER_SECRET_KEY changed or the value was altered."""


def derive_key(secret_key: str) -> bytes:
    """The Fernet key for a secret key: HKDF-SHA256, 32 bytes, URL-safe base64."""
    if not secret_key:
        raise ValueError("the secret key must not be empty")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


class SecretBox:
    """Encrypts and decrypts short secrets; the ciphertext is authenticated and carries its own IV."""

    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(derive_key(secret_key))

    def encrypt(self, plain: str) -> str:
        """Ciphertext to store in place of ``plain``."""
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The plain secret back; ``SecretUnreadable`` when this key did not write it."""
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as err:
            raise SecretUnreadable("stored secret cannot be decrypted with CALLCENTER_SECRET_KEY") from err
