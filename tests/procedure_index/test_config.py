"""The search configuration is data; these checks keep it well-formed."""
import yaml

from procedure_index.config import SEARCH_CONFIG, VERDICT_CONFIG, load_search_config
from procedure_index.search import RANKING_FEATURES


def test_search_yml_has_every_section_and_weight():
    config = yaml.safe_load(SEARCH_CONFIG.read_text(encoding="utf-8"))
    assert {"lexical", "dense", "fusion", "ranking", "query", "verdict"} <= set(config)
    assert set(config["ranking"]["weights"]) == set(RANKING_FEATURES)
    assert config["lexical"]["fields"]["name"] > config["lexical"]["fields"]["text"] > 0  # names above long text
    assert config["ranking"]["weights"]["other_province"] < 0 < config["ranking"]["weights"]["own_province"]


def test_fitted_verdict_models_exist_for_both_modes_and_are_sane():
    fitted = yaml.safe_load(VERDICT_CONFIG.read_text(encoding="utf-8"))
    for mode in ("dense", "lexical"):
        section = fitted[mode]
        assert 0.0 < section["none_below"] < 1.0 and 0.0 < section["confident_above"] <= 1.0
        assert set(section["model"]) == {"in_scope", "top1_correct"}
        assert section["fitted_on"]["in_scope"] >= 300  # fitted on the labeled calibration split
        assert section["fitted_on"]["in_scope_none_rate"] <= 0.05


def test_loaded_config_merges_the_fitted_verdicts():
    config = load_search_config()
    assert "dense" in config["verdict"] and "none_below" in config["verdict"]
