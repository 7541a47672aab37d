"""`sgg-bench captions parse`: output content, atomic write, and bad input."""
from __future__ import annotations

import json

import pytest

from sgg_bench.cli import main
from langtest_utils import SHARED_DATA


def _write(tmp_path, obj, name="caps.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def _run(tmp_path, source, *extra):
    out = tmp_path / "out" / "parsed.json"
    code = main(["captions", "parse", str(source), "--out", str(out), "--quiet", "--no-wordnet", *extra])
    return code, out


GOOD = {"images": [{"id": 1}, {"id": 2}, {"id": 3}],
        "annotations": [{"image_id": 1, "caption": "A man riding a horse on a beach."},
                        {"image_id": 1, "caption": "A man rides a horse."},
                        {"image_id": 2, "caption": "A dog sits next to a sofa."}]}


def test_parse_links_triplets_per_image(tmp_path):
    code, out = _run(tmp_path, _write(tmp_path, GOOD))
    assert code == 0
    result = json.loads(out.read_text())
    assert result["counts"] == {"images": 3, "captions": 3, "captions_parsed": 3, "captions_skipped": 0,
                                "triplets": 3, "linked_triplets": 2, "unlinked_triplets": 1}
    first, second, third = result["images"]
    assert first["image_id"] == 1 and first["num_captions"] == 2
    assert first["triplets"] == [["man", "ride", "horse"], ["man", "on", "beach"]]
    assert [(l["subject"], l["predicate"], l["object"]) for l in first["linked"]] == [
        ("man", "riding", "horse"), ("man", "on", "beach")]
    assert first["linked"][0]["indices"] == [78, 38, 64]  # VG150 indices of man, riding, horse
    assert second["unlinked"] == [{"triplet": ["dog", "sit next to", "sofa"], "unlinked": ["object"]}]
    assert third == {"image_id": 3, "num_captions": 0, "triplets": [], "linked": [], "unlinked": [],
                     "num_triplets": 0, "num_linked": 0, "num_unlinked": 0}
    assert not [p for p in out.parent.iterdir() if p.name != out.name]  # no temp files left


@pytest.mark.skipif(not (SHARED_DATA / "VG-SGG-dicts-with-attri.json").is_file(), reason="shared data missing")
def test_vocab_folder_option(tmp_path):
    code, out = _run(tmp_path, _write(tmp_path, GOOD), "--vocab", str(SHARED_DATA))
    assert code == 0
    assert json.loads(out.read_text())["vocabulary"]["source"].endswith("VG-SGG-dicts-with-attri.json")


def test_images_list_is_optional(tmp_path):
    data = {"annotations": [{"image_id": "b", "caption": "a cat on a bed"}, {"image_id": "a", "caption": "a cup"}]}
    code, out = _run(tmp_path, _write(tmp_path, data))
    assert code == 0
    assert [i["image_id"] for i in json.loads(out.read_text())["images"]] == ["b", "a"]


def test_empty_long_and_unknown_image_captions_are_reported_and_skipped(tmp_path, capsys):
    data = {"images": [{"id": 1}], "annotations": [
        {"image_id": 1, "caption": ""}, {"image_id": 1, "caption": "x " * 600},
        {"image_id": 7, "caption": "a cat"}, {"image_id": 1, "caption": "a cat on a bed"}]}
    code, out = _run(tmp_path, _write(tmp_path, data))
    assert code == 0
    result = json.loads(out.read_text())
    assert [(s["annotation_index"], s["reason"].split(" (")[0]) for s in result["skipped"]] == [
        (0, "empty caption"), (1, "caption longer than 1000 characters"), (2, "image_id not listed in 'images'")]
    assert result["images"][0]["triplets"] == [["cat", "on", "bed"]]
    assert "skipped annotations[0]" in capsys.readouterr().err


def test_missing_file_and_bad_options(tmp_path, capsys):
    code, _ = _run(tmp_path, tmp_path / "nope.json")
    assert code == 2 and "nothing at this path" in capsys.readouterr().err
    code, _ = _run(tmp_path, _write(tmp_path, GOOD), "--max-length", "0")
    assert code == 2 and "--max-length" in capsys.readouterr().err
    code, _ = _run(tmp_path, _write(tmp_path, GOOD), "--vocab", str(tmp_path / "no_vocab"))
    assert code == 2


def test_spacy_backend_without_spacy_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from sgg_bench.language import spacy_backend
    monkeypatch.setattr(spacy_backend.SpacyParser, "from_environment",
                        classmethod(lambda cls, **kw: (_ for _ in ()).throw(spacy_backend.SpacyUnavailable("no spaCy"))))
    code, _ = _run(tmp_path, _write(tmp_path, GOOD), "--backend", "spacy")
    assert code == 2 and "--backend spacy" in capsys.readouterr().err
    code, out = _run(tmp_path, _write(tmp_path, GOOD), "--backend", "auto")
    assert code == 0 and json.loads(out.read_text())["backend"] == "RulesParser"


def test_utf8_with_byte_order_mark_is_read(tmp_path):
    source = tmp_path / "bom.json"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode("utf-8"))
    code, out = _run(tmp_path, source)
    assert code == 0 and json.loads(out.read_text())["counts"]["captions_parsed"] == 3


def test_parallel_workers_give_the_same_result(tmp_path):
    captions = [f"A man riding horse number {k} on a beach." if k % 3 else "A dog sits next to a sofa."
                for k in range(1_200)]
    data = {"annotations": [{"image_id": k % 50, "caption": c} for k, c in enumerate(captions)]}
    source = _write(tmp_path, data)
    one = _run(tmp_path / "one", source, "--workers", "1")
    two = _run(tmp_path / "two", source, "--workers", "2")
    assert one[0] == two[0] == 0
    assert json.loads(one[1].read_text())["images"] == json.loads(two[1].read_text())["images"]
    code, _ = _run(tmp_path, source, "--workers", "0")
    assert code == 2


def test_command_imports_neither_torch_nor_nltk(tmp_path):
    """Start-up cost: the captions command must not pull in torch (other commands) or nltk's WordNet reader."""
    import subprocess
    import sys
    source = _write(tmp_path, GOOD)
    code = ("import sys; from sgg_bench.cli import main; "
            f"rc = main(['captions', 'parse', {str(source)!r}, '--out', {str(tmp_path / 'o.json')!r}, '--quiet']); "
            "print(rc, sorted(m for m in ('torch', 'nltk') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "0 []"
