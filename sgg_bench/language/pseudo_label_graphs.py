"""Unlocalized graphs and vocabularies of a pseudo-label dataset (docs/LANGUAGE.md §5, §8.1).

* language, ``closed``: the caption triplets whose three parts link to the dataset vocabulary
  (``ConceptLinker``, first link), in the dataset's own class ids; targets = the dataset vocabulary.
* language, ``open``: every parsed lemma triplet; targets = the caption lemmas (nouns and predicates,
  sorted), each mapped to the dataset classes it links to (evaluation only).
* weak: the ground-truth graph of each image without its boxes (one node per ground-truth box).

One node per distinct concept of an image (the captions of an image cannot say whether two mentions
of "dog" are one dog; grounding is class level anyway); the weak setting keeps instances.
The grounding vocabulary maps detector classes to target classes (docs/LANGUAGE.md §5, detector classes: equal names or WordNet in
either direction); in the weak setting the targets are the dataset classes.
"""
from __future__ import annotations

import numpy as np

from sgg_bench.language.linking import ConceptLinker, link_detector_classes
from sgg_bench.language.pseudo_labels import PseudoLabelVocabulary

Graph = tuple[np.ndarray, np.ndarray]   # node_classes (K,), triplets (T, 3) [subject node, object node, predicate]


def _graph(triplets: list[tuple[int, int, int]]) -> Graph:
    """Class-level triplets (subject class, predicate, object class) -> one node per distinct class."""
    nodes: dict[int, int] = {}
    rows = []
    for s, p, o in triplets:
        rows.append([nodes.setdefault(s, len(nodes)), nodes.setdefault(o, len(nodes)), p])
    return np.asarray(list(nodes), np.int64), np.asarray(rows, np.int64).reshape(-1, 3)


def grounding_vocabulary(detector_classes: list[str], target_classes: list[str], *, matcher) -> dict[int, list[int]]:
    """Detector class id -> target class ids (both lists background first; background maps to nothing)."""
    mapping = link_detector_classes(detector_classes[1:], target_classes[1:], matcher=matcher)
    table = {0: []}
    table.update({i + 1: [j + 1 for j in hits] for i, hits in mapping.items()})
    return table


def closed_caption_graphs(parsed: list[dict]) -> dict[object, Graph]:
    """Per image id: the linked triplets of ``parse_and_link``'s output as a graph in dataset ids."""
    graphs = {}
    for entry in parsed:
        triplets = [(link["indices"][0], link["indices"][1], link["indices"][2]) for link in entry["linked"]]
        graphs[entry["image_id"]] = _graph(triplets)
    return graphs


def open_caption_graphs(parsed: list[dict], linker: ConceptLinker) -> tuple[list[str], list[str], dict, dict, dict]:
    """-> (nouns, predicates (both background first), class_to_dataset, predicate_to_dataset, graphs per image id)."""
    from sgg_bench.data.vocab import BACKGROUND

    nouns = sorted({t[0] for e in parsed for t in e["triplets"]} | {t[2] for e in parsed for t in e["triplets"]})
    predicates = sorted({t[1] for e in parsed for t in e["triplets"]})
    noun_id = {name: i + 1 for i, name in enumerate(nouns)}
    predicate_id = {name: i + 1 for i, name in enumerate(predicates)}
    class_to_dataset = {noun_id[n]: [linker.noun_index[c] for c in linker.link_noun(n)] for n in nouns}
    predicate_to_dataset = {predicate_id[p]: [linker.predicate_index[c] for c in linker.link_predicate(p)]
                            for p in predicates}
    graphs = {entry["image_id"]: _graph([(noun_id[s], predicate_id[p], noun_id[o]) for s, p, o in entry["triplets"]])
              for entry in parsed}
    return ([BACKGROUND] + nouns, [BACKGROUND] + predicates, {k: v for k, v in class_to_dataset.items() if v},
            {k: v for k, v in predicate_to_dataset.items() if v}, graphs)


def weak_graph(labels: np.ndarray, relations: np.ndarray) -> Graph:
    """A ground-truth image without boxes: nodes = box labels, triplets = (subject box, object box, predicate)."""
    return np.asarray(labels, np.int64).reshape(-1), np.asarray(relations, np.int64).reshape(-1, 3)


def identity_vocabulary(dataset_vocab, detector_classes: list[str], *, matcher) -> PseudoLabelVocabulary:
    """Targets = the dataset vocabulary (closed language setting, weak setting, detections only)."""
    objects, predicates = list(dataset_vocab.object_classes), list(dataset_vocab.predicate_classes)
    return PseudoLabelVocabulary(
        ind_to_classes=objects, ind_to_predicates=predicates, detector_classes=list(detector_classes),
        dataset_classes=objects, dataset_predicates=predicates,
        detector_to_classes=grounding_vocabulary(detector_classes, objects, matcher=matcher),
        class_to_dataset={i: [i] for i in range(1, len(objects))},
        predicate_to_dataset={i: [i] for i in range(1, len(predicates))})
