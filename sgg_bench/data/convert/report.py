"""What a converter kept and dropped, with the reason for every drop (printed as its summary)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class ConversionReport:
    """Counts of images / objects / relations kept, and dropped per (kind, reason)."""

    source: str
    target: str
    out: str = ""
    kept: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def keep(self, kind: str, count: int = 1) -> None:
        self.kept[kind] += count

    def drop(self, kind: str, reason: str, count: int = 1) -> None:
        if count:
            self.dropped[(kind, reason)] += count

    def dropped_count(self, kind: str) -> int:
        return sum(n for (k, _), n in self.dropped.items() if k == kind)

    def to_json(self) -> dict:
        return {"source": self.source, "target": self.target, "out": self.out,
                "kept": {kind: self.kept[kind] for kind in ("images", "objects", "relations")},
                "dropped": [{"kind": k, "reason": r, "count": n} for (k, r), n in sorted(self.dropped.items())],
                "notes": list(self.notes)}

    def format(self) -> str:
        lines = [f"converted {self.source} -> {self.target}: {self.out}",
                 "  kept: " + ", ".join(f"{self.kept[k]} {k}" for k in ("images", "objects", "relations"))]
        for kind in sorted(set(self.kept) - {"images", "objects", "relations"}):
            lines.append(f"  also: {self.kept[kind]} {kind}")
        if self.dropped:
            lines.append("  dropped:")
            for (kind, reason), count in sorted(self.dropped.items()):
                lines.append(f"    {count} {kind}: {reason}")
        else:
            lines.append("  dropped: nothing")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)
