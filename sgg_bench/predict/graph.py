"""The scene graph of one image as people use it: named objects and top-K ranked triplets.

``SceneGraph.to_dict()`` is the JSON document of ``scene_graph.schema.json`` (schema
``sgg-bench/scene-graph``, version ``SCHEMA_VERSION``; docs/PREDICT.md). It is built from the
ranked ``ImagePrediction`` the model returns (docs/FORMATS.md): the triplet score is
``p[c] * s_subject * s_object`` with ``c`` the best non-background predicate, rows already in
ranked order; ``top_k`` and ``min_score`` only cut that list.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sgg_bench.structures import DatasetVocabulary, ImagePrediction

SCHEMA_NAME = "sgg-bench/scene-graph"
SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).resolve().parent / "scene_graph.schema.json"


@dataclass
class GraphObject:
    index: int                      # row in the image's boxes (the predictions file's local index)
    label: str
    label_id: int
    score: float
    box: list[float]                # x1, y1, x2, y2, original-image pixels


@dataclass
class GraphRelation:
    rank: int                       # 1 = highest triplet score
    subject: int                    # GraphObject.index
    object: int
    predicate: str
    predicate_id: int
    predicate_score: float          # p[c]
    score: float                    # triplet score p[c] * s_subject * s_object


@dataclass
class SceneGraph:
    image: dict[str, Any]           # file, width, height, image_id
    model: dict[str, Any]           # run_id, model, dataset, mode, effect
    objects: list[GraphObject]
    relations: list[GraphRelation]
    top_k: int
    min_score: float
    prediction: ImagePrediction | None = field(default=None, repr=False)  # the full ranked rows

    @classmethod
    def from_prediction(cls, prediction: ImagePrediction, vocab: DatasetVocabulary, *, image: dict[str, Any],
                        model: dict[str, Any], top_k: int = 20, min_score: float = 0.0) -> "SceneGraph":
        labels = prediction.labels.astype(np.int64)
        scores = prediction.scores.astype(np.float64)
        objects = [GraphObject(index=i, label=vocab.object_classes[int(labels[i])], label_id=int(labels[i]),
                               score=float(scores[i]), box=[float(v) for v in prediction.boxes[i]])
                   for i in range(labels.shape[0])]
        relations: list[GraphRelation] = []
        for row in range(prediction.rel_pairs.shape[0]):
            if len(relations) >= top_k:
                break
            subject, obj = (int(v) for v in prediction.rel_pairs[row])
            probs = prediction.rel_scores[row]
            predicate = 1 + int(np.argmax(probs[1:]))
            # the file's ranking rule in float32 (postprocess.rank_relations), so ties rank as there
            score = float(np.float32(probs[predicate]) * np.float32(scores[subject]) * np.float32(scores[obj]))
            if score < min_score:
                break  # rows are ranked: every later score is lower or equal
            relations.append(GraphRelation(rank=len(relations) + 1, subject=subject, object=obj,
                                           predicate=vocab.predicate_classes[predicate], predicate_id=predicate,
                                           predicate_score=float(probs[predicate]), score=score))
        return cls(image=dict(image), model=dict(model), objects=objects, relations=relations, top_k=int(top_k),
                   min_score=float(min_score), prediction=prediction)

    def shown_objects(self) -> list[GraphObject]:
        """The objects the drawings show: those in a kept triplet, in index order."""
        used = {r.subject for r in self.relations} | {r.object for r in self.relations}
        return [o for o in self.objects if o.index in used]

    def object_name(self, index: int) -> str:
        """``label`` or ``label#n`` when the graph shows several objects of that class (n from 1)."""
        same = [o.index for o in self.shown_objects() if o.label == self.objects[index].label]
        if len(same) <= 1:
            return self.objects[index].label
        return f"{self.objects[index].label}#{same.index(index) + 1}" if index in same else self.objects[index].label

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_NAME,
            "version": SCHEMA_VERSION,
            "image": dict(self.image),
            "model": dict(self.model),
            "settings": {"top_k": self.top_k, "min_score": self.min_score},
            "objects": [{"id": o.index, "label": o.label, "label_id": o.label_id, "score": o.score, "box": o.box}
                        for o in self.objects],
            "relations": [{"rank": r.rank, "subject": r.subject, "object": r.object, "predicate": r.predicate,
                           "predicate_id": r.predicate_id, "predicate_score": r.predicate_score, "score": r.score}
                          for r in self.relations],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_networkx(self):
        """A ``networkx.DiGraph``: one node per object (attributes label, label_id, score, box), one
        edge subject -> object per kept triplet (predicate, predicate_id, predicate_score, score, rank).
        The model ranks one predicate per ordered pair, so no two edges share both ends."""
        import networkx as nx

        graph = nx.DiGraph(**self.image)
        for o in self.objects:
            graph.add_node(o.index, label=o.label, label_id=o.label_id, score=o.score, box=list(o.box))
        for r in self.relations:
            graph.add_edge(r.subject, r.object, predicate=r.predicate, predicate_id=r.predicate_id,
                           predicate_score=r.predicate_score, score=r.score, rank=r.rank)
        return graph

    def triplets(self) -> list[tuple[str, str, str, float]]:
        """(subject name, predicate, object name, score) of the kept triplets, ranked."""
        return [(self.object_name(r.subject), r.predicate, self.object_name(r.object), r.score)
                for r in self.relations]


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
