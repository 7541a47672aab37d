import pytest
import torch

from sgg_bench.errors import ConfigError, DataFormatError
from sgg_bench.modeling.word_vectors import load_word_vectors, random_word_vectors


def write_glove(path, rows):
    path.write_text("".join(f"{w} {' '.join(str(v) for v in vec)}\n" for w, vec in rows), encoding="utf8")


def test_fallback_is_seeded_random_normal():
    a = load_word_vectors(["__background__", "cat"], dim=4, seed=3)
    b = load_word_vectors(["__background__", "cat"], dim=4, seed=3)
    assert a.shape == (2, 4) and torch.equal(a, b)
    assert not torch.equal(a, load_word_vectors(["__background__", "cat"], dim=4, seed=4))


def test_glove_whole_name_and_multi_word_mean(tmp_path):
    path = tmp_path / "glove.txt"
    write_glove(path, [("cat", [1, 2, 3]), ("tennis", [0, 0, 2]), ("racket", [2, 4, 0]), ("dog", [9, 9, 9])])
    vectors = load_word_vectors(["__background__", "cat", "tennis racket", "unicorn"], path=path, dim=3, seed=0)
    fallback = random_word_vectors(4, 3, seed=0)
    assert torch.equal(vectors[0], fallback[0])          # no vector: keeps its random row
    assert vectors[1].tolist() == [1, 2, 3]
    assert vectors[2].tolist() == [1, 2, 1]               # mean of the two words
    assert torch.equal(vectors[3], fallback[3])


def test_glove_dimension_mismatch_names_the_line(tmp_path):
    path = tmp_path / "glove.txt"
    write_glove(path, [("dog", [1, 2, 3]), ("cat", [1, 2])])
    with pytest.raises(DataFormatError, match="line 2"):
        load_word_vectors(["cat"], path=path, dim=3)


def test_glove_bad_number(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("cat 1 x 3\n", encoding="utf8")
    with pytest.raises(DataFormatError, match="line 1"):
        load_word_vectors(["cat"], path=path, dim=3)


def test_missing_glove_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_word_vectors(["cat"], path=tmp_path / "missing.txt")
