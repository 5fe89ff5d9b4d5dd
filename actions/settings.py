"""Settings of the action server: actions/config.yml, with APP_URL, HOTLINE and INTERNAL_API_TOKEN from the
environment.

Read when an action first needs them, never at import time, so tests can point APP_URL at a local server.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONFIG_PATH = Path(__file__).with_name("config.yml")


@dataclass(frozen=True)
class ActionSettings:
    app_url: str
    timeout_s: float
    hotline: str
    handoff_after: int
    aspects: dict[str, str]
    internal_token: str = ""  # INTERNAL_API_TOKEN, sent as X-Internal-Token to the app


def load_settings(path: Path = CONFIG_PATH, environ: dict[str, str] | None = None) -> ActionSettings:
    environ = os.environ if environ is None else environ
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return ActionSettings(
        app_url=(environ.get("APP_URL") or data["app_url"]).rstrip("/"),
        timeout_s=float(data["timeout_s"]),
        hotline=environ.get("HOTLINE") or data["hotline"],
        handoff_after=int(data["fallback"]["handoff_after"]),
        aspects=dict(data["aspects"]),
        internal_token=environ.get("INTERNAL_API_TOKEN", ""),
    )
