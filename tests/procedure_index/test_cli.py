"""The procedure-index command line, run as a real subprocess."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pi_fixtures import REPO_ROOT


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "procedure_index.cli", *args], cwd=REPO_ROOT, input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_index(fixture_catalog, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "index"
    done = run("build", "--catalog", str(fixture_catalog), "--out", str(out), "--embedding-model", "none")
    assert done.returncode == 0, done.stderr
    assert "read 15, kept 15, merged 0, rejected 0" in done.stderr
    return out


def test_search_queries_file_prints_one_json_line_each(cli_index, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"id": "a", "question": "Làm giấy khai sinh cho con cần những giấy tờ gì?"}, ensure_ascii=False) + "\n"
        + json.dumps({"id": 7, "question": "lam giay khai sinh cho con"}) + "\n"
        + json.dumps({"id": "c", "question": "qwxz zzkj"}) + "\n", encoding="utf-8")
    done = run("search", "--index", str(cli_index), "--top-k", "2", "--queries", str(queries))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", 7, "c"]
    for line in lines:
        assert set(line) == {"id", "verdict", "results"}
        assert line["verdict"] in ("confident", "ambiguous", "none")
        assert len(line["results"]) <= 2
    assert lines[0]["results"][0]["code"] == "1.001193"
    assert lines[1]["results"][0]["code"] == "1.001193"
    assert lines[2]["verdict"] == "none"


def test_search_one_question_is_readable(cli_index):
    done = run("search", "--index", str(cli_index), "xin gpxd nha o")
    assert done.returncode == 0, done.stderr
    assert "1. [1.013225] Cấp giấy phép xây dựng mới" in done.stdout
    assert "Kết luận:" in done.stdout


def test_eval_prints_metrics_with_and_without_diacritics(cli_index, tmp_path):
    questions = tmp_path / "dev.jsonl"
    rows = [{"id": "1", "question": "đăng ký kết hôn", "codes": ["1.000894"], "kind": "procedure"},
            {"id": "2", "question": "làm hộ chiếu", "codes": ["2.002155"], "kind": "procedure"},
            {"id": "3", "question": "khác gì nhau", "codes": [], "kind": "no_procedure"}]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = run("eval", "--index", str(cli_index), "--questions", str(questions))
    assert done.returncode == 0, done.stderr
    lines = {line.split("  ")[0].strip(): line for line in done.stdout.splitlines()}
    assert lines["as written"].split()[2:6] == ["2", "1.000", "1.000", "1.000"]
    assert lines["without diacritics"].split()[2:6] == ["2", "1.000", "1.000", "1.000"]
    unseen = run("eval", "--index", str(cli_index), "--questions", str(questions), "--unseen")
    assert unseen.returncode == 0, unseen.stderr
    assert "unseen by the memory" in unseen.stdout and "as written" in unseen.stdout


def test_unseen_eval_hides_every_label_of_a_text_typed_either_way():
    from procedure_index.evaluation import Question, codes_by_text

    codes = codes_by_text([Question("1", "đăng ký kết hôn", ["1.000894"]),
                           Question("2", "dang ky ket hon", ["2.000001"]),
                           Question("3", "khác gì nhau", [])])
    assert codes["đăng ký kết hôn"] == ["1.000894"]
    # typed without diacritics, the first is the second: hiding one label only would let the other count
    assert sorted(codes["dang ky ket hon"]) == ["1.000894", "2.000001"]
    assert codes["khác gì nhau"] == [] and codes["khac gi nhau"] == []
