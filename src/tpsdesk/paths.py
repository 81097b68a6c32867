"""Where tpsdesk keeps its files: resolved here, and only here.

The default store lives in the user data folder (platformdirs); `--store PATH` or the
TPSDESK_STORE environment variable override it, so tests and scripts use their own folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP_NAME = "tpsdesk"
STORE_ENV = "TPSDESK_STORE"
STORE_FILENAME = "tpsdesk.store"


def default_data_dir() -> Path:
    return user_data_path(appname=APP_NAME, appauthor=False)


def resolve_store_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The store file to use: an explicit path, then $TPSDESK_STORE, then the data folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(STORE_ENV)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return default_data_dir() / STORE_FILENAME


CONFIG_ENV = "TPSDESK_CONFIG_DIR"


def config_dir() -> Path:
    """Folder for non-personal preferences (language); overridable for tests."""
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return user_config_path(appname=APP_NAME, appauthor=False)
