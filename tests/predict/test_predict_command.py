"""`sgg-bench predict` on images of every listed kind in all three modes: graph JSON valid under its
schema, drawings non-trivial, the failure counted, boxes in original pixels, predictions.h5
scored by `eval` exactly as the run's own predictions."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from sgg_bench.cli import main
from sgg_bench.evaluation.predictions import read_predictions
from sgg_bench.predict.graph import load_schema

jsonschema = pytest.importorskip("jsonschema")



def _validate(document):
    jsonschema.Draft202012Validator(load_schema()).validate(document)


def _boxes_file(path, image_kinds, gt, *, labels):
    """Every input gets the ground-truth boxes of the base image, scaled to its own size."""
    entries = {}
    for name, image_path in image_kinds.items():
        if name == "corrupt_jpg":
            entries[image_path.name] = {"boxes": [[0, 0, 1, 1]], **({"labels": [1]} if labels else {})}
            continue
        with Image.open(image_path) as image:
            width, height = image.size
        if name == "exif_rotated_jpg":
            width, height = height, width
        fx, fy = width / gt.width, height / gt.height
        boxes = [[float(x1 * fx), float(y1 * fy), float(x2 * fx), float(y2 * fy)] for x1, y1, x2, y2 in gt.boxes]
        entry = {"boxes": boxes}
        if labels:
            entry["labels"] = [int(v) for v in gt.labels]
        entries[image_path.name] = entry
    path.write_text(json.dumps(entries))
    return path


def _picture_is_non_trivial(path, *, min_colours=3):
    with Image.open(path) as image:
        image.load()
        assert image.width >= 32 and image.height >= 32
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) >= min_colours, f"{path} is nearly blank"


@pytest.mark.parametrize("mode", ["sgdet", "sgcls", "predcls"])
def test_every_kind_in_every_mode(tmp_path, capsys, frequency_run, image_kinds, test_images, mode):
    out = tmp_path / "out"
    gt = test_images[0][1]
    argv = ["predict", str(image_kinds["jpeg_jpg"].parent), "--run", str(frequency_run), "--out", str(out),
            "--mode", mode, "--top", "5", "--json"]
    if mode != "sgdet":
        argv += ["--boxes", str(_boxes_file(tmp_path / "boxes.json", image_kinds, gt, labels=mode == "predcls"))]
    capsys.readouterr()
    assert main(argv) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["images"] == len(image_kinds) and summary["predicted"] == len(image_kinds) - 1
    assert summary["failed"] == 1 and summary["failures"][0]["file"] == str(image_kinds["corrupt_jpg"])
    assert f"skipped: {image_kinds['corrupt_jpg']}" in captured.err
    assert json.loads((out / "summary.json").read_text())["failed"] == 1

    for name, path in image_kinds.items():
        folder = out / path.stem
        if name == "corrupt_jpg":
            assert not folder.exists()
            continue
        document = json.loads((folder / "graph.json").read_text())
        _validate(document)
        with Image.open(path) as image:
            size = image.size[::-1] if name == "exif_rotated_jpg" else image.size
        assert (document["image"]["width"], document["image"]["height"]) == size
        assert document["model"]["mode"] == mode and len(document["relations"]) <= 5
        boxes = np.asarray([o["box"] for o in document["objects"]]).reshape(-1, 4)
        if mode == "sgdet":
            assert (boxes >= 0).all() and (boxes[:, [0, 2]] <= size[0] + 1e-3).all()
            assert (boxes[:, [1, 3]] <= size[1] + 1e-3).all()
        else:  # the given boxes, exactly as given, in original pixels
            given = json.loads((tmp_path / "boxes.json").read_text())[path.name]["boxes"]
            np.testing.assert_allclose(boxes, np.asarray(given, dtype=np.float32), rtol=0, atol=0)
        if mode == "predcls":
            assert [o["label_id"] for o in document["objects"]] == gt.labels.tolist()
            assert all(o["score"] == 1.0 for o in document["objects"])
        scores = [r["score"] for r in document["relations"]]
        assert scores == sorted(scores, reverse=True)
        for picture in ("overlay.png", "graph.png") + (("image.jpg",) if name != "one_pixel_png" else ()):
            _picture_is_non_trivial(folder / picture)
        svg = (folder / "graph.svg").read_text()
        assert svg.count('class="node"') == len({r["subject"] for r in document["relations"]}
                                                | {r["object"] for r in document["relations"]}) + len(scores) \
            or (not scores and "no triplet" in svg)
    with read_predictions(out / "predictions.h5") as predictions:
        assert len(predictions) == len(image_kinds) - 1 and predictions.attrs["mode"] == mode


def test_boxes_are_reported_in_original_pixels(tmp_path, frequency_run, image_kinds):
    """The 20x enlarged image is shrunk back to the model's size: same detections, boxes x20."""
    from sgg_bench import load_model

    from sgg_bench.predict.images import model_input, read_image

    model = load_model(frequency_run)
    large_image = read_image(image_kinds["large_jpg"])
    shrunk, factors = model_input(large_image, min_size=model.min_size, max_size=model.max_size)
    assert factors == (0.05, 0.05) and shrunk.shape == (144, 192, 3)
    large = model.predict(image_kinds["large_jpg"], top_k=3)
    small = model.predict(shrunk, top_k=3)        # exactly what the network saw
    assert len(small.objects) > 0 and (large.image["width"], large.image["height"]) == (3840, 2880)
    assert [o.label for o in large.objects] == [o.label for o in small.objects]
    np.testing.assert_allclose(np.asarray([o.box for o in large.objects]) / 20.0,
                               np.asarray([o.box for o in small.objects]), atol=1e-3)


def test_one_pixel_image_in_every_mode(tmp_path, frequency_run, image_kinds):
    from sgg_bench import load_model

    for mode in ("sgdet", "sgcls", "predcls"):
        model = load_model(frequency_run, mode=mode)
        boxes = None if mode == "sgdet" else [[0, 0, 0, 0]]
        graph = model.predict(image_kinds["one_pixel_png"], boxes=boxes, labels=[1] if mode == "predcls" else None)
        _validate(graph.to_dict())
        assert (graph.image["width"], graph.image["height"]) == (1, 1)
        if mode != "sgdet":
            assert len(graph.objects) == 1 and graph.relations == []   # one box: no pair


def test_predictions_file_scores_like_the_runs_own(tmp_path, capsys, frequency_run, synth_root, test_images):
    """Predicting the test images by file gives the run's own test predictions: `eval` agrees."""
    folder = tmp_path / "images"
    folder.mkdir()
    for path, _ in test_images:
        shutil.copy(path, folder / path.name)
    out = tmp_path / "out"
    assert main(["predict", str(folder), "--run", str(frequency_run), "--out", str(out)]) == 0
    with read_predictions(out / "predictions.h5") as ours, read_predictions(frequency_run / "predictions.h5") as run:
        assert sorted(int(i) for i in ours.image_ids) == sorted(int(i) for i in run.image_ids)
        for image_id in run.image_ids:
            a, b = ours[int(image_id)], run[int(image_id)]
            np.testing.assert_allclose(a.boxes, b.boxes, atol=1e-3)
            assert (a.labels == b.labels).all() and (a.rel_pairs == b.rel_pairs).all()
            np.testing.assert_allclose(a.rel_scores, b.rel_scores, atol=1e-5)
    record = tmp_path / "record.json"
    assert main(["eval", "--predictions", str(out / "predictions.h5"), "--dataset", str(synth_root),
                 "--out", str(record)]) == 0
    ours = json.loads(record.read_text())["metrics"]
    theirs = json.loads((frequency_run / "result.json").read_text())["metrics"]
    assert ours["R@50"] == pytest.approx(theirs["R@50"]) and ours["mR@50"] == pytest.approx(theirs["mR@50"])


@pytest.mark.parametrize("document, field", [
    ("{not json", "line 1 column 2"),
    ('[1, 2]', "(top level)"),
    ('{"jpeg.jpg": {"boxes": [[0, 0, 5]]}}', '"jpeg.jpg".boxes[0]'),
    ('{"jpeg.jpg": {"boxes": [[0, 0, 5, "a"]]}}', '"jpeg.jpg".boxes[0][3]'),
    ('{"jpeg.jpg": {"boxes": [[9, 0, 5, 5]]}}', '"jpeg.jpg".boxes[0]'),
    ('{"jpeg.jpg": {"boxes": [[0, 0, 5, 5]], "labels": ["no-such-class"]}}', '"jpeg.jpg".labels[0]'),
    ('{"jpeg.jpg": {"boxes": [[0, 0, 5, 5]]}}', '"jpeg.jpg".labels'),
    ('{"jpeg.jpg": {"boxes": [[0, 0, 5, 5]], "labels": [1], "extra": 1}}', '"jpeg.jpg".extra'),
    ('{"other.jpg": {"boxes": [], "labels": []}}', '"jpeg.jpg"'),
])
def test_bad_boxes_file_is_one_line_naming_file_and_field(tmp_path, capsys, frequency_run, image_kinds,
                                                          document, field):
    boxes = tmp_path / "boxes.json"
    boxes.write_text(document)
    capsys.readouterr()
    assert main(["predict", str(image_kinds["jpeg_jpg"]), "--run", str(frequency_run), "--out", str(tmp_path / "o"),
                 "--mode", "predcls", "--boxes", str(boxes)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(boxes) in err and field in err, err
    assert not (tmp_path / "o").exists()   # nothing written before the input is known good


def test_modes_that_need_boxes_say_so(tmp_path, capsys, frequency_run, image_kinds):
    capsys.readouterr()
    assert main(["predict", str(image_kinds["jpeg_jpg"]), "--run", str(frequency_run), "--out", str(tmp_path),
                 "--mode", "sgcls"]) == 2
    assert "--boxes FILE.json" in capsys.readouterr().err


def test_effect_needs_a_head_that_has_one(tmp_path, capsys, motifs_run, image_kinds):
    capsys.readouterr()
    assert main(["predict", str(image_kinds["jpeg_jpg"]), "--run", str(motifs_run), "--out", str(tmp_path / "o"),
                 "--mode", "sgdet", "--effect", "TDE"]) == 2
    err = capsys.readouterr().err
    assert "--effect TDE" in err and "'motifs'" in err and "causal" in err


def test_only_unreadable_files_exit_1(tmp_path, capsys, frequency_run, image_kinds):
    capsys.readouterr()
    assert main(["predict", str(image_kinds["corrupt_jpg"]), "--run", str(frequency_run), "--out",
                 str(tmp_path / "o")]) == 1
    assert "predicted 0 of 1 images" in capsys.readouterr().out
