"""Hostile caption files (category 7) for ``sgg-bench captions parse``: a file of the wrong format
(not UTF-8, not JSON, nested too deeply, wrong types, repeated image ids, numbers too long) is one
error line naming the file and the field, exit 2, and no output file; odd but legal captions (empty,
100 KB, control characters, lone surrogates) are parsed or skipped and counted, never crash.
"""
from __future__ import annotations

import json

import pytest

from hostile_data import main


def _write(tmp_path, obj, name="caps.json"):
    path = tmp_path / name
    if isinstance(obj, bytes):
        path.write_bytes(obj)
    else:
        path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def _run(tmp_path, source, *extra):
    out = tmp_path / "out" / "parsed.json"
    code = main(["captions", "parse", str(source), "--out", str(out), "--quiet", "--no-wordnet", "--workers", "1",
                 *extra])
    return code, out


GOOD = {"images": [{"id": 1}, {"id": 2}],
        "annotations": [{"image_id": 1, "caption": "A man riding a horse."},
                        {"image_id": 2, "caption": "A cat on a bed."}]}


@pytest.mark.parametrize("content, message", [
    ("{not json", "valid JSON"),
    ([1, 2], "top level: expected a JSON object"),
    ({"images": []}, "annotations: expected this key to be present"),
    ({"annotations": {"a": 1}}, "annotations: expected a list"),
    ({"annotations": ["a cat"]}, "annotations[0]: expected an object"),
    ({"annotations": [{"image_id": 1, "caption": "ok"}, {"image_id": 1}]}, "annotations[1].caption: expected this key"),
    ({"annotations": [{"caption": "ok"}]}, "annotations[0].image_id: expected this key"),
    ({"annotations": [{"image_id": 1, "caption": 42}]}, "annotations[0].caption: expected a string, found int 42"),
    ({"annotations": [{"image_id": 1, "caption": None}]}, "annotations[0].caption: expected a string"),
    ({"annotations": [{"image_id": [1], "caption": "a"}]}, "annotations[0].image_id: expected an integer or string"),
    ({"images": [{"file": "x"}], "annotations": []}, "images[0].id"),
    ({"images": "x", "annotations": []}, "images: expected a list"),
])
def test_bad_input_is_one_clear_error(tmp_path, capsys, content, message):
    source = _write(tmp_path, content)
    code, out = _run(tmp_path, source)
    err = capsys.readouterr().err
    assert code == 2
    assert str(source) in err and message in err
    assert not out.exists()


def test_non_utf8_file_is_one_clear_error(tmp_path, capsys):
    source = tmp_path / "latin1.json"
    source.write_bytes('{"annotations": [{"image_id": 1, "caption": "a caf\xe9 table"}]}'.encode("latin-1"))
    code, out = _run(tmp_path, source)
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1 and str(source) in err
    assert "byte 50: expected UTF-8 text" in err and "0xe9" in err


def test_deeply_nested_json_is_one_clear_error(tmp_path, capsys):
    source = _write(tmp_path, '{"annotations": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, out = _run(tmp_path, source)
    err = capsys.readouterr().err
    assert code == 2 and not out.exists() and err.count("\n") == 1
    assert str(source) in err and "top level: expected JSON nested at most" in err


def test_nested_value_where_a_caption_belongs_is_described_not_printed(tmp_path, capsys):
    nested = json.loads("[" * 300 + "]" * 300)
    code, out = _run(tmp_path, _write(tmp_path, {"annotations": [{"image_id": 1, "caption": nested}]}))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "annotations[0].caption: expected a string, found list of 1 items" in err
    code, out = _run(tmp_path, _write(tmp_path, {"annotations": [{"image_id": {"a": nested}, "caption": "a"}]}))
    assert code == 2 and "annotations[0].image_id: expected an integer or string image id, found dict of 1 items" \
        in capsys.readouterr().err


def test_huge_and_empty_captions_are_skipped_and_counted_in_the_summary(tmp_path, capsys):
    data = {"annotations": [{"image_id": 1, "caption": "a dog on a sofa " * 6_400},  # 102,400 characters
                            {"image_id": 1, "caption": ""}, {"image_id": 2, "caption": "   "},
                            {"image_id": 2, "caption": "A cat on a bed."}]}
    code, out = _run(tmp_path, _write(tmp_path, data))
    captured = capsys.readouterr()
    assert code == 0
    result = json.loads(out.read_text())
    assert result["counts"]["captions_skipped"] == 3 and result["counts"]["captions_parsed"] == 1
    assert result["skipped"][0]["reason"] == "caption longer than 1000 characters (102400)"
    assert "1 parsed, 3 skipped (2 empty caption, 1 caption longer than 1000 characters)" in captured.out
    # with a limit above its length the 100 KB caption is parsed like any other
    code, out = _run(tmp_path, _write(tmp_path, data), "--max-length", "200000")
    result = json.loads(out.read_text())
    assert code == 0 and ["dog", "on", "sofa"] in result["images"][0]["triplets"]


ENCODED = {
    "utf-16 with BOM": (json.dumps(GOOD).encode("utf-16"), "byte 0", "0xff"),
    "utf-32": (json.dumps(GOOD).encode("utf-32"), "byte 0", "0xff"),
    "cp1252 quotes": ('{"annotations": [{"image_id": 1, "caption": "\u201ca cat\u201d"}]}'.encode("cp1252"),
                      "byte 45", "0x93"),
    "truncated utf-8 sequence": (b'{"annotations": [{"image_id": 1, "caption": "caf\xc3"}]}', "byte 48", "0xc3"),
    "overlong encoding": (b'{"annotations": [{"image_id": 1, "caption": "\xc0\xaf"}]}', "byte 45", "0xc0"),
}


@pytest.mark.parametrize("case", sorted(ENCODED))
def test_not_utf8_names_the_byte(tmp_path, capsys, case):
    data, field, byte = ENCODED[case]
    code, out = _run(tmp_path, _write(tmp_path, data))
    err = capsys.readouterr().err
    assert code == 2 and not out.exists() and err.count("\n") == 1 and "Traceback" not in err
    assert f"caps.json: {field}: expected UTF-8 text" in err and byte in err


WRONG = {
    "repeated image id": ({"images": [{"id": 1}, {"id": 2}, {"id": 1}], "annotations": []},
                          "images[2].id: expected an id not already listed (images[0])"),
    "integer literal of 5000 digits": ('{"annotations": [{"image_id": 1' + "0" * 5000 + ', "caption": "a"}]}',
                                       "top level: expected JSON numbers of ordinary size"),
    "NaN image id": ('{"annotations": [{"image_id": NaN, "caption": "a cat"}]}',
                     "annotations[0].image_id: expected an integer or string image id, found float nan"),
    "float image id": ({"annotations": [{"image_id": 1.5, "caption": "a"}]}, "annotations[0].image_id"),
    "boolean image id": ({"annotations": [{"image_id": True, "caption": "a"}]}, "annotations[0].image_id"),
    "null image id": ({"annotations": [{"image_id": None, "caption": "a"}]}, "annotations[0].image_id"),
    "caption a list": ({"annotations": [{"image_id": 1, "caption": ["a cat"]}]},
                       "annotations[0].caption: expected a string, found list of 1 items"),
    "caption an object": ({"annotations": [{"image_id": 1, "caption": {"text": "a"}}]},
                          "annotations[0].caption: expected a string, found dict of 1 items"),
    "caption a boolean": ({"annotations": [{"image_id": 1, "caption": False}]}, "annotations[0].caption"),
    "images entry a string": ({"images": ["1"], "annotations": []}, "images[0].id"),
    "images id a list": ({"images": [{"id": [1]}], "annotations": []}, "images[0].id"),
    "annotations null": ({"annotations": None}, "annotations: expected a list"),
    "annotation null": ({"annotations": [None]}, "annotations[0]: expected an object"),
    "empty file": ("", "line 1 column 1: expected valid JSON"),
    "trailing garbage": (json.dumps(GOOD) + " x", "expected valid JSON"),
    "deep nesting in a caption's object": ('{"annotations": [{"image_id": 1, "caption": ' + "{\"a\": " * 50_000
                                           + "1" + "}" * 50_000 + "}]}", "top level: expected JSON nested at most"),
    "deep nesting in images": ('{"images": ' + "[" * 50_000 + "]" * 50_000 + ', "annotations": []}',
                               "top level: expected JSON nested at most"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_format_is_one_clear_error(tmp_path, capsys, case):
    content, message = WRONG[case]
    code, out = _run(tmp_path, _write(tmp_path, content))
    err = capsys.readouterr().err
    assert code == 2 and not out.exists() and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("sgg-bench: error: ") and "caps.json: " in err
    assert message in err, err
    assert len(err) < 400


ODD_CAPTIONS = {
    "lone surrogate": "a cat \ud800 on a bed",
    "NUL character": "a cat\u0000 on a bed",
    "control and bidi characters": "\u202e\u200b\x07 a cat on a bed",
    "only punctuation": "!!!???...",
    "one 900-character word": "a" * 900,
    "emoji": "a \U0001F408 on a bed",
    "right-to-left script": "\u05d7\u05ea\u05d5\u05dc \u05e2\u05dc \u05de\u05d9\u05d8\u05d4",
    "tabs and newlines": "a cat\ton\na bed",
}


@pytest.mark.parametrize("case", sorted(ODD_CAPTIONS))
def test_odd_captions_are_parsed_without_crashing(tmp_path, capsys, case):
    data = {"annotations": [{"image_id": 1, "caption": ODD_CAPTIONS[case]},
                            {"image_id": 2, "caption": "A cat on a bed."}]}
    code, out = _run(tmp_path, _write(tmp_path, data))
    assert code == 0, capsys.readouterr().err
    result = json.loads(out.read_text())
    assert result["counts"]["captions_parsed"] == 2 and result["counts"]["captions_skipped"] == 0
    assert result["images"][1]["triplets"] == [["cat", "on", "bed"]]       # the other caption is unaffected
    assert sorted(p.name for p in out.parent.iterdir()) == ["parsed.json"]


def test_output_path_that_is_a_folder(tmp_path, capsys):
    (tmp_path / "out" / "parsed.json").mkdir(parents=True)
    code, out = _run(tmp_path, _write(tmp_path, GOOD))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "parsed.json: output file: expected a file path to write, found a folder" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["parsed.json"]   # no temporary left


VOCAB = {
    "invalid JSON": (b'{"idx_to_label": ', "line 1 column"),
    "not UTF-8": ('{"idx_to_label": {"1": "caf\xe9"}}'.encode("latin-1"), "vocab.json"),
    "a list": (b"[1, 2]", "vocab.json"),
    "empty object": (b"{}", "vocab.json"),
}


@pytest.mark.parametrize("case", sorted(VOCAB))
def test_bad_vocabulary_file_is_one_clear_error(tmp_path, capsys, case):
    data, message = VOCAB[case]
    vocab = tmp_path / "vocab.json"
    vocab.write_bytes(data)
    code, out = _run(tmp_path, _write(tmp_path, GOOD), "--vocab", str(vocab))
    err = capsys.readouterr().err
    assert code == 2 and not out.exists() and err.count("\n") == 1 and "Traceback" not in err
    assert "vocab.json" in err and message in err
