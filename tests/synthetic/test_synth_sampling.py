"""Statistics of the sampled scene graphs (no rendering): long tail, vocabulary use, VG quirks, visible rules."""
from collections import Counter, defaultdict

import pytest

from sgg_bench.data.synthetic import SIZES, sample_scenes
from sgg_bench.data.synthetic.predicate_rules import RULES, relation_holds
from sgg_bench.data.synthetic.vocabulary import OBJECT_CLASSES, PREDICATES


@pytest.fixture(scope="module")
def small_scenes():
    return sample_scenes(SIZES["small"], 0)


def test_long_tailed_predicates(small_scenes):
    counts = Counter(p for s in small_scenes for _, _, p in s.relations)
    total = sum(counts.values())
    assert len(counts) >= 15 and set(counts) <= set(PREDICATES)
    assert counts.most_common(1)[0][0] == "on" and counts["on"] >= 0.3 * total
    assert sum(1 for p in counts if counts[p] < 0.02 * total) >= 5


def test_classes_used(small_scenes):
    counts = Counter(o.label for s in small_scenes for o in s.objects)
    assert len(counts) >= 20 and set(counts) <= set(OBJECT_CLASSES)


def test_every_primary_relation_follows_its_visible_rule(small_scenes):
    assert set(RULES) == set(PREDICATES)
    broken = [(s.index, s.objects[a].label, p, s.objects[b].label)
              for s in small_scenes for k, (a, b, p) in enumerate(s.relations)
              if k not in s.secondary_rows and not relation_holds(s, a, b, p)]
    assert broken == []


def test_class_pairs_take_several_predicates_and_prior_is_beatable(small_scenes):
    by_pair = defaultdict(Counter)
    for s in small_scenes:
        for a, b, p in s.relations:
            by_pair[(s.objects[a].label, s.objects[b].label)][p] += 1
    assert len(by_pair[("man", "horse")]) >= 3 and len(by_pair[("sign", "pole")]) == 4
    # frequency prior (argmax over predicates per class pair) on the last 30 %, trained on the first 70 %
    cut = int(0.7 * len(small_scenes))
    train = defaultdict(Counter)
    for s in small_scenes[:cut]:
        for a, b, p in s.relations:
            train[(s.objects[a].label, s.objects[b].label)][p] += 1
    hits = total = 0
    for s in small_scenes[cut:]:
        for a, b, p in s.relations:
            pair = train[(s.objects[a].label, s.objects[b].label)]
            hits += bool(pair) and pair.most_common(1)[0][0] == p
            total += 1
    assert 0.4 <= hits / total <= 0.75


def test_unrelated_pairs_and_vg_quirks(small_scenes):
    for s in small_scenes:
        related = {frozenset((a, b)) for a, b, _ in s.relations}
        n = len(s.objects)
        assert n >= 2 and len(related) < n * (n - 1) // 2, s.index     # some object pairs have no relation
        assert all(a != b for a, b, _ in s.relations)
    with_duplicates = sum(len(s.relations) != len(set(s.relations)) for s in small_scenes)
    multi_predicate = sum(len({(a, b) for a, b, _ in s.relations}) < len(set(s.relations)) for s in small_scenes)
    empty = sum(not s.relations for s in small_scenes)
    n = len(small_scenes)
    assert 0 < with_duplicates < 0.1 * n and 0 < multi_predicate < 0.2 * n and empty < 0.1 * n


def test_sampling_is_deterministic_per_image():
    a, b = sample_scenes(6, 5), sample_scenes(6, 5)
    assert [(s.objects, s.relations) for s in a] == [(s.objects, s.relations) for s in b]
    assert [s.relations for s in sample_scenes(6, 6)] != [s.relations for s in a]
