"""Captions -> scene graphs -> concepts of a dataset vocabulary (docs/LANGUAGE.md).

``parse_caption(text)`` returns a SceneGraphParser-style dict; ``ConceptLinker`` maps the parsed
lemmas to a vocabulary (``load_vocabulary(None)`` = built-in VG150).
"""
from sgg_bench.language.linking import ConceptLinker, link_detector_classes
from sgg_bench.language.parser import RulesParser, get_parser, graph_triplets, parse_caption
from sgg_bench.language.vocabularies import builtin_vg150, load_vocabulary

__all__ = ["ConceptLinker", "RulesParser", "builtin_vg150", "get_parser", "graph_triplets",
           "link_detector_classes", "load_vocabulary", "parse_caption"]
