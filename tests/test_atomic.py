"""Atomic writes: all or nothing, with ordinary file permissions."""
import os
import stat

import pytest

from sgg_bench.utils.atomic import atomic_path, atomic_write_json


def test_failed_write_leaves_destination_untouched(tmp_path):
    dest = tmp_path / "record.json"
    dest.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash")
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_written_file_has_umask_permissions(tmp_path):
    dest = tmp_path / "sub" / "r.json"
    atomic_write_json(dest, {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~umask
    assert dest.read_text().strip().startswith("{")
