"""The Python API (load_model, SceneGraph -> networkx / JSON) and the drawings on hand-built graphs."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from sgg_bench.predict.draw_graph import dot_source, write_graph_drawings
from sgg_bench.predict.draw_overlay import _tag_position, write_overlay
from sgg_bench.predict.graph import SceneGraph, load_schema
from sgg_bench.structures import DatasetVocabulary, ImagePrediction

jsonschema = pytest.importorskip("jsonschema")


def _vocab(num_objects=6, num_predicates=4):
    return DatasetVocabulary(object_classes=["__background__"] + [f"class{i}" for i in range(1, num_objects)],
                             predicate_classes=["__background__"] + [f"pred{i}" for i in range(1, num_predicates)])


def _prediction():
    """3 boxes; rel rows ranked: (0->1, pred2), (2->0, pred1), (1->2, pred3)."""
    rel_scores = np.asarray([[0.1, 0.1, 0.7, 0.1], [0.2, 0.6, 0.1, 0.1], [0.5, 0.1, 0.1, 0.3]], np.float32)
    return ImagePrediction(image_id=7, boxes=np.asarray([[0, 0, 10, 10], [5, 5, 20, 20], [1, 2, 3, 4]], np.float32),
                           labels=np.asarray([1, 3, 1]), scores=np.asarray([0.9, 0.8, 0.5], np.float32),
                           rel_pairs=np.asarray([[0, 1], [2, 0], [1, 2]]), rel_scores=rel_scores)


MODEL = {"run_id": "synth-x", "model": "x", "dataset": "synth", "mode": "sgdet", "effect": "none"}
IMAGE = {"file": "a.jpg", "width": 30, "height": 20, "image_id": 7}


def test_scene_graph_scores_names_cuts_and_schema():
    graph = SceneGraph.from_prediction(_prediction(), _vocab(), image=IMAGE, model=MODEL, top_k=2)
    assert [(r.subject, r.predicate, r.object) for r in graph.relations] == [(0, "pred2", 1), (2, "pred1", 0)]
    assert graph.relations[0].score == pytest.approx(0.7 * 0.9 * 0.8, rel=1e-6)   # hand-computed
    assert graph.relations[1].score == pytest.approx(0.6 * 0.5 * 0.9, rel=1e-6)
    assert graph.triplets()[0][:3] == ("class1#1", "pred2", "class3")            # two class1 objects shown
    jsonschema.Draft202012Validator(load_schema()).validate(graph.to_dict())
    assert json.loads(graph.to_json()) == graph.to_dict()
    cut = SceneGraph.from_prediction(_prediction(), _vocab(), image=IMAGE, model=MODEL, top_k=10, min_score=0.3)
    assert [r.rank for r in cut.relations] == [1]                                  # 0.504 kept, 0.27 cut
    assert len(cut.objects) == 3 and [o.index for o in cut.shown_objects()] == [0, 1]


def test_to_networkx():
    graph = SceneGraph.from_prediction(_prediction(), _vocab(), image=IMAGE, model=MODEL, top_k=3)
    nx_graph = graph.to_networkx()
    assert sorted(nx_graph.nodes) == [0, 1, 2] and nx_graph.nodes[1]["label"] == "class3"
    assert nx_graph.nodes[0]["box"] == [0.0, 0.0, 10.0, 10.0]
    assert {(u, v, d["predicate"]) for u, v, d in nx_graph.edges(data=True)} == {
        (0, 1, "pred2"), (2, 0, "pred1"), (1, 2, "pred3")}
    assert nx_graph.edges[0, 1]["rank"] == 1 and nx_graph.graph["file"] == "a.jpg"


def _big_graph(num_objects=20, *, star=False):
    """20 objects in a ring of 20 triplets (or 19 around object 0), with names that need
    escaping in DOT and SVG."""
    names = ["__background__"] + [f'thing "{i}" \\N <b>&' for i in range(1, num_objects + 1)]
    vocab = DatasetVocabulary(object_classes=names, predicate_classes=["__background__", "next to", 'is "in"'])
    pairs = np.asarray([[i, (i + 1) % num_objects] for i in range(num_objects)])
    if star:
        pairs = np.asarray([[i, 0] if i % 2 else [0, i] for i in range(1, num_objects)])
    rel_scores = np.tile(np.asarray([[0.1, 0.6, 0.3]], np.float32), (len(pairs), 1))
    rng = np.random.default_rng(0)
    boxes = np.sort(rng.uniform(0, 300, (num_objects, 2, 2)), axis=1).reshape(num_objects, 4)[:, [0, 2, 1, 3]]
    prediction = ImagePrediction(image_id=0, boxes=boxes.astype(np.float32), labels=np.arange(1, num_objects + 1),
                                 scores=np.linspace(1.0, 0.5, num_objects).astype(np.float32), rel_pairs=pairs,
                                 rel_scores=rel_scores)
    return SceneGraph.from_prediction(prediction, vocab, image={**IMAGE, "width": 300, "height": 300},
                                      model=MODEL, top_k=num_objects)


@pytest.mark.parametrize("shape, engine", [("ring", "neato"), ("star", "dot")])
def test_twenty_node_drawing_is_complete_and_readable(tmp_path, shape, engine):
    graph = _big_graph(star=shape == "star")
    source = dot_source(graph)
    assert '\\"1\\"' in source and "\\\\N" in source            # quotes and backslashes escaped
    assert write_graph_drawings(graph, tmp_path / "g.svg", tmp_path / "g.png") == engine
    svg = (tmp_path / "g.svg").read_text()
    assert svg.count('class="node"') == 20 + len(graph.relations)   # objects + predicate nodes
    assert "<b>" not in svg and "&lt;b&gt;" in svg               # names are text, never markup
    with Image.open(tmp_path / "g.png") as png:
        # readable: dot's layered layout at 96 dpi, text at 12 pt, the whole graph within a page-ish size
        assert 200 <= png.width <= 3000 and 200 <= png.height <= 3000, png.size


def test_overlay_lists_triplets_and_draws_boxes(tmp_path):
    graph = _big_graph(5)
    pixels = np.full((300, 300, 3), 255, np.uint8)
    write_overlay(tmp_path / "o.png", pixels, graph)
    with Image.open(tmp_path / "o.png") as image:
        array = np.asarray(image.convert("RGB"))
    assert array.shape[0] > 480                                  # enlarged to 480 px + the triplet panel
    picture = array[:480]
    assert (picture != 255).any(axis=2).mean() > 0.01            # boxes and tags drawn on the white image


def test_name_tags_of_a_crowd_do_not_cover_each_other():
    # Eight boxes on one spot (a crowded synthetic bench): every tag finds a free place near its
    # box, beside it when above and below are taken, and none covers another.
    placed = []
    for _ in range(8):
        x, y = _tag_position(200, 100, 140, 80, 20, placed, (480, 320), right=260)
        placed.append((x, y, x + 80, y + 20))
    for k, (a, b, c, d) in enumerate(placed):
        assert 0 <= a and c <= 480 and 0 <= b and d <= 320
        for e, f, g, h in placed[k + 1:]:
            assert c <= e or a >= g or d <= f or b >= h
    assert all(40 <= b <= 260 for _, b, _, _ in placed)  # within a few tag heights of the box


def test_a_full_picture_gives_the_least_covered_place():
    placed = [(0, 0, 100, 20), (0, 20, 100, 40), (0, 40, 100, 55)]
    assert _tag_position(0, 20, 40, 100, 20, placed, (100, 60)) == (0, 40)  # covers 15 rows, not 20


def test_api_on_path_pil_and_array_gives_one_graph(frequency_run, image_kinds):
    from sgg_bench import load_model

    model = load_model(frequency_run)
    by_path = model.predict(image_kinds["png_png"], top_k=5).to_dict()
    pixels = np.asarray(Image.open(image_kinds["png_png"]).convert("RGB"))
    for source in (Image.open(image_kinds["png_png"]), pixels, pixels.astype(np.float32) / 255.0):
        other = model.predict(source, top_k=5).to_dict()
        assert other["objects"] == by_path["objects"] and other["relations"] == by_path["relations"]
    assert model.predict(pixels).image["file"] == "array"
    with pytest.raises(Exception, match="needs a label"):
        load_model(frequency_run, mode="predcls").predict(pixels, boxes=[[0, 0, 5, 5]])


def test_import_sgg_bench_stays_cheap():
    probe = ("import sys, sgg_bench, sgg_bench.predict; from sgg_bench import load_model; "
             "print(sorted(m for m in ('torch', 'PIL', 'h5py', 'networkx') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
