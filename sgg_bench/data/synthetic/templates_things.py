"""Scene templates around animals, vehicles and the background (buildings, trees, poles with signs).

Same contract as templates_people.py: objects are placed so that every annotated relation
satisfies the visible rule of its predicate (predicate_rules.py).
"""
from __future__ import annotations

from .figures import person_box
from .placement import DOG_SIZE, TemplateContext, add_person, shift_box, sized_box


def _person_beside(ctx: TemplateContext, target: int, b: float, relation: str) -> None:
    """A standing person near / behind / in front of / looking at ``target`` (rules in predicate_rules.py)."""
    builder = ctx.builder
    tx1, ty1, tx2, ty2 = builder.scene.objects[target].box
    side = ctx.facing()
    if relation in ("near", "looking at"):
        s = ctx.scale(b)
        gap = ctx.uniform(2, 8) * s if relation == "near" else ctx.uniform(14, 30) * s
        probe = person_box(0, b, s, "stand", False)
        w = probe[2] - probe[0]
        cx = tx2 + gap + w / 2 if side > 0 else tx1 - gap - w / 2
        facing = -side if relation == "looking at" else ctx.facing()
        person, _ = add_person(ctx, cx, b, s, "stand", z=b, facing=facing, grounded=True)
    else:
        pb = b - ctx.uniform(5, 9) * ctx.scale(b) if relation == "behind" else b + ctx.uniform(5, 9) * ctx.scale(b)
        cx = ctx.uniform(tx1 + 0.2 * (tx2 - tx1), tx2 - 0.2 * (tx2 - tx1))
        person, _ = add_person(ctx, cx, pb, ctx.scale(pb), "stand", z=pb, grounded=True)
    if ctx.chance(0.85):
        if relation == "near" and ctx.chance(0.3):
            builder.relate(target, person, "near")
        else:
            builder.relate(person, target, relation)


def horse_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    facing = ctx.facing()
    horse = builder.add("horse", sized_box("horse", cx, b, s), z=b, facing=facing, variant=ctx.variant(),
                        pose="stand", grounded=True)
    hx1, hy1, hx2, hy2 = builder.scene.objects[horse].box
    mode = ctx.pick({"ride": 0.45, "near": 0.22, "behind": 0.13, "in front of": 0.12, "looking at": 0.06,
                     "none": 0.02})
    if mode == "ride":
        back = b - 32 * s
        body_cx = cx - facing * 0.08 * (hx2 - hx1)
        rider, _ = add_person(ctx, body_cx, back + 0.27 * 46 * s, s, "ride", z=b + 0.05, facing=facing)
        if ctx.chance(0.92):
            builder.relate(rider, horse, "riding")
    elif mode != "none":
        _person_beside(ctx, horse, b, mode)


def dog_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    facing = ctx.facing()
    on_street = ctx.on_street(b)
    mode = ctx.pick({"eat": 0.3, "pizza near": 0.12, "walk": 0.3, "stand": 0.28})
    pose = {"eat": "eat", "pizza near": "stand"}.get(mode, mode)
    dog = builder.add("dog", sized_box("dog", cx, b, s, DOG_SIZE[pose]), z=b, pose=pose, facing=facing,
                      variant=ctx.variant(), grounded=True)
    dx1, dy1, dx2, dy2 = builder.scene.objects[dog].box
    if mode in ("eat", "pizza near"):
        probe = sized_box("pizza", 0, b, s)
        w = probe[2] - probe[0]
        if mode == "eat":   # the lowered head touches the food
            x1 = dx2 - 2 if facing > 0 else dx1 + 2 - w
        else:
            gap = ctx.uniform(4, 12) * s
            x1 = dx2 + gap if ctx.chance(0.5) else dx1 - gap - w
        pizza = builder.add("pizza", shift_box(probe, dx=x1 - probe[0]), z=b + 0.01, variant=ctx.variant())
        if ctx.chance(0.9):
            builder.relate(dog, pizza, "eating" if mode == "eat" else "near")
    if on_street and pose in ("walk", "stand") and ctx.chance(0.5):
        builder.relate(dog, ctx.street, "walking on" if pose == "walk" else "standing on")


def _wheels(ctx: TemplateContext, vehicle: int, diameter: float, centres: list[float], z: float,
            annotate: float, has_weights: dict) -> None:
    builder = ctx.builder
    bottom = builder.scene.objects[vehicle].box[3]
    for wx in centres:
        if not ctx.chance(annotate):
            continue
        wheel = builder.add("wheel", (wx - diameter / 2, bottom - diameter, wx + diameter / 2, bottom), z=z,
                            variant=ctx.variant())
        choice = ctx.pick(has_weights)
        if choice == "has":
            builder.relate(vehicle, wheel, "has")
        elif choice == "of":
            builder.relate(wheel, vehicle, "of")


def car_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    facing = ctx.facing()
    car = builder.add("car", sized_box("car", cx, b, s), z=b, facing=facing, variant=ctx.variant(), grounded=True)
    x1, y1, x2, y2 = builder.scene.objects[car].box
    w = x2 - x1
    _wheels(ctx, car, 12 * s, [x1 + 0.22 * w, x1 + 0.78 * w], b + 0.01, 0.5, {"has": 0.35, "of": 0.25, "none": 0.4})
    occupied = ctx.chance(0.28)
    if occupied:
        label = ctx.pick({"man": 0.4, "woman": 0.35, "dog": 0.25})
        ocx = (x1 + x2) / 2 + facing * 0.08 * w
        bottom = y1 + 0.55 * (y2 - y1)
        if label == "dog":
            occ = builder.add("dog", sized_box("dog", ocx, bottom, s, DOG_SIZE["incar"]), z=b + 0.02, pose="incar",
                              facing=facing, variant=ctx.variant())
        else:
            occ, _ = add_person(ctx, ocx, bottom, s, "incar", z=b + 0.02, label=label, facing=facing, shirt=False,
                                hat=False)
        if ctx.chance(0.9):
            builder.relate(occ, car, "in")
    if ctx.on_street(b) and ctx.chance(0.5):
        builder.relate(car, ctx.street, "on" if occupied else "parked on")
    mode = ctx.pick({"near": 0.18, "behind": 0.12, "in front of": 0.08, "bird": 0.03, "none": 0.59})
    if mode == "bird":
        bird = builder.add("bird", sized_box("bird", ctx.uniform(x1 + 0.3 * w, x2 - 0.3 * w), y1, s), z=b + 0.05,
                           facing=ctx.facing(), variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, car, "on")
    elif mode != "none":
        _person_beside(ctx, car, b, mode)


def bike_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    facing = ctx.facing()
    bike = builder.add("bike", sized_box("bike", cx, b, s), z=b, facing=facing, variant=ctx.variant(), grounded=True)
    x1, y1, x2, y2 = builder.scene.objects[bike].box
    d = 18 * s
    _wheels(ctx, bike, d, [x1 + d / 2, x2 - d / 2], b + 0.01, 0.5, {"has": 0.35, "of": 0.25, "none": 0.4})
    ridden = ctx.chance(0.42)
    if ridden:
        rider, _ = add_person(ctx, cx - facing * 0.1 * (x2 - x1), b - 24 * s + 0.27 * 46 * s, s, "ride",
                              z=b + 0.05, facing=facing)
        if ctx.chance(0.92):
            builder.relate(rider, bike, "riding")
    elif ctx.chance(0.3):
        _person_beside(ctx, bike, b, "near")
    if ctx.on_street(b) and ctx.chance(0.45):
        builder.relate(bike, ctx.street, "on" if ridden else "parked on")


def boat_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    facing = ctx.facing()
    boat = builder.add("boat", sized_box("boat", cx, b, s), z=b, facing=facing, variant=ctx.variant(), grounded=True)
    x1, y1, x2, y2 = builder.scene.objects[boat].box
    hull_top = b - 0.36 * (y2 - y1)
    # The mast stands at the centre; people stand in the front half.
    pcx = (x1 + x2) / 2 + facing * 0.25 * (x2 - x1)
    mode = ctx.pick({"in": 0.35, "standing on": 0.18, "bird": 0.08, "none": 0.39})
    if mode == "in":   # legs hidden by the hull: drawn before the boat
        person, _ = add_person(ctx, pcx, b - 3 * s, s * 0.85, "stand", z=b - 0.05)
        if ctx.chance(0.9):
            builder.relate(person, boat, "in")
    elif mode == "standing on":
        person, _ = add_person(ctx, pcx, hull_top, s * 0.85, "stand", z=b + 0.05)
        if ctx.chance(0.9):
            builder.relate(person, boat, "standing on")
    elif mode == "bird":
        bird = builder.add("bird", sized_box("bird", pcx, hull_top, s), z=b + 0.05, facing=ctx.facing(),
                           variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, boat, "on")


def building_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    scene = builder.scene
    w = ctx.uniform(48, 80) * s
    h = min(ctx.uniform(60, 100) * s, b - 3)
    building = builder.add("building", (cx - w / 2, b - h, cx + w / 2, b), z=b - 200, variant=ctx.variant(),
                           grounded=True)
    x1, y1, x2, y2 = scene.objects[building].box
    ww, wh = max(6, 12 * s), max(7, 14 * s)
    cols = max(1, int((x2 - x1) // (ww * 2)))
    rows = max(1, int((0.7 * (y2 - y1)) // (wh * 1.8)))
    while rows * cols > 4:   # at most four windows per building
        rows, cols = (rows - 1, cols) if rows >= cols else (rows, cols - 1)
    for r in range(rows):
        for c in range(cols):
            wx = x1 + (c + 0.5) * (x2 - x1) / cols
            wy = y1 + 4 * s + r * wh * 1.8
            window = builder.add("window", (wx - ww / 2, wy, wx + ww / 2, wy + wh), z=b - 199, variant=ctx.variant())
            choice = ctx.pick({"on": 0.11, "has": 0.05, "none": 0.84})
            if choice == "on":
                builder.relate(window, building, "on")
            elif choice == "has":
                builder.relate(building, window, "has")
    if ctx.chance(0.15):   # a bird on the roof line
        bird = builder.add("bird", sized_box("bird", ctx.uniform(x1 + 6, x2 - 6), y1 + 1, s), z=b - 198.5,
                           facing=ctx.facing(), variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, building, "on")
    free_top = y1 + 4 * s + rows * wh * 1.8
    if ctx.chance(0.3) and y2 - free_top > 12 * s:
        _sign_on_building(ctx, building, free_top, s, b)


def _sign_on_building(ctx: TemplateContext, building: int, free_top: float, s: float, b: float) -> None:
    """A sign flat on the wall (on), sticking out from a side edge on a bracket (attached to), or hanging on
    chains below a bracket at a side edge (hanging from)."""
    builder = ctx.builder
    x1, y1, x2, y2 = builder.scene.objects[building].box
    sw, sh = 22 * s, 15 * s
    mode = ctx.pick({"on": 0.5, "attached to": 0.25, "hanging from": 0.25})
    side = ctx.facing()
    if mode == "on":
        cx = ctx.uniform(x1 + sw / 2 + 1, x2 - sw / 2 - 1)
        box = (cx - sw / 2, y2 - 3 * s - sh, cx + sw / 2, y2 - 3 * s)
    else:
        top = free_top + 2 * s + (5 * s if mode == "hanging from" else 0)
        sx1 = x2 - 2 if side > 0 else x1 + 2 - sw
        box = (sx1, top, sx1 + sw, top + sh)
    sign = builder.add("sign", box, z=b - 198, variant=ctx.variant())
    sx1, sy1, sx2, sy2 = builder.scene.objects[sign].box
    edge = x2 if side > 0 else x1
    if mode == "attached to":
        builder.line((edge - 2, sy1 + 2), (edge + 2, sy1 + 2), colour=(50, 50, 50), width=2, z=b - 197)
    elif mode == "hanging from":
        bracket_y = int(sy1 - 5 * s)
        far_x = sx2 if side > 0 else sx1
        builder.line((edge, bracket_y), (far_x, bracket_y), colour=(50, 50, 50), width=max(1, int(2 * s)), z=b - 197)
        for x in (sx1 + 2, sx2 - 3):
            builder.line((x, bracket_y), (x, sy1), colour=(60, 60, 60), width=1, z=b - 197)
    if ctx.chance(0.85):
        builder.relate(sign, building, mode)


def tree_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    tree = builder.add("tree", sized_box("tree", cx, b, s), z=b - 0.5, variant=ctx.variant(), grounded=True)
    x1, y1, x2, y2 = builder.scene.objects[tree].box
    canopy_bottom = y1 + 0.45 * (y2 - y1)
    mode = ctx.pick({"bird in": 0.13, "bird on": 0.08, "bird above": 0.06, "kite on": 0.06, "under": 0.1,
                     "none": 0.57})
    if mode == "bird in":
        bird = builder.add("bird", sized_box("bird", cx + ctx.uniform(-0.2, 0.2) * (x2 - x1),
                                             y1 + ctx.uniform(0.2, 0.35) * (y2 - y1), s),
                           z=b - 0.4, facing=ctx.facing(), variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, tree, "in")
    elif mode == "bird on":
        bird = builder.add("bird", sized_box("bird", cx, y1 + 1, s), z=b - 0.4, facing=ctx.facing(),
                           variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, tree, "on")
    elif mode == "kite on":   # a kite stuck on top of the canopy
        kite = builder.add("kite", sized_box("kite", cx + ctx.uniform(-0.2, 0.2) * (x2 - x1), y1 + 0.12 * (y2 - y1), s),
                           z=b - 0.4, variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(kite, tree, "on")
    elif mode == "bird above":
        bird = builder.add("bird", sized_box("bird", cx, y1 - ctx.uniform(3, 10) * s, s), z=1000, pose="fly",
                           facing=ctx.facing(), variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, tree, "above")
    elif mode == "under":
        ps = min(s * 0.85, (b - canopy_bottom - 2) / 58)
        offset = (0.12 * (x2 - x1) + 11 * ps) * ctx.facing()
        person, _ = add_person(ctx, cx + offset, b + 1, ps, "stand", z=b - 0.3)
        if ctx.chance(0.85):
            builder.relate(person, tree, "under")


def pole_cluster(ctx: TemplateContext, cx: float, b: float) -> None:
    s = ctx.scale(b)
    builder = ctx.builder
    mode = ctx.pick({"on": 0.48, "attached to": 0.18, "mounted on": 0.18, "hanging from": 0.16})
    pw, ph = max(2.0, 4 * s), 70 * s
    sw, sh = 26 * s, 18 * s
    side = ctx.facing()
    if mode == "hanging from":   # the pole has an arm at the top; the sign hangs under it on chains
        arm = 22 * s
        box = (cx, b - ph, cx + arm + pw, b) if side > 0 else (cx - arm, b - ph, cx + pw, b)
        pole = builder.add("pole", box, z=b, style="arm right" if side > 0 else "arm left", variant=ctx.variant(),
                           grounded=True)
        px1, py1, px2, py2 = builder.scene.objects[pole].box
        scx = (px2 - arm / 2 - 1) if side > 0 else (px1 + arm / 2)
        top = py1 + 2 * s + 5 * s
        sign = builder.add("sign", (scx - sw / 2, top, scx + sw / 2, top + sh), z=b + 0.01, variant=ctx.variant())
        sx1, sy1, sx2, sy2 = builder.scene.objects[sign].box
        for x in (sx1 + 2, sx2 - 3):
            builder.line((x, py1 + int(2 * s)), (x, sy1), colour=(60, 60, 60), width=1, z=b + 0.02)
    else:
        pole = builder.add("pole", (cx - pw / 2, b - ph, cx + pw / 2, b), z=b, variant=ctx.variant(), grounded=True)
        px1, py1, px2, py2 = builder.scene.objects[pole].box
        if mode == "on":
            top = py1 + ctx.uniform(2, 14) * s
            box = (cx - sw / 2, top, cx + sw / 2, top + sh)
        elif mode == "attached to":
            top = py1 + ctx.uniform(2, 14) * s
            box = (px2, top, px2 + sw, top + sh) if side > 0 else (px1 - sw, top, px1, top + sh)
        else:  # mounted on: the sign sits on the pole's top end
            box = (cx - sw / 2, py1 + 1 - sh, cx + sw / 2, py1 + 1)
        sign = builder.add("sign", box, z=b + 0.01, variant=ctx.variant())
        if mode == "attached to":
            sx1, sy1, sx2, sy2 = builder.scene.objects[sign].box
            edge = px2 if side > 0 else px1 - 1
            for y in (sy1 + 2, sy2 - 3):
                builder.line((edge - 2, y), (edge + 2, y), colour=(50, 50, 50), width=2, z=b + 0.02)
    if ctx.chance(0.88):
        builder.relate(sign, pole, mode)
    if ctx.chance(0.15):   # a bird perched on the top edge of the sign or of the pole
        perch = sign if (mode == "mounted on" or ctx.chance(0.5)) else pole
        px1, py1, px2, py2 = builder.scene.objects[perch].box
        bcx = (px1 + px2) / 2 if perch == sign else (px1 + 1 if mode != "hanging from" else (px1 + px2) / 2)
        bird = builder.add("bird", sized_box("bird", bcx, py1 + 1, s), z=b + 0.03, facing=ctx.facing(),
                           variant=ctx.variant())
        if ctx.chance(0.85):
            builder.relate(bird, perch, "on")


def sky_objects(ctx: TemplateContext, ground_objects: list[int]) -> None:
    """A free kite or flying birds in the sky, sometimes annotated ``above`` a figure under them."""
    builder = ctx.builder
    scene = builder.scene
    s = scene.height / 150.0
    n_kites = sum(o.label == "kite" for o in scene.objects)
    perch_labels = ("car", "bench", "table", "building", "boat", "chair")
    perches = [i for i in ground_objects if scene.objects[i].label in perch_labels]
    if perches and ctx.chance(0.6):   # a bird perched on the top edge of a figure, or flying just above it
        target = perches[int(ctx.rng.integers(len(perches)))]
        tx1, ty1, tx2, ty2 = scene.objects[target].box
        s_target = ctx.scale(ty2)
        flying = ctx.chance(0.35)
        bottom = ty1 - ctx.uniform(4, 14) * s_target if flying else ty1 + 1
        bird = builder.add("bird", sized_box("bird", ctx.uniform(tx1 + 0.3 * (tx2 - tx1), tx2 - 0.3 * (tx2 - tx1)),
                                             bottom, s_target),
                           z=1000 if flying else scene.objects[target].z + 0.5, pose="fly" if flying else "",
                           facing=ctx.facing(), variant=ctx.variant())
        if builder.scene.objects[bird].box[1] < 0:
            builder.scene.objects.pop()
        elif ctx.chance(0.85):
            builder.relate(bird, target, "above" if flying else "on")
    flyers = []
    if n_kites == 0 and ctx.chance(0.1):
        flyers.append("kite")
    flyers += ["bird"] * int(ctx.pick({0: 0.6, 1: 0.28, 2: 0.12}))
    for label in flyers:
        cx = ctx.uniform(0.1, 0.9) * scene.width
        bottom = ctx.uniform(0.45, 0.95) * scene.horizon
        box = sized_box(label, cx, bottom, s)
        if box[1] < 1:
            continue
        obj = builder.add(label, box, z=1000, pose="fly", facing=ctx.facing(), variant=ctx.variant())
        below = [i for i in ground_objects
                 if scene.objects[i].box[0] <= cx < scene.objects[i].box[2] and scene.objects[i].box[1] > box[3] + 2]
        if below and ctx.chance(0.45):
            builder.relate(obj, below[int(ctx.rng.integers(len(below)))], "above")
