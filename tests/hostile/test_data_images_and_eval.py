"""Hostile image files (``data check --decode``), zero-shot lists outside the vocabulary, and the
box rule end to end: PredCls predictions written from val/test records evaluate without error."""
from __future__ import annotations

import json

import numpy as np
import pytest

from hostile_data import (assert_one_line_error, jpeg_bytes, main, write_oi, write_real_images, write_vg_folder)
from sgg_bench.data import open_dataset
from sgg_bench.evaluation.predictions import PredictionsWriter
from sgg_bench.structures import ImagePrediction


def _corrupt(kind: str, path):
    good = jpeg_bytes()
    path.write_bytes({"empty file": b"", "placeholder bytes": b"jpg", "truncated jpeg": good[: len(good) // 3],
                      "text": b"<html>not found</html>", "bad header": b"\xff\xd8\xff" + b"\0" * 64}[kind])


@pytest.mark.parametrize("kind", ["empty file", "placeholder bytes", "truncated jpeg", "text", "bad header"])
def test_decode_reports_corrupt_vg_image(tmp_path, capsys, kind):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    write_real_images(root / "VG_100K")
    assert main(["data", "check", str(root), "--decode"]) == 0
    _corrupt(kind, root / "VG_100K" / "14.jpg")
    assert main(["data", "check", str(root)]) == 0          # without --decode only existence is checked
    line = assert_one_line_error(["data", "check", str(root), "--decode"], capsys, "14.jpg", r"image file")
    assert "row 5 of image_data.json" in line and "1 of 9 images corrupt" in line


def test_decode_lists_every_corrupt_image(tmp_path, capsys):
    root = write_oi(tmp_path / "oi")
    write_real_images(root / "images")
    for name in ("bbb", "fff", "ggg"):
        (root / "images" / f"{name}.jpg").write_bytes(b"")
    assert main(["data", "check", str(root), "--decode"]) == 2
    err = capsys.readouterr().err.splitlines()
    listed = [line for line in err if line.startswith("corrupt image: ")]
    # every split is decoded before the error: bbb (train row 1), then fff and ggg of the test split.
    assert [line.split(" (")[0].rsplit("/", 1)[1] for line in listed] == ["bbb.jpg", "fff.jpg", "ggg.jpg"]
    assert "images/bbb.jpg (vrd-train-anno.json row 1)" in listed[0]
    total = int(err[-1].split(" images corrupt")[0].rsplit(" of ", 1)[1])
    assert err[-1].startswith("sgg-bench: error: ") and "bbb.jpg" in err[-1] and f"3 of {total} images" in err[-1]
    (root / "images" / "bbb.jpg").write_bytes(jpeg_bytes())
    assert main(["data", "check", str(root), "--decode"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0].rsplit("/", 1)[1] for line in err if line.startswith("corrupt image: ")] == [
        "fff.jpg", "ggg.jpg"]
    assert f"2 of {total} images corrupt" in err[-1] and "fff.jpg" in err[-1]
    (root / "images" / "fff.jpg").write_bytes(jpeg_bytes())
    (root / "images" / "ggg.jpg").write_bytes(jpeg_bytes())
    assert main(["data", "check", str(root), "--decode"]) == 0


def test_png_bytes_under_jpg_name_decode(tmp_path):
    import io
    from PIL import Image
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    write_real_images(root / "VG_100K")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    (root / "VG_100K" / "15.jpg").write_bytes(buffer.getvalue())
    assert main(["data", "check", str(root), "--decode"]) == 0


def _predcls_predictions(root, path, split="test"):
    """PredCls predictions from the split's records (what a model sees as input), all ordered pairs."""
    dataset = open_dataset(root, split, check_images=False)
    classes = dataset.vocab.num_predicate_classes
    with PredictionsWriter(path, dataset="vg", split=split, mode="predcls",
                           num_obj_classes=dataset.vocab.num_object_classes, num_rel_classes=classes) as writer:
        for i in range(len(dataset)):
            record = dataset[i]
            n = len(record.boxes)
            pairs = np.array([(s, o) for s in range(n) for o in range(n) if s != o], dtype=np.int64).reshape(-1, 2)
            scores = np.full((len(pairs), classes), 1.0 / classes, dtype=np.float32)
            writer.add(ImagePrediction(image_id=record.image_id, boxes=record.boxes, labels=record.labels,
                                       scores=np.ones(n, dtype=np.float32), rel_pairs=pairs, rel_scores=scores))
    return path


def test_predcls_on_val_with_box_empty_after_clipping_evaluates(tmp_path, capsys):
    """Val image 10 has a box that clips to nothing; the record keeps it, so evaluation accepts the run."""
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    assert main(["data", "check", str(root)]) == 0
    assert "boxes empty after clipping to the image: train 0, val 1, test 0" in capsys.readouterr().out
    predictions = _predcls_predictions(root, tmp_path / "predictions.h5", split="val")
    assert main(["eval", "--predictions", str(predictions), "--dataset", str(root), "--split", "val", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    # 3 GT boxes -> 6 ordered pairs all scored alike; both GT relations (0,1) and (2,0) are among the top 20.
    assert result["metrics"]["ngR@20"] == pytest.approx(1.0)


ZS_CASES = {
    "predicate beyond the vocabulary": ("1 2 4\n", r"row 0 column 2", "predicate in 1..3"),
    "subject class beyond the vocabulary": ("1 2 3\n5 1 1\n", r"row 1 column 0", "subject class in 1..4"),
    "background object": ("1 0 2\n", r"row 0 column 1", "object class in 1..4"),
    "two numbers on a line": ("1 2\n", r"line 1", "three integers"),
    "float ids": ("1.0 2 3\n", r"line 1", "three integers"),
    "not UTF-8": (b"1 2 3\n\xff\xfe 1 1\n", r"byte 6", "UTF-8 text"),
}


@pytest.mark.parametrize("case", sorted(ZS_CASES))
def test_zero_shot_list_outside_vocabulary_rejected(tmp_path, capsys, case):
    text, field, expected = ZS_CASES[case]
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    predictions = _predcls_predictions(root, tmp_path / "predictions.h5")
    zeroshot = tmp_path / "zs.txt"
    zeroshot.write_bytes(text if isinstance(text, bytes) else text.encode())
    line = assert_one_line_error(["eval", "--predictions", str(predictions), "--dataset", str(root),
                                  "--zeroshot", str(zeroshot)], capsys, "zs.txt", field)
    assert expected in line


def test_zero_shot_npy_outside_vocabulary_rejected(tmp_path, capsys):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    predictions = _predcls_predictions(root, tmp_path / "predictions.h5")
    np.save(tmp_path / "zs.npy", np.array([[1, 2, 3], [1, 2, 51]], dtype=np.int64))
    line = assert_one_line_error(["eval", "--predictions", str(predictions), "--dataset", str(root),
                                  "--zeroshot", str(tmp_path / "zs.npy")], capsys, "zs.npy", r"row 1 column 2")
    assert "predicate in 1..3, found 51" in line
