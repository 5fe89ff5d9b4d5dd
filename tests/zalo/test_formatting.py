import unicodedata

from api.conversations import BotMessage, Button
from api.zalo.formatting import FormatLimits, offered_choices, split_text, to_outgoing


def test_short_text_is_one_chunk_in_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Thủ tục đăng ký thường trú")
    assert split_text(decomposed, 2000) == ["Thủ tục đăng ký thường trú"]


def test_split_prefers_lines_then_sentences_and_keeps_order() -> None:
    lines = [f"Dòng {i}: " + "giấy tờ cần nộp. " * 5 for i in range(40)]
    text = "\n".join(line.strip() for line in lines)
    chunks = split_text(text, 500)
    assert all(len(c) <= 500 for c in chunks)
    assert "\n".join(chunks) == text  # line boundaries only: nothing lost or reordered
    one_line = " ".join(f"Câu số {i} hướng dẫn thủ tục." for i in range(200))
    chunks = split_text(one_line, 300)
    assert all(len(c) <= 300 for c in chunks)
    assert all(c.endswith(".") for c in chunks)  # cut at sentence ends
    assert " ".join(chunks) == one_line


def test_unbroken_run_is_cut_hard() -> None:
    url = "https://dichvucong.gov.vn/" + "a" * 5000
    chunks = split_text(url, 2000)
    assert [len(c) for c in chunks] == [2000, 2000, 1026] and "".join(chunks) == url


def test_nfc_length_is_what_counts() -> None:
    # 1,500 decomposed "ệ" are 4,500 code points but 1,500 once composed: one chunk.
    text = unicodedata.normalize("NFD", "ệ" * 1500)
    assert split_text(text, 2000) == ["ệ" * 1500]


def test_buttons_beyond_five_go_into_the_text_and_ride_on_the_last_chunk() -> None:
    reply = BotMessage(
        text="Câu dài. " * 300,
        buttons=[Button(title=f"Lựa chọn {i}", payload=f"/chon{{\"i\":{i}}}") for i in range(1, 8)],
    )
    messages = to_outgoing(reply, FormatLimits())
    assert len(messages) == 2
    assert messages[0].buttons == []
    assert [b["title"] for b in messages[1].buttons] == [f"Lựa chọn {i}" for i in range(1, 6)]
    assert messages[1].buttons[0] == {"title": "Lựa chọn 1", "type": "oa.query.show", "payload": "Lựa chọn 1"}
    assert messages[1].text.endswith("- Lựa chọn 6\n- Lựa chọn 7")
    body = messages[1].to_zalo("123")
    assert body["recipient"] == {"user_id": "123"}
    assert body["message"]["attachment"]["type"] == "template"


def test_link_and_phone_buttons_and_choice_memory() -> None:
    reply = BotMessage(text="Nộp trực tuyến", buttons=[
        Button(title="Mở cổng", payload="https://dichvucong.gov.vn"),
        Button(title="Gọi đường dây nóng", payload="tel:02083855555"),
        Button(title="Khai sinh", payload="/hoi_thu_tuc"),
    ])
    [message] = to_outgoing(reply, FormatLimits())
    assert [b["type"] for b in message.buttons] == ["oa.open.url", "oa.open.phone", "oa.query.show"]
    assert message.buttons[1]["payload"] == {"phone_code": "02083855555"}
    assert offered_choices(reply, FormatLimits()) == {"Khai sinh": "/hoi_thu_tuc"}


def test_buttons_without_text_get_a_prompt() -> None:
    [message] = to_outgoing(BotMessage(text="", buttons=[Button(title="Có", payload="/affirm")]), FormatLimits())
    assert message.text and "Anh/Chị" in message.text
