"""Sample whole scenes (no pixels): background bands, template groups, generic relations, VG quirks.

``sample_scene(index, seed, image_id)`` depends only on its arguments (its random
generator is seeded with ``(seed, index)``), so scenes can be sampled in any order or in
parallel and a dataset is reproducible image by image. ``sample_scenes`` makes a whole
split-ordered list; the long-tail tests call it without rendering anything.
"""
from __future__ import annotations

import numpy as np
from tqdm import tqdm

from .layout import Scene, SceneBuilder, overlap_area
from .placement import TemplateContext, sized_box
from .templates_people import bench_cluster, person_cluster, table_cluster
from .templates_things import (bike_cluster, boat_cluster, building_cluster, car_cluster, dog_cluster,
                               horse_cluster, pole_cluster, sky_objects, tree_cluster)
from .vocabulary import PERSON_CLASSES

# Images per size preset.
SIZES = {"tiny": 48, "small": 500, "default": 3000}

# VG's corrupted images, skipped by every VG loader: never use these ids.
_RESERVED_IDS = {1592, 1722, 4616, 4617}

FOREGROUND = {"person": 0.28, "table": 0.2, "bench": 0.16, "horse": 0.08, "dog": 0.1, "car": 0.13, "bike": 0.08}
TEMPLATES = {"person": person_cluster, "table": table_cluster, "bench": bench_cluster, "horse": horse_cluster,
             "dog": dog_cluster, "car": car_cluster, "bike": bike_cluster, "boat": boat_cluster,
             "building": building_cluster, "tree": tree_cluster, "pole": pole_cluster}
STREET_USERS = {"person": 0.4, "dog": 0.4, "car": 0.75, "bike": 0.6}   # chance to stand on the street band
# A second, more general predicate VG annotators often add to the same pair.
SECOND_PREDICATE = {"sitting on": "on", "standing on": "on", "riding": "on", "laying on": "on", "parked on": "on",
                    "walking on": "on", "mounted on": "on", "wearing": "has", "holding": "has"}


def image_ids(num_images: int, seed: int) -> list[int]:
    """Sorted, VG-like positive image ids (sparse, never one of VG's four corrupted ids)."""
    rng = np.random.default_rng([seed, 7919])
    pool = rng.choice(np.arange(1, 2_400_000), size=num_images + len(_RESERVED_IDS), replace=False)
    ids = sorted(int(i) for i in pool if int(i) not in _RESERVED_IDS)
    return ids[:num_images]


def sample_scenes(num_images: int, seed: int, *, progress: bool = False) -> list[Scene]:
    ids = image_ids(num_images, seed)
    return [sample_scene(i, seed, image_id)
            for i, image_id in enumerate(tqdm(ids, desc="sample scenes", unit="img", disable=not progress))]


def sample_scene(index: int, seed: int, image_id: int) -> Scene:
    rng = np.random.default_rng([seed, index])
    width = int(rng.choice([160, 176, 192, 200]))
    height = int(rng.choice([128, 136, 144, 152]))
    horizon = int(height * rng.uniform(0.33, 0.45))
    ground = str(rng.choice(["grass", "sand", "pavement"], p=[0.5, 0.2, 0.3]))
    scene = Scene(index=index, image_id=image_id, width=width, height=height, horizon=horizon, ground=ground,
                  render_seed=int(rng.integers(0, 2**31 - 1)))
    ctx = TemplateContext(builder=SceneBuilder(scene), rng=rng)
    land_top = horizon
    if ctx.chance(0.15):
        scene.water_top, scene.water_bottom = horizon, int(horizon + 0.42 * (height - horizon))
        land_top = scene.water_bottom
    land_bottom = height
    if ctx.chance(0.35):
        ctx.street_top, ctx.street_bottom = int(height - rng.uniform(26, 36) * height / 150), height
        ctx.street = ctx.builder.add("street", (0, ctx.street_top, width, height), z=-50)
        land_bottom = ctx.street_top
    _place_background(ctx, land_top, land_bottom)
    foreground_boxes: list = []
    if scene.water_top is not None and ctx.chance(0.7):
        _place(ctx, "boat", (scene.water_top + 0.55 * (scene.water_bottom - scene.water_top), scene.water_bottom),
               foreground_boxes)
    for _ in range(int(ctx.pick({1: 0.3, 2: 0.45, 3: 0.25}))):
        kind = ctx.pick(FOREGROUND)
        if ctx.street is not None and kind in STREET_USERS and ctx.chance(STREET_USERS[kind]):
            band = (ctx.street_top + 6, ctx.street_bottom - 1)
        else:
            band = (land_top + 0.3 * (land_bottom - land_top), land_bottom - 1)
        _place(ctx, kind, band, foreground_boxes)
    sky_objects(ctx, [i for i, o in enumerate(scene.objects) if o.grounded])
    _add_generic_relations(ctx)
    _ensure_unrelated_pair(ctx)
    _add_vg_quirks(ctx)
    return scene


def _ensure_unrelated_pair(ctx: TemplateContext) -> None:
    """Every image keeps at least one pair of objects without a relation (VG images always do):
    if all pairs are related, add an unannotated bird flying in the sky."""
    scene = ctx.scene
    n = len(scene.objects)
    related = {frozenset((s, o)) for s, o, _ in scene.relations}
    if n >= 2 and len(related) < n * (n - 1) // 2:
        return
    s = scene.height / 150.0
    cx = ctx.uniform(0.1, 0.9) * scene.width
    bottom = max(10 * s + 2, ctx.uniform(0.45, 0.9) * scene.horizon)
    ctx.builder.add("bird", sized_box("bird", cx, bottom, s), z=1000, pose="fly", facing=ctx.facing(),
                    variant=ctx.variant())


def _place_background(ctx: TemplateContext, land_top: int, land_bottom: int) -> None:
    band = (land_top + 1, land_top + 0.25 * (land_bottom - land_top))
    for kind, p in (("building", 0.45), ("tree", 0.5), ("tree", 0.2), ("pole", 0.3)):
        if ctx.chance(p):
            _place(ctx, kind, band, [], min_visible=0.7)


def _place(ctx: TemplateContext, kind: str, band, occupied: list, *, tries: int = 10,
           min_visible: float = 0.85) -> bool:
    """Run template ``kind`` at a random anchor in the baseline ``band``; retry until it fits the image
    and overlaps earlier foreground groups by less than 30 % of the smaller group's area."""
    builder = ctx.builder
    width = builder.scene.width
    low, high = band
    for _ in range(tries):
        mark = builder.checkpoint()
        cx = ctx.uniform(0.1, 0.9) * width
        b = ctx.uniform(low, max(low + 1, high))
        TEMPLATES[kind](ctx, cx, b)
        union = builder.union_box(mark)
        ok = union is not None and builder.fits(mark, min_visible=min_visible)
        if ok:
            area = (union[2] - union[0]) * (union[3] - union[1])
            for other in occupied:
                small = min(area, (other[2] - other[0]) * (other[3] - other[1]))
                if overlap_area(union, other) > 0.3 * small:
                    ok = False
                    break
        if ok:
            occupied.append(union)
            return True
        builder.rollback(mark)
    return False


def _add_generic_relations(ctx: TemplateContext) -> None:
    """near / behind / in front of / looking at between free-standing figures of different groups."""
    scene = ctx.scene
    objects = scene.objects
    related = {frozenset((s, o)) for s, o, _ in scene.relations}
    grounded = [i for i, o in enumerate(objects) if o.grounded]
    for a_pos, i in enumerate(grounded):
        for j in grounded[a_pos + 1:]:
            if frozenset((i, j)) in related:
                continue
            a, b = objects[i], objects[j]
            if overlap_area(a.box, b.box) > 0:
                far, near = (i, j) if a.box[3] < b.box[3] else (j, i)
                if (objects[near].box[3] - objects[far].box[3] >= 3 and objects[far].z < objects[near].z
                        and ctx.chance(0.3)):
                    background = objects[far].label in ("building", "tree")
                    if ctx.chance(0.75 if background else 0.45):
                        ctx.builder.relate(near, far, "in front of")
                    else:
                        ctx.builder.relate(far, near, "behind")
                continue
            gap = max(a.box[0], b.box[0]) - min(a.box[2], b.box[2])
            if gap < 0:
                continue
            s = ctx.scale(max(a.box[3], b.box[3]))
            same_depth = abs(a.box[3] - b.box[3]) <= 5 * s
            if same_depth and 1 <= gap <= 0.5 * max(a.box[2] - a.box[0], b.box[2] - b.box[0]):
                if ctx.chance(0.35):
                    ctx.builder.relate(i, j, "near") if ctx.chance(0.5) else ctx.builder.relate(j, i, "near")
                continue
            for viewer, target in ((i, j), (j, i)):
                v, t = objects[viewer], objects[target]
                toward = (t.box[0] >= v.box[2]) if v.facing > 0 else (t.box[2] <= v.box[0])
                if (v.label in PERSON_CLASSES and v.pose in ("stand", "walk") and toward and gap >= 8
                        and abs(a.box[3] - b.box[3]) <= 12 * s and ctx.chance(0.15)):
                    ctx.builder.relate(viewer, target, "looking at")
                    break


def _add_vg_quirks(ctx: TemplateContext) -> None:
    """VG's annotation habits: a few exact duplicate rows, second predicates, images without relations."""
    scene = ctx.scene
    if not scene.relations:
        return
    if ctx.chance(0.02):
        scene.relations.clear()
        return
    if ctx.chance(0.18):
        candidates = [k for k, r in enumerate(scene.relations) if r[2] in SECOND_PREDICATE]
        if candidates:
            s, o, p = scene.relations[candidates[int(ctx.rng.integers(len(candidates)))]]
            scene.secondary_rows.append(len(scene.relations))
            scene.relations.append((s, o, SECOND_PREDICATE[p]))
    if ctx.chance(0.04):
        scene.secondary_rows.append(len(scene.relations))
        scene.relations.append(scene.relations[int(ctx.rng.integers(len(scene.relations)))])
