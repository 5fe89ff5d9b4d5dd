"""Helpers for the procedure search tests: a small catalog in the interchange format."""
from __future__ import annotations

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


def record(code: str, name: str, field: str, **extra) -> dict:
    """One interchange-format record with every field present (as SCHEMA.md requires)."""
    base = {
        "code": code, "name": name, "field": field, "levels": ["Cấp xã"], "issuing_body": "Bộ Tư pháp",
        "agencies": ["Ủy ban nhân dân cấp xã"], "decision": None, "kind": None, "subjects": ["Công dân Việt Nam"],
        "channels": [{"method": "direct", "duration": "Trong ngày", "fee": "Miễn phí", "note": None}],
        "steps": None, "documents": None, "document_items": [], "requirements": None, "results": None,
        "legal_basis": [], "online_level": None, "detail": "summary", "province": None, "status": "ACTIVE",
        "source_url": None, "source": "test-fixture",
    }
    base.update(extra)
    if base["steps"] or base["documents"]:
        base["detail"] = "full"
    return base


FIXTURE_RECORDS = [
    record("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch",
           documents="Tờ khai đăng ký khai sinh theo mẫu; giấy chứng sinh; giấy tờ tùy thân của người đi đăng ký.",
           steps="Người đi đăng ký khai sinh nộp hồ sơ tại Ủy ban nhân dân cấp xã nơi cư trú của người cha hoặc mẹ.",
           results="Giấy khai sinh"),
    record("1.000689", "Thủ tục đăng ký khai sinh kết hợp đăng ký nhận cha, mẹ, con", "Hộ tịch",
           documents="Tờ khai đăng ký khai sinh, tờ khai đăng ký nhận cha, mẹ, con; chứng cứ chứng minh quan hệ."),
    record("1.004884", "Thủ tục đăng ký lại khai sinh", "Hộ tịch",
           documents="Tờ khai đăng ký lại khai sinh; bản sao giấy khai sinh cũ nếu có."),
    record("1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch",
           documents="Tờ khai đăng ký kết hôn theo mẫu; giấy xác nhận tình trạng hôn nhân.", results="Giấy chứng nhận kết hôn"),
    record("1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch",
           documents="Tờ khai đăng ký khai tử; giấy báo tử hoặc giấy tờ thay giấy báo tử."),
    record("1.004222", "Đăng ký thường trú", "Đăng ký, quản lý cư trú", levels=["Cấp xã"],
           documents="Tờ khai thay đổi thông tin cư trú; giấy tờ chứng minh chỗ ở hợp pháp.",
           agencies=["Công an cấp xã"]),
    record("1.004194", "Đăng ký tạm trú", "Đăng ký, quản lý cư trú",
           documents="Tờ khai thay đổi thông tin cư trú; giấy tờ chứng minh chỗ ở hợp pháp."),
    record("1.013225", "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV và nhà ở riêng lẻ", "Hoạt động xây dựng",
           levels=["Cấp tỉnh"], documents="Đơn đề nghị cấp giấy phép xây dựng; bản vẽ thiết kế; giấy tờ về quyền sử dụng đất."),
    record("1.012786", "Cấp lại Giấy chứng nhận do bị mất", "Đất đai",
           documents="Đơn đề nghị cấp lại Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất bị mất."),
    record("1.001612", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh",
           documents="Giấy đề nghị đăng ký hộ kinh doanh; bản sao giấy tờ pháp lý của cá nhân."),
    record("2.002155", "Cấp hộ chiếu phổ thông ở trong nước", "Quản lý xuất nhập cảnh", levels=["Cấp tỉnh"],
           documents="Tờ khai đề nghị cấp hộ chiếu; ảnh chân dung."),
    record("1.014067", "Cấp đổi thẻ căn cước", "Căn cước", documents="Thẻ căn cước cũ; tờ khai căn cước."),
    # Same-name variants: the national record, Thái Nguyên's own and another province's.
    record("1.009001", "Hỗ trợ học tập đối với học sinh dân tộc thiểu số", "Giáo dục và Đào tạo", levels=["Cấp tỉnh"]),
    record("2.009001", "Hỗ trợ học tập đối với học sinh dân tộc thiểu số", "Giáo dục và Đào tạo",
           levels=["Cấp tỉnh"], province="Tỉnh Lai Châu", issuing_body="Ủy ban nhân dân Tỉnh Lai Châu"),
    record("2.009002", "Hỗ trợ học tập đối với học sinh dân tộc thiểu số", "Giáo dục và Đào tạo",
           levels=["Cấp tỉnh"], province="Tỉnh Thái Nguyên", issuing_body="Ủy ban nhân dân Tỉnh Thái Nguyên"),
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
