"""`sgg-bench data check | dump | synth` through ``sgg_bench.cli.main``."""
import json
import subprocess
import sys
import types

import numpy as np

from sgg_bench.cli import main
from sgg_bench.data import open_dataset
from sgg_data_builders import write_openimages_folder, write_vg_folder


def test_check_prints_summary_for_each_subfolder(tmp_path, capsys):
    write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    write_openimages_folder(tmp_path / "openimages")
    assert main(["data", "check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"vg: {tmp_path / 'vg'}  OK" in out and f"openimages: {tmp_path / 'openimages'}  OK" in out
    lines = [line.split() for line in out.splitlines()]
    # VG: train = ids 13, 14, 17, 18 (10 objects, 8 relations); val = id 10; test = id 15
    assert ["train", "(filtered)", "4", "10", "8"] in lines
    assert ["val", "(filtered)", "1", "3", "2"] in lines
    assert ["test", "(filtered)", "1", "2", "3"] in lines
    assert ["all", "rows", "9", "17", "13"] in lines
    assert ["above", "5", "38.5%"] in lines
    # OpenImages: train rows 0 and 3; all three files together: 7 images, 11 boxes, 8 relations
    assert ["train", "(filtered)", "2", "5", "4"] in lines
    assert ["all", "rows", "7", "11", "8"] in lines


def test_check_json(tmp_path, capsys):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    assert main(["data", "check", str(root), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)[0]
    assert summary["format"] == "vg" and summary["splits"]["test"]["images"] == 1
    assert summary["predicate_histogram"] == {"above": 5, "near": 4, "on": 4}


def test_dump_matches_ground_truth(tmp_path, capsys):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    out = tmp_path / "gt" / "test.json"
    assert main(["data", "dump", str(root), "--split", "test", "--out", str(out)]) == 0
    assert "1 images, 2 objects, 3 relations" in capsys.readouterr().out
    document = json.loads(out.read_text())
    assert document["format"] == "sgg-bench/ground-truth" and document["split"] == "test"
    assert document["vocabulary"]["predicate_classes"] == ["__background__", "above", "near", "on"]
    assert document["images"] == [{"image_id": 15, "width": 1024, "height": 768,
                                   "boxes": [[461.0, 600.0, 562.0, 767.0], [74.0, 74.0, 125.0, 125.0]],
                                   "labels": [1, 2], "relations": [[0, 1, 3], [0, 1, 3], [0, 1, 1]]}]
    assert document["fingerprint"] == open_dataset(root, "test").fingerprint
    assert [p.name for p in out.parent.iterdir()] == ["test.json"]      # no temporary left behind


def test_dump_val_and_openimages(tmp_path):
    root = write_vg_folder(tmp_path / "vg")
    out = tmp_path / "val.json"
    assert main(["data", "dump", str(root), "--split", "val", "--num-val-im", "2", "--out", str(out)]) == 0
    assert [image["image_id"] for image in json.loads(out.read_text())["images"]] == [10, 13]
    oi = write_openimages_folder(tmp_path / "oi")
    assert main(["data", "dump", str(oi), "--split", "test", "--keep-empty-rels", "--out", str(out)]) == 0
    images = json.loads(out.read_text())["images"]
    assert [image["image_id"] for image in images] == [0, 1] and images[0]["relations"] == []
    np.testing.assert_array_equal(images[1]["boxes"], [[0, 10.25, 99, 60], [30, 40, 50, 63]])


def test_dump_error_is_one_line(tmp_path, capsys):
    assert main(["data", "dump", str(tmp_path), "--out", str(tmp_path / "x.json")]) == 2
    assert "dataset folder: expected VG150" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_synth_calls_generator(tmp_path, monkeypatch, capsys):
    calls = []
    fake = types.ModuleType("sgg_bench.data.synthetic")
    fake.generate_synthetic = lambda out_dir, size="default", seed=0: calls.append((out_dir, size, seed)) or {
        "vg_images": 3}
    monkeypatch.setitem(sys.modules, "sgg_bench.data.synthetic", fake)
    assert main(["data", "synth", "--out", str(tmp_path), "--size", "tiny", "--seed", "4"]) == 0
    assert calls == [(str(tmp_path), "tiny", 4)]
    assert json.loads(capsys.readouterr().out) == {"vg_images": 3}
    calls.clear()
    assert main(["data", "synth"]) == 0
    assert calls == [("datasets/synth", "default", 0)]


def test_data_without_action_prints_help(capsys):
    assert main(["data"]) == 2
    assert "check" in capsys.readouterr().out


def test_package_import_is_light():
    code = ("import sys, sgg_bench.data; "
            "assert 'sgg_bench.data.synthetic' not in sys.modules; assert 'h5py' not in sys.modules; "
            "sgg_bench.data.open_dataset; assert 'sgg_bench.data.synthetic' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_convert_rejects_unknown_direction_and_same_folder(tmp_path, capsys):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    assert main(["data", "convert", str(root), "--from", "vg-json", "--to", "coco-rel", "--out", str(tmp_path / "o")]) == 2
    assert "no converter from 'vg-json' to 'coco-rel'" in capsys.readouterr().err
    assert main(["data", "convert", str(root), "--from", "vg150", "--out", str(root)]) == 2
    assert "--out must differ from the source folder" in capsys.readouterr().err
    assert main(["data", "convert", str(tmp_path / "absent"), "--from", "coco-rel", "--out", str(tmp_path / "o")]) == 2
    assert "absent does not exist" in capsys.readouterr().err


def test_convert_summary_text(tmp_path, capsys):
    root = write_vg_folder(tmp_path / "vg", settings={"num_val_im": 1})
    assert main(["data", "convert", str(root), "--from", "vg150", "--out", str(tmp_path / "coco")]) == 0
    out = capsys.readouterr().out.splitlines()
    # standard splits: train 13, 14, 17, 18 | val 10 | test 15 -> 6 images, 15 objects, 13 relations;
    # left out: 11 (no relation), 12 (no box), 16 (no relation) with their 2 objects
    assert out[1] == "  kept: 6 images, 15 objects, 13 relations"
    assert "    3 images: image without objects or relations (left out by the standard splits)" in out
    assert "    2 objects: image without objects or relations (left out by the standard splits)" in out
