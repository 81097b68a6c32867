"""Store: create/open, save on commit, SECURITY tests 6 and 7, device identity on copies."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from tpsdesk.domain.posts import DEFAULT_CATALOGUE
from tpsdesk.store import areas
from tpsdesk.store.db import IncompatibleStore, Store, StoreError, TransactionOpen
from tpsdesk.store.models import AuditEntry, Kecamatan
from tpsdesk.store.vault import StoreLocked, WrongPassphrase
from tpsdesk.store.versioning import set_meta

from .conftest import FAST_KDF, KEC, PASSPHRASE


def kecamatan_codes(store: Store) -> list[str]:
    return [k.code for k in areas.list_kecamatan(store)]


def test_create_add_close_reopen_shows_the_data(store_path: Path) -> None:
    store, recovery_key = Store.create(store_path, PASSPHRASE, operator="Pak Ari", kdf=FAST_KDF)
    assert recovery_key
    assert store.role == "field"
    assert store.operator == "Pak Ari"
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    device_id = store.device_id
    store.close()

    reopened = Store.open(store_path, PASSPHRASE)
    try:
        assert kecamatan_codes(reopened) == [KEC]
        assert reopened.device_id == device_id  # same place: same device
        assert reopened.operator == "Pak Ari"
    finally:
        reopened.close()


def test_district_role_is_kept(tmp_path: Path) -> None:
    store, _ = Store.create(tmp_path / "d.store", PASSPHRASE, role="district", kdf=FAST_KDF)
    store.close()
    with Store.open(tmp_path / "d.store", PASSPHRASE) as reopened:
        assert reopened.role == "district"
    with pytest.raises(ValueError):
        Store.create(tmp_path / "x.store", PASSPHRASE, role="kelurahan", kdf=FAST_KDF)


def test_wrong_passphrase_is_the_vaults_error(store: Store, store_path: Path) -> None:
    store.close()
    with pytest.raises(WrongPassphrase):
        Store.open(store_path, "not it")


def test_second_instance_is_refused_and_close_releases_the_lock(
    store: Store, store_path: Path
) -> None:
    with pytest.raises(StoreLocked):
        Store.open(store_path, PASSPHRASE)
    store.close()
    store.close()  # idempotent
    Store.open(store_path, PASSPHRASE).close()


# -- SECURITY test 6: saving during an open transaction ------------------------------------


def test_save_inside_an_open_transaction_is_refused_and_never_persists_it(
    store: Store, store_path: Path
) -> None:
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    before = store_path.read_bytes()
    with pytest.raises(RuntimeError, match="give up"), store.transaction() as session:
        session.add(Kecamatan(code="35.73.04", name="Klojen"))
        session.flush()  # the row is in SQLite now, uncommitted
        assert store._conn.in_transaction
        with pytest.raises(TransactionOpen):
            store.save()
        with pytest.raises(TransactionOpen):
            store.change_passphrase("another passphrase")
        raise RuntimeError("give up")
    assert store_path.read_bytes() == before
    store.close()
    with Store.open(store_path, PASSPHRASE) as reopened:
        assert kecamatan_codes(reopened) == [KEC]


def test_save_refused_while_the_connection_has_an_open_transaction(
    store: Store, store_path: Path
) -> None:
    # Whatever opened it (here raw SQL outside any session), serialize would capture it.
    store._conn.execute("INSERT INTO store_meta (key, value) VALUES ('uncommitted', '\"secret\"')")
    assert store._conn.in_transaction
    with pytest.raises(TransactionOpen):
        store.save()
    store._conn.rollback()
    store.save()
    store.close()
    with Store.open(store_path, PASSPHRASE) as reopened, reopened.read() as session:
        rows = session.execute(text("SELECT count(*) FROM store_meta WHERE key='uncommitted'"))
        assert rows.one()[0] == 0


# -- SECURITY test 7: large sorts leave no temp file ---------------------------------------


def _open_files() -> dict[str, str]:
    files = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/"):
            files[fd] = target
    return files


def _temp_dirs(store_path: Path) -> list[Path]:
    dirs = {Path(tempfile.gettempdir()), Path("/var/tmp"), Path("/tmp"), store_path.parent}
    return [d for d in dirs if d.is_dir()]


def _listing(folders: list[Path]) -> set[Path]:
    return {entry for folder in folders for entry in folder.iterdir()}


def _sort_and_look(store: Store) -> list[str]:
    """Run a large ORDER BY through a read session; list files opened while its cursor is open."""
    with store.read() as session:
        before = _open_files()
        result = session.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000) "
                "SELECT o.name || i, randomblob(64) AS pad FROM n "
                "LEFT JOIN officer o ON 0 ORDER BY randomblob(16)"
            )
        )
        result.fetchone()  # the sort is done, its spill files (if any) are open now
        opened = [path for fd, path in _open_files().items() if before.get(fd) != path]
        result.close()
    return opened


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_large_sort_leaves_no_temp_file(store: Store, store_path: Path) -> None:
    assert store._conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    folders = _temp_dirs(store_path)
    listed = _listing(folders)
    store._conn.execute("PRAGMA cache_size=-64")  # a small cache makes the sorter spill early

    # The check can fail: with temp_store=FILE the same sort opens a (deleted) temp file.
    store._conn.execute("PRAGMA temp_store=FILE")
    assert _sort_and_look(store), "the sort should have spilled to a temp file"
    store._conn.execute("PRAGMA temp_store=MEMORY")

    assert _sort_and_look(store) == []
    new_files = _listing(folders) - listed
    assert [p for p in new_files if p.parent == store_path.parent or "etilqs" in p.name] == []


def test_reopened_store_keeps_temp_store_in_memory(store: Store, store_path: Path) -> None:
    store.close()
    with Store.open(store_path, PASSPHRASE) as reopened:
        assert reopened._conn.execute("PRAGMA temp_store").fetchone()[0] == 2
        assert reopened._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


# -- transactions ---------------------------------------------------------------------------


def test_exception_inside_transaction_rolls_back_and_leaves_the_file_unchanged(
    store: Store, store_path: Path
) -> None:
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    before = store_path.read_bytes()
    backups_before = store.backups()
    with pytest.raises(ZeroDivisionError), store.transaction() as session:
        session.add(Kecamatan(code="35.73.04", name="Klojen"))
        session.flush()
        _ = 1 / 0
    assert store_path.read_bytes() == before
    assert store.backups() == backups_before
    assert kecamatan_codes(store) == [KEC]  # rolled back in memory too
    areas.add_kecamatan(store, "35.73.04", "Klojen")  # and the store still works
    assert kecamatan_codes(store) == ["35.73.04", KEC]


def test_commit_saves_before_returning(store: Store, store_path: Path) -> None:
    before = store_path.read_bytes()
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    assert store_path.read_bytes() != before
    assert not store.unsaved


def test_read_does_not_save_and_discards_writes(store: Store, store_path: Path) -> None:
    before = store_path.read_bytes()
    with store.read() as session:
        session.add(Kecamatan(code=KEC, name="Lowokwaru"))
    assert store_path.read_bytes() == before
    assert kecamatan_codes(store) == []


def test_objects_read_stay_usable_after_the_session(store: Store) -> None:
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    (kecamatan,) = areas.list_kecamatan(store)
    assert kecamatan.name == "Lowokwaru"


def test_nested_transactions_join_and_fail_together(store: Store, store_path: Path) -> None:
    with store.transaction():
        areas.add_kecamatan(store, KEC, "Lowokwaru")
        areas.add_kecamatan(store, "35.73.04", "Klojen")
    assert len(kecamatan_codes(store)) == 2

    before = store_path.read_bytes()
    with pytest.raises(StoreError), store.transaction():
        areas.add_kecamatan(store, "35.73.03", "Blimbing")
        with pytest.raises(StoreError):
            areas.add_kecamatan(store, KEC, "again")  # duplicate: the inner step fails
        # ...and the caller carries on, but the outer transaction must not commit half.
    assert kecamatan_codes(store) == ["35.73.04", KEC]
    assert store_path.read_bytes() == before


def test_threads_are_serialised(store: Store) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                areas.add_kecamatan(store, f"35.7{n}.{i + 10}", f"K{n}{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(kecamatan_codes(store)) == 20


def test_closed_store_refuses_work(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError):
        areas.list_kecamatan(store)


# -- device identity ------------------------------------------------------------------------


def test_copy_elsewhere_gets_a_new_device_and_remembers_the_old(
    store: Store, store_path: Path, tmp_path: Path
) -> None:
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    original = store.device_id
    store.close()
    copy = tmp_path / "usb" / "tpsdesk.store"
    copy.parent.mkdir()
    shutil.copy2(store_path, copy)

    with Store.open(copy, PASSPHRASE) as copied:
        assert copied.device_id != original
        history = copied.device_history()
        assert [h.device_id for h in history] == [original, copied.device_id]
        assert history[0].end_reason == "moved"
        assert history[0].last_counter == 1
        assert history[1].ended_at is None
        assert kecamatan_codes(copied) == [KEC]
        # The new device counts from zero.
        areas.add_kecamatan(copied, "35.73.04", "Klojen")
        (row,) = [k for k in areas.list_kecamatan(copied) if k.code == "35.73.04"]
        assert (row.version_device, row.version_counter) == (copied.device_id, 1)
        new_id = copied.device_id
    with Store.open(copy, PASSPHRASE) as again:
        assert again.device_id == new_id  # the copy keeps its new id from now on
    with Store.open(store_path, PASSPHRASE) as first:
        assert first.device_id == original  # the original is untouched


def test_same_file_on_another_machine_gets_a_new_device(
    store: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = store.device_id
    store.close()
    monkeypatch.setattr(socket, "gethostname", lambda: "another-laptop")
    with Store.open(store_path, PASSPHRASE) as moved:
        assert moved.device_id != original


def test_recovery_key_open_gets_a_new_device(store_path: Path) -> None:
    store, recovery_key = Store.create(store_path, PASSPHRASE, kdf=FAST_KDF)
    original = store.device_id
    store.close()
    with Store.open_with_recovery(store_path, recovery_key, "a new passphrase") as recovered:
        assert recovered.device_id != original
        assert recovered.device_history()[0].end_reason == "recovery"
    with pytest.raises(WrongPassphrase):
        Store.open(store_path, PASSPHRASE)
    Store.open(store_path, "a new passphrase").close()


def test_restored_backup_gets_a_new_device(store: Store, store_path: Path) -> None:
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    areas.add_kecamatan(store, "35.73.04", "Klojen")
    original = store.device_id
    backup = store.backups()[0]
    store.close()
    with Store.restore_backup(store_path, backup, PASSPHRASE) as restored:
        assert restored.device_id != original
        assert restored.device_history()[0].device_id == original
        assert restored.device_history()[0].end_reason == "restored"


# -- settings, schema ---------------------------------------------------------------------


def test_settings_persist_and_are_audited_by_name(store: Store, store_path: Path) -> None:
    assert store.get_setting("wage_basis", "UMP") == "UMP"
    store.set_setting("wage_basis", {"kind": "UMK", "amount": 3_309_144})
    store.close()
    with Store.open(store_path, PASSPHRASE) as reopened:
        assert reopened.get_setting("wage_basis") == {"kind": "UMK", "amount": 3_309_144}
        with reopened.read() as session:
            entries = session.exec(select(AuditEntry).where(AuditEntry.action == "setting"))
            (entry,) = entries.all()
        assert entry.row_id == "wage_basis"
        assert "3309144" not in entry.detail


def test_catalogue_default_and_override(store: Store, store_path: Path) -> None:
    assert store.catalogue is DEFAULT_CATALOGUE
    override = DEFAULT_CATALOGUE.with_overrides({"panwascam_sekretariat": {"per_unit": 8}})
    store.set_setting("catalogue", override.to_dict())
    assert store.catalogue == override
    store.close()
    with Store.open(store_path, PASSPHRASE) as reopened:
        assert reopened.catalogue == override


def test_store_from_a_newer_tpsdesk_is_refused(store: Store, store_path: Path) -> None:
    with store.transaction() as session:
        set_meta(session, "schema_version", 99)
    store.close()
    for _attempt in range(2):  # refused each time, and the lock is released after refusing
        with pytest.raises(IncompatibleStore):
            Store.open(store_path, PASSPHRASE)


def test_no_plaintext_beside_the_store(store: Store, store_path: Path) -> None:
    areas.add_kecamatan(store, KEC, "Lowokwarunique")
    store.close()
    for entry in store_path.parent.iterdir():
        if entry.is_file():
            assert b"Lowokwarunique" not in entry.read_bytes(), entry.name


def test_saving_once_writes_the_file_once_and_keeps_what_committed(
    store: Store, store_path: Path
) -> None:
    before = store._vault.generation
    with pytest.raises(RuntimeError), store.saving_once():
        areas.add_kecamatan(store, "35.73.05", "Sukun")
        areas.add_kecamatan(store, "35.73.04", "Klojen")
        assert store._vault.generation == before  # nothing written yet
        assert store.unsaved
        raise RuntimeError("a later step fails")
    assert store._vault.generation == before + 1  # one save, for both committed steps
    assert not store.unsaved
    store.close()
    reopened = Store.open(store_path, PASSPHRASE)
    try:
        assert [k.code for k in areas.list_kecamatan(reopened)] == ["35.73.04", "35.73.05"]
    finally:
        reopened.close()


def test_dates_reach_sqlite_through_explicit_adapters(store: Store) -> None:
    """Python 3.12 deprecates sqlite3's default date adapters; the store registers its own,
    writing the same text, so raw dates (bulk paths) neither warn nor change format."""
    import warnings
    from datetime import UTC, date, datetime

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with store.read() as session:
            row = session.connection().exec_driver_sql(
                "SELECT ?, ?, ?",
                (
                    date(2024, 1, 2),
                    datetime(2024, 1, 2, 3, 4, 5, 6),
                    datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                ),
            )
            assert tuple(row.one()) == (
                "2024-01-02",
                "2024-01-02 03:04:05.000006",
                "2024-01-02 03:04:05+00:00",
            )
