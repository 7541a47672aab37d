"""Scene templates around people and furniture: a person with items, a table, a bench.

Each template places a small group of objects at an anchor (centre x ``cx``, ground
baseline ``b``) so that every relation it annotates satisfies the visible rule of its
predicate (predicate_rules.py). Annotation is sometimes skipped (as in VG, not every
visible relation is labelled).
"""
from __future__ import annotations

from .figures import person_box
from .placement import DOG_SIZE, TemplateContext, add_person, shift_box, sized_box

HELD_ITEMS = {"cup": 0.14, "bottle": 0.14, "bag": 0.12, "umbrella": 0.1, "plate": 0.08, "kite": 0.08, "hat": 0.18,
              "shirt": 0.16}
TABLE_ITEMS = {"plate": 0.28, "cup": 0.23, "bottle": 0.18, "pizza": 0.14, "bag": 0.1, "hat": 0.07}
BENCH_ITEMS = {"bag": 0.3, "cup": 0.15, "bottle": 0.15, "hat": 0.15, "plate": 0.1, "shirt": 0.15}
GROUND_ITEMS = {"bag": 0.22, "bottle": 0.18, "cup": 0.18, "dog": 0.15, "plate": 0.15, "pizza": 0.12}


def add_held_item(ctx: TemplateContext, person: int, parts, label: str, scale: float, z: float) -> int:
    """An item in the person's hand on the facing side, joined by an arm line (rule of ``holding``)."""
    b = ctx.builder
    obj = b.scene.objects[person]
    obj.style = (obj.style + " holding").strip()   # the renderer draws the arm as a connector instead
    facing = obj.facing
    hx, hy = parts.hand
    if label == "umbrella":
        w, h = 36 * scale, max(parts.hand[1] - obj.box[1] + 12 * scale, 20 * scale)
        box = (hx - w / 2, hy - h, hx + w / 2, hy + 2)
        item = b.add(label, box, z=z + 0.03, variant=ctx.variant())
    elif label == "kite":
        kcx = hx + facing * ctx.uniform(12, 32) * scale
        box = sized_box("kite", kcx, max(obj.box[1] - ctx.uniform(4, 20) * scale, 26 * scale), scale)
        item = b.add(label, box, z=z + 0.03, variant=ctx.variant())
        kite = b.scene.objects[item].box
        b.line((hx, hy), ((kite[0] + kite[2]) // 2, kite[3] - 1), colour=(240, 240, 240), width=1, z=z + 0.04)
    else:
        box = sized_box(label, 0, 0, scale)
        w, h = box[2] - box[0], box[3] - box[1]
        x1 = hx - 1 if facing > 0 else hx + 2 - w
        box = (x1, hy - h // 2, x1 + w, hy - h // 2 + h)
        item = b.add(label, box, z=z + 0.03, variant=ctx.variant())
    b.line(parts.shoulder, (hx, hy), colour=(230, 180, 140), width=max(1, int(2 * scale)), z=z + 0.05)
    return item


def person_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    on_street = ctx.on_street(b)
    pose = ctx.pick({"stand": 0.62, "walk": 0.38} if on_street else {"stand": 0.8, "walk": 0.2})
    action = ctx.pick({"hold": 0.36, "carry": 0.05, "none": 0.59})
    held = ctx.pick(HELD_ITEMS) if action == "hold" else None
    wear_hat = False if held == "hat" else None
    person, parts = add_person(ctx, cx, b, s, pose, z=b, hat=wear_hat, grounded=True)
    if held is not None:
        item = add_held_item(ctx, person, parts, held, s, b)
        if ctx.chance(0.88):
            builder.relate(person, item, "holding")
    elif action == "carry":
        obj = builder.scene.objects[person]
        back = -obj.facing
        tx1, ty1, tx2, ty2 = parts.torso
        w = max(6, int(13 * s))
        x1 = tx1 - w + 3 if back < 0 else tx2 - 3
        bag = builder.add("bag", (x1, ty1 + 1, x1 + w, ty1 + 1 + w), z=b + 0.03, variant=ctx.variant())
        strap_x = tx2 - 1 if back < 0 else tx1
        builder.line((x1 + w // 2, ty1 + 2), (strap_x, ty1 + 1), colour=(60, 40, 20), width=1, z=b + 0.04)
        if ctx.chance(0.9):
            builder.relate(person, bag, "carrying")
    if ctx.chance(0.25):  # an item standing on the ground next to the person
        label = ctx.pick({"bag": 0.3, "bottle": 0.15, "cup": 0.15, "hat": 0.25, "shirt": 0.15})
        obj = builder.scene.objects[person]
        side = ctx.facing()
        gap = ctx.uniform(2, 8) * s
        item_box = sized_box(label, 0, b, s)
        w = item_box[2] - item_box[0]
        x1 = obj.box[2] + gap if side > 0 else obj.box[0] - gap - w
        item = builder.add(label, shift_box(item_box, dx=x1 - item_box[0]), z=b, variant=ctx.variant(),
                           grounded=True)
        if ctx.chance(0.75):
            builder.relate(item, person, "near") if ctx.chance(0.5) else builder.relate(person, item, "near")
    if on_street and ctx.chance(0.45):
        builder.relate(person, ctx.street, "walking on" if pose == "walk" else "standing on")


def table_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    table = builder.add("table", sized_box("table", cx, b, s), z=b, variant=ctx.variant(), grounded=True)
    tx1, ty1, tx2, ty2 = builder.scene.objects[table].box
    n_items = ctx.pick({1: 0.45, 2: 0.4, 3: 0.15})
    slot = (tx2 - tx1) / n_items
    for k in range(n_items):
        label = ctx.pick(TABLE_ITEMS)
        icx = tx1 + slot * (k + 0.5) + ctx.uniform(-0.15, 0.15) * slot
        item = builder.add(label, sized_box(label, icx, ty1, s), z=b + 0.2, variant=ctx.variant())
        if ctx.chance(0.92):
            builder.relate(item, table, "on")
        if label == "plate" and ctx.chance(0.35):
            plate = builder.scene.objects[item].box
            pizza = builder.add("pizza", sized_box("pizza", icx, plate[1] + 2, s * 0.85), z=b + 0.3,
                                variant=ctx.variant())
            if ctx.chance(0.7):
                builder.relate(pizza, item, "on")
    if ctx.chance(0.5):
        _chair_at_table(ctx, table, s, b)
    if ctx.chance(0.11):
        bb = b - ctx.uniform(4, 8) * s
        person, _ = add_person(ctx, ctx.uniform(tx1 + 6, tx2 - 6), bb, ctx.scale(bb), "stand", z=bb, grounded=True)
        if ctx.chance(0.85):
            builder.relate(person, table, "behind")
        return
    kinds = {"under": 0.4, "front": 0.3, "near": 0.3}
    for _ in range(int(ctx.pick({0: 0.05, 1: 0.45, 2: 0.5}))):   # distinct kinds so the items do not collide
        extra = ctx.pick(kinds)
        del kinds[extra]
        item_by_furniture(ctx, table, b, s, extra, GROUND_ITEMS, clearance=16 * s)


def item_by_furniture(ctx: TemplateContext, furniture: int, b: float, s: float, extra: str, labels: dict,
                      clearance: float) -> None:
    """A ground item (or dog) under / in front of / near a table or bench.

    under: on the ground between the legs, lower than ``clearance`` (the free height below the top);
    front: closer to the viewer (lower baseline) and overlapping the furniture; near: same depth, small gap.
    """
    builder = ctx.builder
    tx1, ty1, tx2, ty2 = builder.scene.objects[furniture].box
    if extra == "front":   # flat things lying in front would not overlap the furniture: use upright ones
        labels = {k: v for k, v in labels.items() if k not in ("plate", "pizza")}
        labels["chair"] = 0.15
    label = ctx.pick(labels)
    pose = "lie" if (label == "dog" and extra == "under") else ("stand" if label == "dog" else "")
    size = DOG_SIZE[pose] if label == "dog" else None
    if extra == "under":
        probe = sized_box(label, 0, b, s, size)
        fit = min(1.0, 0.85 * clearance / max(1, probe[3] - probe[1]))
        ucx = (tx1 + tx2) / 2 + ctx.uniform(-0.2, 0.2) * (tx2 - tx1)
        thing = builder.add(label, sized_box(label, ucx, b, s * fit, size), z=b + 0.1, pose=pose,
                            facing=ctx.facing(), variant=ctx.variant())
        predicate = "under"
    elif extra == "front":
        fb = b + ctx.uniform(5, 9) * s
        fcx = ctx.uniform(tx1 + 4, tx2 - 4)
        thing = builder.add(label, sized_box(label, fcx, fb, ctx.scale(fb), size), z=fb, pose=pose,
                            facing=ctx.facing(), variant=ctx.variant(), grounded=True)
        predicate = "in front of"
    else:  # near: on the ground beside the furniture, same depth, a small gap
        probe = sized_box(label, 0, b, s, size)
        w = probe[2] - probe[0]
        gap = ctx.uniform(2, 8) * s
        x1 = tx2 + gap if ctx.chance(0.5) else tx1 - gap - w
        thing = builder.add(label, shift_box(probe, dx=x1 - probe[0]), z=b, pose=pose, facing=ctx.facing(),
                            variant=ctx.variant(), grounded=True)
        predicate = "near"
    if ctx.chance(0.85):
        builder.relate(thing, furniture, predicate)


def _chair_at_table(ctx: TemplateContext, table: int, s: float, b: float) -> None:
    builder = ctx.builder
    tx1, ty1, tx2, ty2 = builder.scene.objects[table].box
    side = ctx.facing()
    chair_box = sized_box("chair", 0, b, s)
    w = chair_box[2] - chair_box[0]
    gap = int(ctx.uniform(1, 3) * s) + 1
    if ctx.chance(0.25):
        # Behind the table: further back, partly hidden by it; it faces the viewer's side.
        cb = b - ctx.uniform(5, 8) * s
        chair = builder.add("chair", sized_box("chair", ctx.uniform(tx1 + w / 2, tx2 - w / 2), cb, ctx.scale(cb)),
                            z=cb, facing=side, variant=ctx.variant(), grounded=True)
        if ctx.chance(0.8):
            builder.relate(chair, table, "behind")
        return
    x1 = tx2 + gap if side > 0 else tx1 - gap - w
    # The chair faces the table: its backrest is on the far side (facing = -side).
    chair = builder.add("chair", shift_box(chair_box, dx=x1 - chair_box[0]), z=b - 0.05, facing=-side,
                        variant=ctx.variant(), grounded=True)
    if ctx.chance(0.45):
        builder.relate(chair, table, "near")
    cbox = builder.scene.objects[chair].box
    occupant = ctx.pick({"person": 0.5, "bag": 0.07, "shirt": 0.07, "item": 0.14, "none": 0.22})
    if occupant == "person":
        person, _ = add_person(ctx, (cbox[0] + cbox[2]) / 2, b, s, "sit", z=b + 0.05, facing=-side)
        if ctx.chance(0.9):
            builder.relate(person, chair, "sitting on")
    elif occupant == "item":   # resting on the seat, in front of the backrest
        label = ctx.pick({"bag": 0.4, "cup": 0.2, "hat": 0.2, "bottle": 0.2})
        seat_top = cbox[1] + 0.62 * (cbox[3] - cbox[1])
        icx = (cbox[0] + cbox[2]) / 2 - side * 0.1 * (cbox[2] - cbox[0])
        item = builder.add(label, sized_box(label, icx, seat_top, s * 0.8), z=b + 0.06, variant=ctx.variant())
        if ctx.chance(0.88):
            builder.relate(item, chair, "on")
    elif occupant in ("bag", "shirt"):
        # Hung on the backrest (the side away from the table) by a strap.
        w = max(5, int(12 * s))
        back_x = cbox[2] if side > 0 else cbox[0]
        bx1 = back_x - w // 2
        top = cbox[1] + int(8 * s)
        bag = builder.add(occupant, (bx1, top, bx1 + w, top + w), z=b + 0.06, variant=ctx.variant())
        builder.line((back_x, cbox[1] + 1), (bx1 + w // 2, top), colour=(60, 40, 20), width=1, z=b + 0.07)
        if ctx.chance(0.9):
            builder.relate(bag, chair, "hanging from")


def bench_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    bench = builder.add("bench", sized_box("bench", cx, b, s), z=b, variant=ctx.variant(), grounded=True)
    bx1, by1, bx2, by2 = builder.scene.objects[bench].box
    seat = b - int(round(13 * s))
    occupant = ctx.pick({"sit": 0.4, "lie": 0.06, "stand": 0.07, "dog sit": 0.1, "dog lie": 0.1, "bird": 0.05,
                         "near": 0.1, "in front of": 0.08, "none": 0.04})
    ocx = ctx.uniform(bx1 + 0.3 * (bx2 - bx1), bx2 - 0.3 * (bx2 - bx1))
    if occupant in ("sit", "lie", "stand"):
        bottom = b if occupant == "sit" else seat
        person, _ = add_person(ctx, ocx, bottom, s, occupant, z=b + 0.05)
        predicate = {"sit": "sitting on", "lie": "laying on", "stand": "standing on"}[occupant]
        if ctx.chance(0.9):
            builder.relate(person, bench, predicate)
    elif occupant in ("near", "in front of"):
        if occupant == "near":
            probe = person_box(0, b, s, "stand", False)
            side = ctx.facing()
            gap = ctx.uniform(2, 8) * s
            pcx = bx2 + gap + (probe[2] - probe[0]) / 2 if side > 0 else bx1 - gap - (probe[2] - probe[0]) / 2
            pb = b
        else:
            pb = b + ctx.uniform(5, 9) * s
            pcx = ocx
        person, _ = add_person(ctx, pcx, pb, ctx.scale(pb), "stand", z=pb, grounded=True)
        if ctx.chance(0.85):
            builder.relate(person, bench, occupant)
    elif occupant.startswith("dog"):
        pose = occupant.split()[1]
        dog = builder.add("dog", sized_box("dog", ocx, seat, s, DOG_SIZE[pose]), z=b + 0.05, pose=pose,
                          facing=ctx.facing(), variant=ctx.variant())
        if ctx.chance(0.9):
            builder.relate(dog, bench, "sitting on" if pose == "sit" else "laying on")
    elif occupant == "bird":
        bird = builder.add("bird", sized_box("bird", ocx, by1, s), z=b + 0.05, facing=ctx.facing(),
                           variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, bench, "on")
    if ctx.chance(0.5):
        # An item resting on the seat at the end away from the occupant.
        label = ctx.pick(BENCH_ITEMS)
        item_cx = bx1 + 0.15 * (bx2 - bx1) if ocx > cx else bx2 - 0.15 * (bx2 - bx1)
        item = builder.add(label, sized_box(label, item_cx, seat, s * 0.85), z=b + 0.06, variant=ctx.variant())
        if ctx.chance(0.88):
            builder.relate(item, bench, "on")
    if occupant not in ("dog sit", "dog lie", "near", "in front of"):
        extra = ctx.pick({"under": 0.22, "front": 0.15, "near": 0.15, "none": 0.48})
        if extra != "none":
            item_by_furniture(ctx, bench, b, s, extra, GROUND_ITEMS, clearance=11 * s)
