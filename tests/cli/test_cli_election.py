"""`tpsdesk settings pay|duty` take the desk's election rules: the day of saving is kept (for
the dashboard's banner on settings older than a year) and a period already over is kept but
warned about, as the pay-settings screen does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from tpsdesk.cli import main
from tpsdesk.store.db import Store
from tpsdesk.store.election import election_saved_on

from .conftest import PASSPHRASE


def saved_on(store_path: Path) -> date | None:
    with Store.open(store_path, PASSPHRASE) as store:
        return election_saved_on(store)


def test_duty_and_pay_keep_the_day_and_a_past_period_is_warned(
    runner: CliRunner, store_path: Path
) -> None:
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert saved_on(store_path) is None
    shown = runner.invoke(main, ["--lang", "en", "settings", "pay"])
    assert shown.exit_code == 0 and saved_on(store_path) is None  # showing saves nothing

    past = runner.invoke(
        main, ["--lang", "en", "settings", "duty", "ptps", "01-11-2020", "30-11-2020"]
    )
    assert past.exit_code == 0, past.output
    assert "01-11-2020 – 30-11-2020" in past.stdout
    assert "ended before today" in past.stderr and "past election" in past.stderr
    assert saved_on(store_path) == date.today()

    future = runner.invoke(
        main, ["--lang", "en", "settings", "duty", "ptps", "01-11-2099", "30-11-2099"]
    )
    assert future.exit_code == 0 and "ended before today" not in future.stderr

    indonesian = runner.invoke(
        main, ["--lang", "id", "settings", "duty", "ptps", "01-11-2020", "30-11-2020"]
    )
    assert indonesian.exit_code == 0 and "ended" not in indonesian.stderr

    paid = runner.invoke(main, ["--lang", "en", "settings", "pay", "--honorarium", "ptps=750000"])
    assert paid.exit_code == 0, paid.output
    assert saved_on(store_path) == date.today()
