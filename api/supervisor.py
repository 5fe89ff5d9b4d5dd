"""`assistant-run` (what `make run` starts): prepare, then run every part as one supervised group.

Stages, each skipped when its inputs have not changed:
  1. train the Rasa model  (inputs: config.yml, bot/, nlu_data/, the shared text normaliser) - cached by hash
  2. build the procedure index (inputs: the catalog files, the search code and settings)   - cached by hash
  3. start the reference one-stop service (unless DOSSIER_API_URL points elsewhere), the action server,
     Rasa and the app; wait until /healthz answers 200; print the chat URL.

Supervision policy: if any part dies, the whole group is stopped and the exit status is non-zero, so the
service manager (systemd, a container runtime) restarts everything from a known state. Ctrl-C or SIGTERM
stops every process the group started.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from api.settings import PROJECT_ROOT, Settings, get_settings

BOT_PYTHON_BIN = PROJECT_ROOT / ".venv-bot" / "bin"
APP_PYTHON_BIN = Path(sys.executable).parent

# What the trained model depends on. The tokenizer imports the shared normaliser and its data.
MODEL_INPUTS = ["config.yml", "bot", "nlu_data", "procedure_index/vntext.py", "procedure_index/data"]
INDEX_CODE_INPUTS = ["procedure_index"]


def say(message: str) -> None:
    print(f"[assistant] {message}", flush=True)


# --- content hashing -------------------------------------------------------------------------------

def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.exists():
        return []
    return sorted(
        p for p in path.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".log"}
    )


def content_hash(paths: list[Path], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for root in paths:
        for f in _files_under(root):
            digest.update(str(f.relative_to(PROJECT_ROOT) if f.is_relative_to(PROJECT_ROOT) else f).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialises training/building between concurrent starts (tests, two terminals)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def bot_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{settings.actions_port}/webhook"
    env["APP_URL"] = settings.resolved_app_url
    env["HOTLINE"] = settings.hotline  # the actions quote the same hotline as the app
    env["INTERNAL_API_TOKEN"] = settings.internal_api_token
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


# --- stage 1: the Rasa model -----------------------------------------------------------------------

def ensure_model(settings: Settings) -> Path:
    model_dir = settings.resolved_model_dir
    digest = content_hash([PROJECT_ROOT / p for p in MODEL_INPUTS])
    model = model_dir / f"bot-{digest}.tar.gz"
    with file_lock(model_dir / ".train.lock"):
        if model.exists():
            say(f"Rasa model up to date ({model.name})")
            return model
        say("training the Rasa model (inputs changed) ...")
        started = time.monotonic()
        result = subprocess.run(
            [
                str(BOT_PYTHON_BIN / "rasa"), "train",
                "--config", "config.yml", "--domain", "bot/domain", "--data", "nlu_data",
                "--out", str(model_dir), "--fixed-model-name", model.name.removesuffix(".tar.gz"),
            ],
            cwd=PROJECT_ROOT, env=bot_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        if result.returncode != 0 or not model.exists():
            print(result.stdout[-6000:], file=sys.stderr)
            raise SystemExit("[assistant] Rasa training failed (output above)")
        say(f"Rasa model trained in {time.monotonic() - started:.0f} s")
    return model


# --- stage 2: the procedure index ------------------------------------------------------------------

def ensure_index(settings: Settings) -> Path:
    index_dir = settings.resolved_data_dir / "index"
    catalogs = settings.catalog_paths
    missing = [str(p) for p in catalogs if not p.exists()]
    if missing:
        raise SystemExit(f"[assistant] CATALOG not found: {', '.join(missing)}")
    digest = content_hash(
        catalogs + [PROJECT_ROOT / p for p in INDEX_CODE_INPUTS],
        extra=f"{settings.embedding_model}|{settings.province}",
    )
    stamp = index_dir / "BUILT_FROM"
    with file_lock(settings.resolved_data_dir / ".index.lock"):
        if stamp.exists() and stamp.read_text().strip() == digest:
            say("procedure index up to date")
            return index_dir
        say("building the procedure index (catalog or search code changed) ...")
        started = time.monotonic()
        cmd = [
            str(APP_PYTHON_BIN / "procedure-index"), "build", "--out", str(index_dir),
            "--embedding-model", settings.embedding_model, "--province", settings.province,
        ]
        for path in catalogs:
            cmd += ["--catalog", str(path)]
        result = subprocess.run(cmd, cwd=PROJECT_ROOT)
        if result.returncode != 0:
            raise SystemExit("[assistant] building the procedure index failed (output above)")
        stamp.write_text(digest + "\n")
        say(f"procedure index built in {time.monotonic() - started:.0f} s")
    return index_dir


# --- stage 3: the supervised group -----------------------------------------------------------------

@dataclass
class Part:
    name: str
    cmd: list[str]
    env: dict[str, str]
    port: int
    process: subprocess.Popen | None = field(default=None)
    log_path: Path | None = None


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def plan_parts(settings: Settings, model: Path) -> list[Part]:
    app_env = dict(os.environ, INTERNAL_API_TOKEN=settings.internal_api_token)
    benv = bot_env(settings)
    parts = []
    if not settings.dossier_api_url:
        parts.append(Part(
            "onestop-reference",
            [str(APP_PYTHON_BIN / "onestop-reference"), "--host", "127.0.0.1", "--port", str(settings.dossier_port)],
            app_env, settings.dossier_port,
        ))
    parts.append(Part(
        "actions",
        [str(BOT_PYTHON_BIN / "rasa"), "run", "actions", "--port", str(settings.actions_port), "--actions", "actions"],
        benv, settings.actions_port,
    ))
    parts.append(Part(
        "rasa",
        [
            str(BOT_PYTHON_BIN / "rasa"), "run", "--enable-api", "--port", str(settings.rasa_port),
            "--interface", "127.0.0.1", "--model", str(model),
            "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
        ],
        benv, settings.rasa_port,
    ))
    parts.append(Part(
        "app",
        [
            str(APP_PYTHON_BIN / "uvicorn"), "--factory", "api.main:app_factory",
            "--host", settings.host, "--port", str(settings.port), "--no-access-log",
        ],
        app_env, settings.port,
    ))
    return parts


class Group:
    def __init__(self, parts: list[Part], log_dir: Path):
        self.parts = parts
        self.log_dir = log_dir
        self.stopping = False

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for part in self.parts:
            part.log_path = self.log_dir / f"{part.name}.log"
            log_file = open(part.log_path, "ab")
            # Own session: stopping the group signals each part's whole process tree.
            part.process = subprocess.Popen(
                part.cmd, cwd=PROJECT_ROOT, env=part.env, stdout=log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            log_file.close()
            say(f"started {part.name} (pid {part.process.pid}, port {part.port}, log {part.log_path})")

    def dead(self) -> Part | None:
        for part in self.parts:
            if part.process is not None and part.process.poll() is not None:
                return part
        return None

    def stop(self, grace_s: float = 10.0) -> None:
        self.stopping = True
        for part in reversed(self.parts):
            if part.process and part.process.poll() is None:
                try:
                    os.killpg(part.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace_s
        for part in self.parts:
            if part.process is None:
                continue
            try:
                part.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:  # children that ignored SIGTERM, or grandchildren left behind
                os.killpg(part.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            part.process.wait()


def tail(path: Path | None, lines: int = 25) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_healthy(url: str, group: Group, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if group.dead():
            return False
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant-run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare-only", action="store_true", help="train and build, then exit")
    parser.add_argument("--health-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)

    started = time.monotonic()
    settings = get_settings()
    if not settings.internal_api_token:  # one secret per start, shared only with our own action server
        settings = settings.model_copy(update={"internal_api_token": secrets.token_urlsafe(32)})
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    model = ensure_model(settings)
    ensure_index(settings)
    if args.prepare_only:
        return 0

    parts = plan_parts(settings, model)
    busy = [f"{p.name}:{p.port}" for p in parts if not port_free("127.0.0.1", p.port)]
    if busy:
        say(f"ports already in use: {', '.join(busy)}; set PORT/RASA_PORT/ACTIONS_PORT/DOSSIER_PORT")
        return 2

    group = Group(parts, settings.resolved_data_dir / "logs")

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    exit_code = 0
    try:
        group.start()
        health_url = f"http://127.0.0.1:{settings.port}/healthz"
        if not wait_healthy(health_url, group, args.health_timeout):
            died = group.dead()
            reason = f"{died.name} exited with {died.process.returncode}" if died else "timed out"
            say(f"the assistant did not become healthy ({reason})")
            if died:
                print(tail(died.log_path), file=sys.stderr)
            exit_code = 1
        else:
            say(f"ready in {time.monotonic() - started:.0f} s")
            say(f"chat: http://{settings.host}:{settings.port}/   health: {health_url}")
            while True:
                died = group.dead()
                if died:
                    say(f"{died.name} exited with {died.process.returncode}; stopping the group")
                    print(tail(died.log_path), file=sys.stderr)
                    exit_code = 1
                    break
                time.sleep(1)
    except KeyboardInterrupt:
        say("stopping ...")
    finally:
        group.stop()
        say("all parts stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
