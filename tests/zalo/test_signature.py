import hashlib

from api.zalo.signature import compute_signature, signature_is_valid

APP_ID, SECRET, TS = "4318210956385212345", "s3cret", "1732700000000"
RAW = '{"event_name":"user_send_text","timestamp":"1732700000000","message":{"text":"Chào"}}'.encode()


def test_signature_is_plain_sha256_of_app_id_body_timestamp_secret() -> None:
    expected = hashlib.sha256(APP_ID.encode() + RAW + TS.encode() + SECRET.encode()).hexdigest()
    assert compute_signature(APP_ID, RAW, TS, SECRET) == f"mac={expected}"
    assert signature_is_valid(f"mac={expected}", APP_ID, RAW, TS, SECRET)


def test_any_change_or_missing_part_invalidates() -> None:
    good = compute_signature(APP_ID, RAW, TS, SECRET)
    assert not signature_is_valid(good, APP_ID, RAW + b" ", TS, SECRET)  # raw bytes, not re-serialised JSON
    assert not signature_is_valid(good, APP_ID, RAW, "1732700000001", SECRET)
    assert not signature_is_valid(good, "other-app", RAW, TS, SECRET)
    assert not signature_is_valid(None, APP_ID, RAW, TS, SECRET)
    assert not signature_is_valid(good, APP_ID, RAW, None, SECRET)


def test_unconfigured_secret_never_validates() -> None:
    assert not signature_is_valid(compute_signature(APP_ID, RAW, TS, ""), APP_ID, RAW, TS, "")
