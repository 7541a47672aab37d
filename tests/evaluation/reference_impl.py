"""A deliberately plain implementation of docs/EVALUATION.md, written from its pseudocode (§14, §15.7).

Per-image Python loops, no vectorisation, no code shared with ``sgg_bench.evaluation``; used by
the randomized agreement tests and as the baseline of ``benchmarks/bench_evaluator.py``.
GT: list of ImageGroundTruth. Predictions: dict image id -> ImagePrediction (or missing).
"""
from __future__ import annotations

import numpy as np


def iou_plus_one(a, b) -> np.float32:
    """+1-pixel IoU of two single boxes, in float32 arithmetic."""
    a = [np.float32(v) for v in a]
    b = [np.float32(v) for v in b]
    one = np.float32(1)
    iw = max(np.float32(0), np.float32(min(a[2], b[2]) - max(a[0], b[0]) + one))
    ih = max(np.float32(0), np.float32(min(a[3], b[3]) - max(a[1], b[1]) + one))
    inter = np.float32(iw * ih)
    area_a = np.float32((a[2] - a[0] + one) * (a[3] - a[1] + one))
    area_b = np.float32((b[2] - b[0] + one) * (b[3] - b[1] + one))
    return np.float32(inter / np.float32(area_a + area_b - inter))


def union(a, b):
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


def match(gt_triplets, pred_triplets, phrase=False, threshold=0.5):
    """Each triplet: (subject box, object box, subject label, predicate, object label). -> list of GT index lists."""
    out = []
    for ps, po, psl, pp, pol in pred_triplets:
        hits = []
        for g, (gs, go, gsl, gp, gol) in enumerate(gt_triplets):
            if (gsl, gp, gol) != (psl, pp, pol):
                continue
            if phrase:
                ok = iou_plus_one(union(gs, go), union(ps, po)) >= threshold
            else:
                ok = iou_plus_one(gs, ps) >= threshold and iou_plus_one(go, po) >= threshold
            if ok:
                hits.append(g)
        out.append(hits)
    return out


def reference_vg(ground_truth, predictions, *, mode, num_rel_classes, zeroshot=None, ks=(20, 50, 100),
                 motifs_rule=False, phrase=False, multiple_preds=False):
    zset = set() if zeroshot is None else {tuple(int(v) for v in row) for row in zeroshot}
    rec = {k: [] for k in ks}
    ngrec = {k: [] for k in ks}
    zrec = {k: [] for k in ks}
    ngzrec = {k: [] for k in ks}
    mr = {k: {p: [] for p in range(1, num_rel_classes)} for k in ks}
    ngmr = {k: {p: [] for p in range(1, num_rel_classes)} for k in ks}
    a_hits = {k: 0 for k in ks}
    a_count = 0
    for gt in ground_truth:
        rels = [tuple(int(v) for v in row) for row in gt.relations]
        if len(rels) == 0:
            continue
        pred = predictions.get(int(gt.image_id))
        pairs = [] if pred is None else [tuple(int(v) for v in row) for row in pred.rel_pairs]
        if len(pairs) == 0 and not motifs_rule:
            continue
        if mode in ("predcls", "preddet"):
            boxes, labels, scores = gt.boxes, gt.labels, [1.0] * len(gt.labels)
        elif pred is not None:
            boxes, labels, scores = pred.boxes, pred.labels, pred.scores
        else:
            boxes, labels, scores = [], [], []
        gtt = [(gt.boxes[s], gt.boxes[o], int(gt.labels[s]), p, int(gt.labels[o])) for s, o, p in rels]
        probs = pred.rel_scores if pairs else np.zeros((0, num_rel_classes), np.float32)
        pred_t = []
        for m, (i, j) in enumerate(pairs):
            c = 1 + int(np.argmax(probs[m, 1:]))
            pred_t.append((boxes[i], boxes[j], int(labels[i]), c, int(labels[j])))
        cand = []
        for m, (i, j) in enumerate(pairs):
            sij = np.float32(np.float32(scores[i]) * np.float32(scores[j]))
            for c in range(1, num_rel_classes):
                cand.append((float(np.float32(sij * probs[m, c])), m, c))
        cand.sort(key=lambda t: -t[0])
        cand = cand[:100]
        ng_t = [(boxes[pairs[m][0]], boxes[pairs[m][1]], int(labels[pairs[m][0]]), c, int(labels[pairs[m][1]]))
                for _, m, c in cand]
        p2g = match(gtt, pred_t, phrase)
        p2g_ng = match(gtt, ng_t, phrase)
        gt_pairs = {(s, o) for s, o, _ in rels}
        in_gt_p2g = [p2g[m] for m, pr in enumerate(pairs) if pr in gt_pairs]
        if multiple_preds:
            p2g = p2g_ng
        zi = {g for g, (s, o, p) in enumerate(rels) if (int(gt.labels[s]), int(gt.labels[o]), p) in zset}
        n = len(rels)
        for k in ks:
            hit = set(g for lst in p2g[:k] for g in lst)
            nhit = set(g for lst in p2g_ng[:k] for g in lst)
            rec[k].append(len(hit) / n)
            ngrec[k].append(len(nhit) / n)
            for p in sorted({r[2] for r in rels}):
                rows = [g for g, r in enumerate(rels) if r[2] == p]
                mr[k][p].append(sum(g in hit for g in rows) / len(rows))
                ngmr[k][p].append(sum(g in nhit for g in rows) / len(rows))
            if zi:
                zrec[k].append(len(zi & hit) / len(zi))
                ngzrec[k].append(len(zi & nhit) / len(zi))
            if mode in ("predcls", "sgcls"):
                a_hits[k] += len(set(g for lst in in_gt_p2g[:k] for g in lst))
        a_count += n
    out = {}
    for k in ks:
        out[f"R@{k}"] = float(np.mean(rec[k])) if rec[k] else None
        out[f"ngR@{k}"] = float(np.mean(ngrec[k])) if ngrec[k] else None
        out[f"zR@{k}"] = float(np.mean(zrec[k])) if zrec[k] else None
        out[f"ng-zR@{k}"] = float(np.mean(ngzrec[k])) if ngzrec[k] else None
        for name, table in (("mR", mr), ("ng-mR", ngmr)):
            if not rec[k]:
                out[f"{name}@{k}"] = None
                continue
            vals = [float(np.mean(table[k][p])) if table[k][p] else 0.0 for p in range(1, num_rel_classes)]
            out[f"{name}@{k}"] = sum(vals) / (num_rel_classes - 1)
        out[f"A@{k}"] = a_hits[k] / a_count if (mode in ("predcls", "sgcls") and a_count) else None
        r, m = out[f"R@{k}"], out[f"mR@{k}"]
        out[f"F@{k}"] = None if r is None else (0.0 if r + m == 0 else 2 * r * m / (r + m))
    return out


def reference_oi(ground_truth, predictions, *, num_rel_classes, ks=(1, 5, 10, 20, 50, 100)):
    dets = {c: [] for c in range(1, num_rel_classes)}
    gts = {c: {} for c in range(1, num_rel_classes)}
    npos = {c: 0 for c in range(1, num_rel_classes)}
    hits = {k: 0 for k in ks}
    total = 0
    for gt in ground_truth:
        img = int(gt.image_id)
        rels = [tuple(int(v) for v in row) for row in gt.relations]
        gtt = [(gt.boxes[s], gt.boxes[o], int(gt.labels[s]), p, int(gt.labels[o])) for s, o, p in rels]
        for g, (s, o, p) in enumerate(rels):
            gts[p].setdefault(img, []).append(gtt[g])
            npos[p] += 1
        total += len(rels)
        pred = predictions.get(img)
        if pred is None or len(pred.rel_pairs) == 0:
            continue
        cand = []
        for m, (i, j) in enumerate(pred.rel_pairs):
            fg = pred.rel_scores[m, 1:]
            best = sorted(range(len(fg)), key=lambda c: -fg[c])[:2]
            sij = np.float32(np.float32(pred.scores[i]) * np.float32(pred.scores[j]))
            for c in best:
                cand.append((float(np.float32(sij * fg[c])), int(i), int(j), c + 1))
        cand.sort(key=lambda t: -t[0])
        cand = [t for t in cand[:100] if t[0] > 1e-5]
        trip = [(pred.boxes[i], pred.boxes[j], int(pred.labels[i]), c, int(pred.labels[j])) for _, i, j, c in cand]
        p2g = match(gtt, trip)
        for k in ks:
            hits[k] += len(set(g for lst in p2g[:k] for g in lst))
        for (score, _, _, c), t in zip(cand, trip):
            dets[c].append((score, img, t))
    out = {f"oi/R@{k}": hits[k] / (total + 1e-12) for k in ks}
    for rule in ("rel", "phr"):
        aps = {}
        for c in range(1, num_rel_classes):
            if npos[c] == 0:
                aps[c] = 0.0
                continue
            taken = {img: [False] * len(rows) for img, rows in gts[c].items()}
            tp, fp = [], []
            for score, img, (ps, po, psl, _, pol) in sorted(dets[c], key=lambda d: -d[0]):
                rows = gts[c].get(img, [])
                best_ov, best_j = -1.0, -1
                for j, (gs, go, gsl, _, gol) in enumerate(rows):
                    valid = gsl == psl and gol == pol
                    if rule == "rel":
                        ov = min(iou_plus_one(ps, gs), iou_plus_one(po, go))
                    else:
                        ov = iou_plus_one(union(ps, po), union(gs, go))
                    ov = float(ov) if valid else 0.0
                    if ov > best_ov:
                        best_ov, best_j = ov, j
                if best_j >= 0 and best_ov > 0.5 and not taken[img][best_j]:
                    taken[img][best_j] = True
                    tp.append(1.0)
                    fp.append(0.0)
                else:
                    tp.append(0.0)
                    fp.append(1.0)
            ctp = np.cumsum(tp)
            cfp = np.cumsum(fp)
            recall = ctp / (npos[c] + 1e-12)
            precision = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
            mrec = [0.0] + list(recall) + [1.0]
            mpre = [0.0] + list(precision) + [0.0]
            for i in range(len(mpre) - 2, -1, -1):
                mpre[i] = max(mpre[i], mpre[i + 1])
            aps[c] = sum((mrec[i + 1] - mrec[i]) * mpre[i + 1] for i in range(len(mrec) - 1) if mrec[i + 1] != mrec[i])
        out[f"mAP_{rule}"] = sum(aps.values()) / (num_rel_classes - 1)
        n = sum(npos.values())
        out[f"wmAP_{rule}"] = sum(aps[c] * npos[c] for c in aps) / n if n else 0.0
    out["final_score"] = 0.2 * out["oi/R@50"] + 0.4 * out["mAP_rel"] + 0.4 * out["mAP_phr"]
    out["score_wtd"] = 0.2 * out["oi/R@50"] + 0.4 * out["wmAP_rel"] + 0.4 * out["wmAP_phr"]
    return out
