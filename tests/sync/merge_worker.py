"""A clerk's process for the concurrent merge test (multiprocessing spawn imports it by name):
opens the keyring, waits for the others (`start`: a Barrier), merges its bundles, reports
what it got."""

from __future__ import annotations

from typing import Any

from tpsdesk.store.db import Store
from tpsdesk.sync.merge import IncomingBundle, merge_bundle


def merge_files(
    keyring: str, passphrase: str, bundles: list[IncomingBundle], start: Any, out: Any
) -> None:
    try:
        store = Store.open(keyring, passphrase)
        try:
            start.wait(60)
            results = []
            for bundle in bundles:
                report = merge_bundle(store, bundle)
                results.append((bundle.file_id, report.merged, report.replay))
        finally:
            store.close()
        out.put(("ok", results))
    except BaseException as exc:  # reported to the test, which fails with it
        out.put(("error", repr(exc)))
