"""channel.yml: canned replies are polite, complete Vietnamese that fits Zalo; error families do not overlap."""
from __future__ import annotations

import string

from api.zalo.config import load_config

ALLOWED_FIELDS = {"province", "hotline"}
VIETNAMESE_MARKS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def test_replies_address_the_citizen_and_fit_one_message() -> None:
    config = load_config()
    replies = config.replies
    for name in ["welcome", "text_only", "image", "callback_received", "more_choices"]:
        text = getattr(replies, name)
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        assert fields <= ALLOWED_FIELDS, name
        filled = text.format(province="Thái Nguyên", hotline="0208 3 855 555")
        assert "Anh/Chị" in filled, name
        assert VIETNAMESE_MARKS & set(filled.lower()), name
        assert len(filled) <= 500, name  # short enough to read on a phone


def test_welcome_menu_fits_zalo_buttons() -> None:
    config = load_config()
    assert 1 <= len(config.replies.welcome_menu) <= config.delivery.max_buttons
    assert all(len(t) <= config.delivery.max_button_title_chars for t in config.replies.welcome_menu)
    assert "Cơ sở dữ liệu quốc gia" in config.replies.welcome  # says where the information comes from


def test_error_families_are_disjoint_and_limits_match_zalo() -> None:
    config = load_config()
    families = [set(config.errors.token), set(config.errors.rate_limit), set(config.errors.window)]
    assert sum(len(f) for f in families) == len(set().union(*families))
    assert {-216, -220} <= families[0] and -32 in families[1] and -230 in families[2]
    assert config.delivery.max_text_chars <= 2000 and config.delivery.max_buttons <= 5
