"""Non-personal user preferences kept outside the store (the language), so they apply before
the store is unlocked."""

from __future__ import annotations

import json
from pathlib import Path

from tpsdesk import durable
from tpsdesk.paths import config_dir

PREFS_FILENAME = "preferences.json"


def _prefs_path() -> Path:
    return config_dir() / PREFS_FILENAME


def load_prefs() -> dict[str, str]:
    try:
        data = json.loads(_prefs_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(key): str(value) for key, value in data.items() if isinstance(value, str)}


def save_pref(key: str, value: str) -> None:
    """Store one preference; a failure to write is not worth interrupting anyone for."""
    prefs = load_prefs()
    prefs[key] = value
    path = _prefs_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        durable.write_atomic(path, json.dumps(prefs, sort_keys=True).encode("utf-8"))
    except OSError:
        pass


def preferred_language() -> str | None:
    return load_prefs().get("language")
