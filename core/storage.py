"""Encryption at rest of identity and face photos (个人信息保护法: sensitive personal information).

``encrypted_storage()`` is the storage of every file field holding a person's photo or face: the
identity documents and portrait (accounts), the study stills (courses), the check-in stills and the
practical-exam evidence (exams). It is the configured media backend (local disk, or S3-compatible
object storage) with encryption added: bytes are encrypted on save and decrypted on open; names,
``upload_to``, ``exists``, ``delete`` and retention stay as they were.

Format (version 1): ``ANXUNENC`` · version byte · key id (8 bytes) · salt (16 bytes), then the
content in 64 KiB chunks, each sealed with AES-256-GCM (16-byte tag). The file key is derived with
HKDF-SHA256 from the master key and the file's random salt; chunk ``i`` uses the nonce
``i`` (11 bytes, big-endian) · ``last`` (1 byte) and the header as associated data, so chunks cannot
be reordered, dropped, truncated or moved to another file unnoticed (the STREAM construction).
Chunks let a 200 MB practical-exam video be written and served without holding it in memory.

Keys: ``ANXUN_MEDIA_ENCRYPTION_KEY``, defaulting to ``ANXUN_PII_ENCRYPTION_KEY`` (then the secret
key, as ``accounts.pii`` does). Files name the key that sealed them (its id), so setting a new key
keeps old files readable as long as the old one stays listed in ``ANXUN_MEDIA_ENCRYPTION_OLD_KEYS``
(the PII key and the secret key are always tried); ``manage.py encrypt_media`` re-seals them under
the current key.

A file without the header is a plain file written before encryption: it opens as it is, and
``manage.py encrypt_media`` (``encrypt_existing``) encrypts such files in place — idempotent.

``url`` is never available: these files go out only through views that check access and stream the
decrypted bytes (``core.protected_files.serve_protected``); never by nginx ``X-Accel-Redirect`` or a
signed object-storage URL, which would hand out the ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import tempfile
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string

MAGIC = b"ANXUNENC"
VERSION = 1
KEY_ID_BYTES = 8
SALT_BYTES = 16
HEADER_BYTES = len(MAGIC) + 1 + KEY_ID_BYTES + SALT_BYTES
CHUNK = 64 * 1024
TAG = 16


class EncryptedFileError(OSError):
    """The file carries the encryption header but cannot be decrypted (wrong key, damaged, truncated)."""


class ProtectedFileURLError(AttributeError):
    """Encrypted files have no URL. An AttributeError, so what probes for one — ``getattr(f, "url",
    None)``, a ``ClearableFileInput`` in the Django admin, templates — finds none (the admin form then
    shows a plain upload input, no link); code that insists on it gets this error."""

    silent_variable_failure = True


# --------------------------------------------------------------------------- keys


def _key_materials() -> list[str]:
    """The current key first, then every key a file may have been sealed with."""
    candidates = [getattr(settings, "ANXUN_MEDIA_ENCRYPTION_KEY", ""), settings.PII_ENCRYPTION_KEY,
                  settings.SECRET_KEY, *getattr(settings, "ANXUN_MEDIA_ENCRYPTION_OLD_KEYS", [])]
    out: list[str] = []
    for key in candidates:
        if key and key not in out:
            out.append(key)
    return out


@lru_cache(maxsize=8)
def _master(material: str) -> tuple[bytes, bytes]:
    """(key id, master key) of one key material."""
    master = hashlib.sha256(("anxun-media-enc:" + material).encode()).digest()
    key_id = hmac.digest(master, b"anxun-media-key-id", "sha256")[:KEY_ID_BYTES]
    return key_id, master


def _current_master() -> tuple[bytes, bytes]:
    return _master(_key_materials()[0])


def _master_for(key_id: bytes) -> bytes:
    for material in _key_materials():
        kid, master = _master(material)
        if kid == key_id:
            return master
    raise EncryptedFileError("no configured media encryption key matches this file (ANXUN_MEDIA_ENCRYPTION_OLD_KEYS?)")


def _file_key(master: bytes, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"anxun-media-file-v1").derive(master)
    return AESGCM(key)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def current_key_id() -> bytes:
    return _current_master()[0]


# --------------------------------------------------------------------------- streams


def header_of(head: bytes) -> tuple[bytes, bytes] | None:
    """(key id, salt) when ``head`` starts with the encryption header, None for a plain file."""
    if len(head) < HEADER_BYTES or not head.startswith(MAGIC):
        return None
    if head[len(MAGIC)] != VERSION:
        raise EncryptedFileError(f"unknown media encryption version {head[len(MAGIC)]}")
    start = len(MAGIC) + 1
    return head[start:start + KEY_ID_BYTES], head[start + KEY_ID_BYTES:HEADER_BYTES]


class EncryptingReader(io.RawIOBase):
    """Reads the ciphertext of a plaintext stream, chunk by chunk (for the storage's ``_save``)."""

    def __init__(self, plain):
        super().__init__()
        self._plain = plain
        self._restart()

    def _restart(self) -> None:
        if hasattr(self._plain, "seek"):
            self._plain.seek(0)
        key_id, master = _current_master()
        salt = os.urandom(SALT_BYTES)
        self._header = MAGIC + bytes([VERSION]) + key_id + salt
        self._aead = _file_key(master, salt)
        self._index = 0
        self._buffer = bytearray(self._header)
        self._next = self._read_plain()
        self._done = False

    def _read_plain(self) -> bytes:
        data = bytearray()
        while len(data) < CHUNK:
            piece = self._plain.read(CHUNK - len(data))
            if not piece:
                break
            if isinstance(piece, str):
                piece = piece.encode()
            data += piece
        return bytes(data)

    def _fill(self) -> None:
        if self._done:
            return
        current = self._next
        following = self._read_plain() if len(current) == CHUNK else b""
        last = not following
        self._buffer += self._aead.encrypt(_nonce(self._index, last), current, self._header)
        self._index += 1
        self._next = following
        self._done = last

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def seek(self, offset, whence=io.SEEK_SET):
        if offset == 0 and whence == io.SEEK_SET:  # S3's upload rewinds before reading
            self._restart()
            return 0
        raise io.UnsupportedOperation("an encrypting stream only rewinds to the start")

    def readinto(self, b) -> int:
        while len(self._buffer) < len(b) and not self._done:
            self._fill()
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        del self._buffer[:n]
        return n


class DecryptingReader(io.RawIOBase):
    """Random-access plaintext view of an encrypted file (``raw`` is a seekable binary file)."""

    def __init__(self, raw, key_id: bytes, salt: bytes):
        super().__init__()
        self._raw = raw
        self._header = MAGIC + bytes([VERSION]) + key_id + salt
        self._aead = _file_key(_master_for(key_id), salt)
        raw.seek(0, io.SEEK_END)
        body = raw.tell() - HEADER_BYTES
        self._chunks = max(1, -(-body // (CHUNK + TAG)))
        self.size = body - TAG * self._chunks
        if self.size < 0:
            raise EncryptedFileError("encrypted file is truncated")
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def _chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        self._raw.seek(HEADER_BYTES + index * (CHUNK + TAG))
        sealed = self._raw.read(CHUNK + TAG)
        try:
            data = self._aead.decrypt(_nonce(index, index == self._chunks - 1), sealed, self._header)
        except InvalidTag:
            raise EncryptedFileError("encrypted file is damaged or sealed with another key") from None
        self._cached = (index, data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError("invalid whence")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def readinto(self, b) -> int:
        if self._pos >= self.size:
            return 0
        index, offset = divmod(self._pos, CHUNK)
        data = self._chunk(index)[offset:offset + len(b)]
        b[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class DecryptedFile(File):
    """What ``open()`` returns for an encrypted file; reopening goes through the storage again."""

    def __init__(self, reader: DecryptingReader, name: str, storage):
        super().__init__(io.BufferedReader(reader, buffer_size=CHUNK), name=name)
        self._storage = storage
        self._plain_size = reader.size

    @property
    def size(self) -> int:
        return self._plain_size

    def open(self, mode=None, *args, **kwargs):
        if not self.closed:
            self.seek(0)
        else:
            self.file = self._storage.open(self.name, mode or "rb").file
        return self


# --------------------------------------------------------------------------- the storage


class EncryptedStorageMixin:
    """Adds encryption at rest to a Django storage class (local disk or S3-compatible)."""

    encrypted = True

    def _save(self, name, content):
        sealed = File(EncryptingReader(content), name=name)
        sealed.content_type = "application/octet-stream"  # object storage: never the image's type
        return super()._save(name, sealed)

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted media are written with save(), never opened for writing")
        raw = super()._open(name, "rb")
        try:
            header = header_of(raw.read(HEADER_BYTES))
            if header is None:  # a plain file from before encryption
                raw.seek(0)
                return raw
            return DecryptedFile(DecryptingReader(raw, *header), name, self)
        except BaseException:
            raw.close()
            raise

    def size(self, name) -> int:
        with self.open(name, "rb") as fh:
            return fh.size

    def url(self, name, *args, **kwargs):
        raise ProtectedFileURLError("encrypted media have no URL; serve them with core.protected_files.serve_protected")

    def is_encrypted(self, name) -> bool:
        with super()._open(name, "rb") as raw:
            return header_of(raw.read(HEADER_BYTES)) is not None

    def needs_sealing(self, name) -> bool:
        """True for a plain file, or one sealed under a key other than the current one."""
        with super()._open(name, "rb") as raw:
            header = header_of(raw.read(HEADER_BYTES))
        return header is None or header[0] != current_key_id()

    def seal_in_place(self, name) -> bool:
        """Encrypt a plain file (or re-seal an old-key one) under its own name; False when already done."""
        if not self.needs_sealing(name):
            return False
        with self.open(name, "rb") as plain:
            if isinstance(self, FileSystemStorage):
                target = self.path(name)
                fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".sealing-")
                try:
                    with os.fdopen(fd, "wb") as out:
                        reader = EncryptingReader(plain)
                        while chunk := reader.read(CHUNK):
                            out.write(chunk)
                        out.flush()
                        os.fsync(out.fileno())
                    if self.file_permissions_mode is not None:
                        os.chmod(tmp, self.file_permissions_mode)
                    os.replace(tmp, target)  # atomic: a reader sees the old file or the new one
                except BaseException:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
                    raise
            else:  # object storage overwrites the key in place
                data = io.BytesIO(plain.read())
                super()._save(name, File(EncryptingReader(data), name=name))
        return True


@lru_cache(maxsize=8)
def _storage_class(backend: str) -> type:
    base = import_string(backend)
    return type(f"Encrypted{base.__name__}", (EncryptedStorageMixin, base), {})


def encrypted_storage():
    """The storage of identity and face photo fields (``storage=encrypted_storage``: a callable, so
    migrations record this function, not the backend of the machine that made them). The backend is
    the configured default media backend; keys and ``MEDIA_ROOT`` are read from the settings at
    each use."""
    backend = settings.STORAGES["default"]["BACKEND"]
    options = settings.STORAGES["default"].get("OPTIONS", {})
    return _storage_class(backend)(**options)


def is_encrypted_storage(storage) -> bool:
    return isinstance(storage, EncryptedStorageMixin)


def encrypted_fields() -> list:
    """Every (model, field) whose files are stored encrypted."""
    from django.apps import apps
    from django.db.models import FileField

    out = []
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, FileField) and is_encrypted_storage(f.storage):
                out.append((model, f))
    return out


def encrypt_existing(*, stdout=None) -> dict[str, int]:
    """Encrypt, in place, every stored photo that is still plain (or sealed under an old key).
    Idempotent: a second run changes nothing. Returns counts: sealed, already, missing."""
    counts = {"sealed": 0, "already": 0, "missing": 0}
    seen: set[tuple[int, str]] = set()
    for model, f in encrypted_fields():
        names = (model._default_manager.exclude(**{f.name: ""}).exclude(**{f"{f.name}__isnull": True})
                 .values_list(f.name, flat=True).distinct().iterator(chunk_size=1000))
        storage = f.storage
        for name in names:
            key = (id(type(storage)), name)
            if key in seen:
                continue
            seen.add(key)
            if not storage.exists(name):
                counts["missing"] += 1
                continue
            if storage.seal_in_place(name):
                counts["sealed"] += 1
                if stdout is not None:
                    stdout.write(f"sealed {name}\n")
            else:
                counts["already"] += 1
    return counts

