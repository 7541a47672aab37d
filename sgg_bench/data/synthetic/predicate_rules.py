"""The visible rule behind every synthetic predicate, as text (for docs) and as a check (for tests).

A = subject box, B = object box (pixels, x2/y2 exclusive), "drawn over" = later in the
depth order (occludes). The templates place objects so that each annotated primary
relation satisfies its rule; a VG-style second label of the same pair (scenes.py
``SECOND_PREDICATE``) and exact duplicate rows are exempt (``Scene.secondary_rows``).
The rules use geometry, pose, facing and connector lines — all visible in the image —
so a model that looks can tell predicates of the same class pair apart.
"""
from __future__ import annotations

from .layout import Scene, box_area, overlap_area

TOL = 2  # pixels of slack for contacts

RULES: dict[str, str] = {
    "above": "A lies wholly higher than B's top (no contact) and A's centre x is over B",
    "attached to": "A touches B's left or right edge (within 2 px), overlaps it vertically, and A's centre is "
                   "outside B; a short bracket is drawn at the joint",
    "behind": "A and B overlap, A's base is higher in the image (further away) and B is drawn over A",
    "carrying": "a person A with B overlapping the back half of A's body (away from the face) and a strap line",
    "eating": "an animal A with its head lowered (pose 'eat') touching B, which lies on the ground at A's front",
    "hanging from": "a line (chain/strap) ends on A's top edge; A hangs below B's top and touches B's x-range",
    "has": "B is a part drawn over A (>= 70 % of B inside A): wheels of cars/bikes, windows of buildings",
    "holding": "a line (arm, or a kite string) joins A's body to B; the hand end lies inside B",
    "in": "A is mostly (>= 60 %) inside a container B (car, boat, tree canopy): in a car window, legs hidden by a hull",
    "in front of": "A and B overlap, A's base is lower in the image (closer) and A is drawn over B",
    "laying on": "A in a lying pose (long and flat) with its base on B's surface, drawn over B",
    "looking at": "a standing person A faces B (eye on the side towards B), B is wholly on that side, with a gap",
    "mounted on": "A sits on the top end of the post B: A's bottom is at B's top and B's x-range is inside A's",
    "near": "A and B do not overlap, stand at the same depth (bases within 8 px) with a small horizontal gap",
    "of": "A is a part drawn over B (>= 70 % of A inside B): the inverse of 'has'",
    "on": "A is drawn over B and rests on it (A's base on B's surface, A sticking out above B's top) or lies flat on "
          "it (inside B, e.g. a window on a wall), or covers a post B across its width",
    "parked on": "a vehicle A with nobody in or on it whose base is inside the street band B",
    "riding": "A in a riding pose (legs astride) drawn over B, A's base inside B and A's centre above B",
    "sitting on": "A in a sitting pose (bent legs) drawn over B, A's base inside B's height, A's centre over B",
    "standing on": "A upright (pose 'stand') with its base on B's surface (top of a bench/boat deck or the street)",
    "under": "A's centre x is inside B, A's top is below the upper 30 % of B (beneath a table top, seat or canopy)",
    "walking on": "A in a stride pose (legs apart) with its base inside the street band B",
    "wearing": "a shirt or hat B drawn on the person A (>= 90 % of B inside A, on the torso or the head)",
}

CONTAINERS = ("car", "boat", "tree")


def _inside_fraction(inner, outer) -> float:
    area = box_area(inner)
    return overlap_area(inner, outer) / area if area else 0.0


def _point_in(point, box, tol: int = TOL) -> bool:
    x, y = point
    return box[0] - tol <= x <= box[2] + tol and box[1] - tol <= y <= box[3] + tol


def _centre_x(box) -> float:
    return (box[0] + box[2]) / 2


def _h_overlap(a, b) -> int:
    return min(a[2], b[2]) - max(a[0], b[0])


def _line_joins(scene: Scene, a, b) -> bool:
    return any((_point_in(c.start, a) and _point_in(c.end, b)) or (_point_in(c.end, a) and _point_in(c.start, b))
               for c in scene.connectors)


def relation_holds(scene: Scene, subject: int, obj: int, predicate: str) -> bool:
    """True when relation (subject, predicate, object) satisfies the visible rule of ``predicate``."""
    sa, sb = scene.objects[subject], scene.objects[obj]
    a, b = sa.box, sb.box
    over = sa.z > sb.z
    if predicate == "above":
        return a[3] <= b[1] and b[0] <= _centre_x(a) <= b[2]
    if predicate == "attached to":
        touches = abs(a[0] - b[2]) <= TOL or abs(a[2] - b[0]) <= TOL
        return touches and min(a[3], b[3]) > max(a[1], b[1]) and not (b[0] < _centre_x(a) < b[2])
    if predicate in ("behind", "in front of"):
        if overlap_area(a, b) == 0:
            return False
        return (a[3] < b[3] and not over) if predicate == "behind" else (a[3] > b[3] and over)
    if predicate == "carrying":
        return overlap_area(a, b) > 0 and (_centre_x(b) - _centre_x(a)) * sa.facing < 0 and _line_joins(scene, a, b)
    if predicate == "eating":
        front_touch = _h_overlap(a, b) >= -TOL and (_centre_x(b) - _centre_x(a)) * sa.facing > 0
        return sa.pose == "eat" and front_touch and abs(a[3] - b[3]) <= TOL
    if predicate == "hanging from":
        top_edge = (a[0] - TOL, a[1] - TOL, a[2] + TOL, a[1] + TOL)
        hangs = any(_point_in(c.start, top_edge, 0) or _point_in(c.end, top_edge, 0) for c in scene.connectors)
        return hangs and a[1] > b[1] and _h_overlap(a, b) >= -TOL
    if predicate == "has":
        return _inside_fraction(b, a) >= 0.7 and sb.z > sa.z
    if predicate == "holding":
        return sa.label in ("man", "woman") and _line_joins(scene, a, b)
    if predicate == "in":
        return sb.label in CONTAINERS and _inside_fraction(a, b) >= 0.6
    if predicate == "laying on":
        return sa.pose == "lie" and b[1] <= a[3] <= b[3] + TOL and _h_overlap(a, b) >= 0.5 * (a[2] - a[0]) and over
    if predicate == "looking at":
        toward = b[0] >= a[2] if sa.facing > 0 else b[2] <= a[0]
        return sa.label in ("man", "woman") and sa.pose in ("stand", "walk") and toward
    if predicate == "mounted on":
        return abs(a[3] - b[1]) <= TOL and a[0] <= b[0] and b[2] <= a[2]
    if predicate == "near":
        gap = max(a[0], b[0]) - min(a[2], b[2])
        limit = max(0.6 * max(a[2] - a[0], b[2] - b[0]), 3) + TOL
        return overlap_area(a, b) == 0 and 0 <= gap <= limit and abs(a[3] - b[3]) <= 8
    if predicate == "of":
        return _inside_fraction(a, b) >= 0.7 and over
    if predicate == "on":
        support = min(0.5 * (a[2] - a[0]), 0.8 * (b[2] - b[0]))   # a thin post supports a bird at its top
        rests = b[1] - TOL <= a[3] <= b[3] and a[1] < b[1] and _h_overlap(a, b) >= support
        flat = _inside_fraction(a, b) >= 0.9
        covers_post = a[0] <= b[0] and b[2] <= a[2] and a[1] > b[1]
        return over and (rests or flat or covers_post)
    if predicate == "parked on":
        occupied = any(o.pose in ("incar", "ride") and overlap_area(o.box, a) > 0 for o in scene.objects)
        return not occupied and b[1] < a[3] <= b[3]
    if predicate == "riding":
        return sa.pose == "ride" and b[1] < a[3] <= b[3] and b[0] <= _centre_x(a) <= b[2] and over
    if predicate == "sitting on":
        return sa.pose == "sit" and b[1] <= a[3] <= b[3] + TOL and b[0] <= _centre_x(a) <= b[2] and over
    if predicate == "standing on":
        return sa.pose == "stand" and b[1] - TOL <= a[3] <= b[3] and _h_overlap(a, b) > 0
    if predicate == "under":
        return b[0] <= _centre_x(a) <= b[2] and a[1] >= b[1] + 0.3 * (b[3] - b[1]) and a[3] <= b[3] + TOL
    if predicate == "walking on":
        return sa.pose == "walk" and b[1] <= a[3] <= b[3] and _h_overlap(a, b) > 0
    if predicate == "wearing":
        return sa.label in ("man", "woman") and sb.label in ("shirt", "hat") and _inside_fraction(b, a) >= 0.9 and \
            sb.z > sa.z
    raise KeyError(f"no visible rule for predicate {predicate!r}")
