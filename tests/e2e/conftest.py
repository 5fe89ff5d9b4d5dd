"""Starts the whole assistant exactly as `make run` does (assistant-run), on free ports, for a test module."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SHARED_CATALOG = ROOT.parent / "shared" / "data" / "catalog" / "procedures.jsonl"
START_TIMEOUT_S = 1500  # a fresh clone trains the Rasa model and builds the index first


@dataclass
class RunningAssistant:
    process: subprocess.Popen
    url: str
    ports: dict[str, int]
    output: list[str] = field(default_factory=list)

    def pids(self) -> dict[str, int]:
        found = {}
        for line in self.output:
            m = re.search(r"started (\S+) \(pid (\d+)", line)
            if m:
                found[m.group(1)] = int(m.group(2))
        return found

    def chat(self, sender: str, message: str) -> list[dict]:
        resp = httpx.post(f"{self.url}/api/chat", json={"sender": sender, "message": message}, timeout=60)
        assert resp.status_code == 200, resp.text
        return resp.json()["messages"]


def start_assistant(data_dir: Path, **env_overrides: str) -> RunningAssistant:
    ports = {name: free_port() for name in ("PORT", "RASA_PORT", "ACTIONS_PORT", "DOSSIER_PORT")}
    env = dict(os.environ)
    env.update({k: str(v) for k, v in ports.items()})
    env.update({"DATA_DIR": str(data_dir), "MODEL_DIR": str(ROOT / "var" / "models")})
    env.update(env_overrides)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "assistant-run")], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    running = RunningAssistant(process, f"http://127.0.0.1:{ports['PORT']}", ports)
    ready = threading.Event()

    def pump() -> None:
        for line in process.stdout:
            running.output.append(line.rstrip())
            print(line, end="", file=sys.stderr)
            if "ready in" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.is_set():
        if process.poll() is not None:
            time.sleep(0.5)
            raise RuntimeError("assistant-run exited before it was ready:\n" + "\n".join(running.output[-60:]))
        if time.monotonic() > deadline:
            stop_assistant(running)
            raise RuntimeError("assistant-run was not ready in time:\n" + "\n".join(running.output[-60:]))
        time.sleep(0.5)
    return running


def stop_assistant(running: RunningAssistant, timeout_s: float = 60) -> int:
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
    try:
        return running.process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(running.process.pid, signal.SIGKILL)
        return running.process.wait()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    running = start_assistant(tmp_path_factory.mktemp("assistant"))
    yield running
    stop_assistant(running)
