"""Typed view of channel.yml, loaded once per channel."""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field

CONFIG_PATH = Path(__file__).resolve().parent / "channel.yml"


class DeliveryConfig(BaseModel):
    max_text_chars: int = Field(2000, ge=50)
    max_buttons: int = Field(5, ge=1)
    max_button_title_chars: int = Field(100, ge=10)
    max_attempts: int = Field(4, ge=1)
    backoff_initial_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)
    request_timeout_s: float = Field(10.0, gt=0)


class ErrorCodes(BaseModel):
    token: list[int]
    rate_limit: list[int]
    window: list[int]


class QueueConfig(BaseModel):
    workers: int = Field(8, ge=1)
    poll_interval_s: float = Field(0.5, gt=0)
    dedupe_ttl_days: float = Field(7, gt=0)
    lease_s: float = Field(60, gt=1)


class WebhookConfig(BaseModel):
    max_body_bytes: int = Field(65536, ge=1024)
    ignored_events: list[str] = Field(default_factory=list)


class Replies(BaseModel):
    welcome: str
    welcome_menu: list[str]
    text_only: str
    image: str
    callback_received: str
    more_choices: str


class ZaloConfig(BaseModel):
    delivery: DeliveryConfig
    errors: ErrorCodes
    queue: QueueConfig
    webhook: WebhookConfig
    replies: Replies


def load_config(path: Path = CONFIG_PATH) -> ZaloConfig:
    return ZaloConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
