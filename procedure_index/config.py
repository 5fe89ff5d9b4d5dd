"""Search configuration (YAML): weights in search.yml, fitted verdict model in verdict.yml."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CONFIG_DIR = Path(__file__).parent / "config"
SEARCH_CONFIG = CONFIG_DIR / "search.yml"
VERDICT_CONFIG = CONFIG_DIR / "verdict.yml"
RANKING_CONFIG = CONFIG_DIR / "ranking.yml"


@lru_cache(maxsize=8)
def load_search_config(path: str = str(SEARCH_CONFIG), verdict_path: str = str(VERDICT_CONFIG),
                       ranking_path: str = str(RANKING_CONFIG)) -> dict:
    """Loaded once per process. Files written by `procedure-index calibrate` override their sections:
    verdict.yml -> `verdict`, ranking.yml -> `ranking`."""
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for section, fitted_path in (("verdict", verdict_path), ("ranking", ranking_path)):
        fitted = Path(fitted_path)
        if fitted.exists():
            config[section] = {**config.get(section, {}), **(yaml.safe_load(fitted.read_text(encoding="utf-8")) or {})}
    return config


def reasoned_ranking_weights(path: str = str(SEARCH_CONFIG)) -> dict[str, float]:
    """The starting weights set by reasoning in search.yml, ignoring any fitted ranking.yml: a refit starts
    from (and is pulled towards) these, and policy weights (province order) always come from here."""
    return dict(yaml.safe_load(Path(path).read_text(encoding="utf-8"))["ranking"]["weights"])
