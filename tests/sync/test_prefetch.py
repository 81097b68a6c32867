"""A check made in the second process is used only when it fits the merge about to run."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import date

from tpsdesk.domain.posts import DEFAULT_CATALOGUE
from tpsdesk.sync.prefetch import MIN_FILES, Prefetched, prefetch_enabled
from tpsdesk.sync.row_checks import CheckedRows

DAY = date(2024, 11, 1)


def _done(rows: CheckedRows | Exception) -> Future[CheckedRows]:
    future: Future[CheckedRows] = Future()
    future.set_running_or_notify_cancel()
    if isinstance(rows, Exception):
        future.set_exception(rows)
    else:
        future.set_result(rows)
    return future


def test_a_fitting_check_is_used() -> None:
    rows = CheckedRows("35.73.05", DAY, [], [], "rows_refused")
    ahead = Prefetched(_done(rows), "35.73.05", DEFAULT_CATALOGUE, DAY)
    assert ahead.result_for("35.73.05", DEFAULT_CATALOGUE, DAY) is rows


def test_another_area_catalogue_or_day_is_not_used() -> None:
    rows = CheckedRows("35.73.05", DAY, [], [], "rows_refused")
    ahead = Prefetched(_done(rows), "35.73.05", DEFAULT_CATALOGUE, DAY)
    other = DEFAULT_CATALOGUE.with_overrides({"kpps_anggota": {"per_unit": 5}})
    assert ahead.result_for("35.73.05.1001", DEFAULT_CATALOGUE, DAY) is None
    assert ahead.result_for("35.73.05", other, DAY) is None
    assert ahead.result_for("35.73.05", DEFAULT_CATALOGUE, date(2024, 11, 2)) is None


def test_a_failure_over_there_means_reading_here() -> None:
    ahead = Prefetched(_done(RuntimeError("worker died")), "35.73.05", DEFAULT_CATALOGUE, DAY)
    assert ahead.result_for("35.73.05", DEFAULT_CATALOGUE, DAY) is None


def test_a_check_not_started_is_cancelled_and_done_here() -> None:
    waiting: Future[CheckedRows] = Future()
    ahead = Prefetched(waiting, "35.73.05", DEFAULT_CATALOGUE, DAY)
    assert ahead.result_for("35.73.05", DEFAULT_CATALOGUE, DAY) is None
    assert waiting.cancelled()


def test_only_many_files_start_a_second_process() -> None:
    assert not prefetch_enabled(MIN_FILES - 1)
    assert prefetch_enabled(MIN_FILES)
