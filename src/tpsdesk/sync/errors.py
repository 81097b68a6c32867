"""Every refusal of a travelling file, as an exception whose `.message` is translated and safe.

A message names the file (when the caller said which: `.with_file(name)` or `file=`), says what
is wrong in words a kelurahan clerk can act on, and what to do. `.code` is a stable identifier
for `--json` reports and tests; `.message` is built when read, in the current language.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Self

from tpsdesk.i18n import N_, _

MiB = 1024 * 1024


def _size_text(size: int) -> str:
    if size >= MiB and size % MiB == 0:
        return _("{n} MiB").format(n=size // MiB)
    if size >= 1024 and size % 1024 == 0:
        return _("{n} KiB").format(n=size // 1024)
    return _("{n} bytes").format(n=size)


class SyncError(Exception):
    """A travelling file that is refused. Subclasses say why."""

    code: ClassVar[str] = "sync_error"

    def __init__(self, *, file: str | os.PathLike[str] | None = None) -> None:
        self.file: str | None = os.fspath(file) if file is not None else None
        super().__init__(self.code)

    def with_file(self, file: str | os.PathLike[str]) -> Self:
        """Name the file in the message; returns self so that `raise exc.with_file(p)` reads."""
        self.file = os.fspath(file)
        return self

    def problem(self) -> str:
        return _("The file cannot be used.")

    @property
    def message(self) -> str:
        text = self.problem()
        if self.file:
            return _("{file}: {problem}").format(file=self.file, problem=text)
        return text

    def __str__(self) -> str:
        return self.message


class NotATpsdeskFile(SyncError):
    code = "not_a_tpsdesk_file"

    def problem(self) -> str:
        return _("This is not a tpsdesk file. Check that you picked the right file.")


class UnsupportedFormat(SyncError):
    code = "unsupported_format"

    def __init__(self, version: int, *, file: str | os.PathLike[str] | None = None) -> None:
        self.version = version
        super().__init__(file=file)

    def problem(self) -> str:
        return _(
            "This file uses format version {version}, which this tpsdesk cannot read. "
            "Update tpsdesk on this computer, or ask the sender to use the same version."
        ).format(version=self.version)


class Malformed(SyncError):
    """The bytes do not follow docs/formats.md. `reason` is an English msgid marked with N_()
    and translated when the message is read; `params` fill its named placeholders."""

    code = "malformed"

    def __init__(
        self, reason: str, *, file: str | os.PathLike[str] | None = None, **params: Any
    ) -> None:
        self.reason = reason
        self.params = params
        super().__init__(file=file)

    def reason_text(self) -> str:
        return _(self.reason).format(**self.params)

    def problem(self) -> str:
        return _(
            "The file is damaged or was altered ({reason}). Do not use it; ask the sender "
            "to export it again."
        ).format(reason=self.reason_text())


class OlderRollup(SyncError):
    """A roll-up file whose header does not name the district's encryption key: written by a
    tpsdesk before the province approved districts by the fingerprint of both keys."""

    code = "older_rollup"

    def problem(self) -> str:
        return _(
            "This roll-up file was made by an older tpsdesk (it does not name the district's "
            "encryption key). Nothing was merged; ask the district office to update tpsdesk "
            "and export its roll-up again."
        )


class TooLarge(SyncError):
    code = "too_large"

    def __init__(
        self,
        what: str,
        size: int,
        limit: int,
        *,
        file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.what = what  # N_() msgid: "the file", "the header", "the payload"
        self.size = size
        self.limit = limit
        super().__init__(file=file)

    def problem(self) -> str:
        return _(
            "The file is refused: {what} is too large ({size}; the limit is {limit}). "
            "Check that you picked the right file."
        ).format(what=_(self.what), size=_size_text(self.size), limit=_size_text(self.limit))


class PayloadTooLarge(SyncError):
    """Decompression stopped at a cap: a 'zip bomb', or a file far larger than it claims."""

    code = "payload_too_large"

    def __init__(
        self, what: str, limit: int, *, file: str | os.PathLike[str] | None = None
    ) -> None:
        self.what = what  # N_() msgid naming the cap that was hit
        self.limit = limit
        super().__init__(file=file)

    def problem(self) -> str:
        return _(
            "The file's contents unpack to more than they may ({what}, limit {limit}). "
            "It was stopped to protect this computer. Do not use it; ask the sender to "
            "export it again."
        ).format(what=_(self.what), limit=self.limit)


class BadSignature(SyncError):
    code = "bad_signature"

    def problem(self) -> str:
        return _(
            "The signature does not match: the file was changed after it was signed, or it "
            "was signed by a key other than the one it should be. Do not use it; ask the "
            "sender to export it again."
        )


class SenderNotAllowed(SyncError):
    """The sender's key is not (or no longer) approved; raised before any decryption."""

    code = "sender_not_allowed"

    def __init__(
        self,
        sender_id: str,
        fingerprint: str,
        *,
        file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.sender_id = sender_id
        self.fingerprint = fingerprint
        super().__init__(file=file)

    def problem(self) -> str:
        return _(
            "The file comes from a laptop that is not approved here (key fingerprint "
            "{fingerprint}). Compare the fingerprint with the laptop's, then approve it."
        ).format(fingerprint=self.fingerprint)


class WrongRecipient(SyncError):
    code = "wrong_recipient"

    def __init__(
        self,
        fingerprint: str | None = None,
        *,
        file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.fingerprint = fingerprint  # the recipient key the file names
        super().__init__(file=file)

    def problem(self) -> str:
        if self.fingerprint:
            return _(
                "The file is addressed to another key (fingerprint {fingerprint}), not to "
                "this office. Give it to the office it is meant for, or ask the sender to "
                "check their setup file."
            ).format(fingerprint=self.fingerprint)
        return _(
            "The file is addressed to someone else. Give it to the office it is meant for, "
            "or ask the sender to check their setup file."
        )


class DecryptionFailed(SyncError):
    code = "decryption_failed"

    def problem(self) -> str:
        return _(
            "The file cannot be decrypted: it was changed on the way, or encrypted for "
            "another key. Do not use it; ask the sender to export it again."
        )


class ManifestMismatch(SyncError):
    code = "manifest_mismatch"

    def __init__(self, field: str, *, file: str | os.PathLike[str] | None = None) -> None:
        self.field = field  # the manifest or header field that disagrees (not translated)
        super().__init__(file=file)

    def problem(self) -> str:
        return _(
            "The contents disagree with the file's header ({field}): the file was put "
            "together from pieces of different files. Do not use it; ask the sender to "
            "export it again."
        ).format(field=self.field)


# Reasons used with Malformed that are raised in more than one module.
TRUNCATED = N_("the file is cut short")
