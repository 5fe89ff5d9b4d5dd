from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.zalo.bot_standin import BotStandIn
from tests.zalo.harness import APP_ID, APP_SECRET, Running, start_stack
from tests.zalo.standin import ZaloStandIn


@pytest.fixture
def zalo() -> Iterator[ZaloStandIn]:
    standin = ZaloStandIn(APP_ID, APP_SECRET, access_token="access-0", refresh_token="refresh-0").start()
    yield standin
    standin.stop()


@pytest.fixture
def bot() -> Iterator[BotStandIn]:
    standin = BotStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def stack(tmp_path: Path, zalo: ZaloStandIn, bot: BotStandIn) -> Iterator[Running]:
    running = start_stack(tmp_path, zalo, bot)
    yield running
    running.stop()
