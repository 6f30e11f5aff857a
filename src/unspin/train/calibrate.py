"""Decision thresholds, validation reports and the article-level heads (frames, genre).

Technique thresholds are chosen on the validation split; a single global threshold is
used because per-label thresholds overfit the small per-language validation sets. Frame
and genre heads pick their regularisation and thresholds by cross-validation over the
training articles only, and are then scored once on validation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..evaluate import score_frames, score_genre, score_spans, score_techniques
from ..formats.semeval import LabelledSpan
from ..model.heads import LinearHead, article_features
from ..model.inference import ParagraphPrediction, decode_spans
from ..taxonomy import FRAME_LABELS, GENRE_LABELS, TECHNIQUE_LABELS
from .data import ArticleExample, ParagraphExample

GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


def _predicted_labels(probs: np.ndarray, threshold: float) -> tuple[str, ...]:
    return tuple(TECHNIQUE_LABELS[i] for i in np.flatnonzero(probs >= threshold))


def _technique_scores(paragraphs: Sequence[ParagraphExample], predictions: Sequence[ParagraphPrediction],
                      threshold: float):  # noqa: ANN202
    gold = {(p.article_id, p.number): p.labels for p in paragraphs}
    pred = {(p.article_id, p.number): _predicted_labels(q.paragraph_probs, threshold)
            for p, q in zip(paragraphs, predictions)}
    return score_techniques(gold, pred)


def _by_language(paragraphs: Sequence[ParagraphExample], predictions: Sequence[ParagraphPrediction]):  # noqa: ANN202
    groups: dict[str, tuple[list, list]] = {}
    for p, q in zip(paragraphs, predictions):
        group = groups.setdefault(p.language, ([], []))
        group[0].append(p)
        group[1].append(q)
    return groups


def technique_thresholds(paragraphs: Sequence[ParagraphExample], predictions: Sequence[ParagraphPrediction]) -> dict:
    """The global paragraph threshold maximising the mean per-language micro-F1, and the span threshold."""
    groups = _by_language(paragraphs, predictions)

    def mean_f1(threshold: float) -> float:
        return float(np.mean([_technique_scores(p, q, threshold).micro_f1 for p, q in groups.values()]))

    paragraph_threshold = max(GRID, key=mean_f1)
    span_threshold = max(GRID, key=lambda t: _span_scores(paragraphs, predictions, t, True).f1)
    return {"technique": float(paragraph_threshold), "span": float(span_threshold)}


def _spans(paragraphs: Sequence[ParagraphExample], predictions: Sequence[ParagraphPrediction] | None,
           threshold: float = 0.5) -> list[LabelledSpan]:
    spans = []
    for i, p in enumerate(paragraphs):
        key = f"{p.article_id}:{p.number}"
        if predictions is None:
            spans += [LabelledSpan(key, technique, s, e) for s, e, technique in p.spans]
        else:
            thresholds = np.full(len(TECHNIQUE_LABELS), threshold, np.float32)
            spans += [LabelledSpan(key, TECHNIQUE_LABELS[c], s, e) for s, e, c, _ in decode_spans(predictions[i], thresholds)]
    return spans


def _span_scores(paragraphs, predictions, threshold: float, technique_aware: bool):  # noqa: ANN001, ANN202
    return score_spans(_spans(paragraphs, None), _spans(paragraphs, predictions, threshold), technique_aware=technique_aware)


def technique_report(paragraphs: Sequence[ParagraphExample], predictions: Sequence[ParagraphPrediction],
                     thresholds: dict) -> dict:
    """Validation metrics per language: paragraph micro/macro-F1 and span P/R/F1."""
    report: dict = {"per_language": {}}
    for language, (p, q) in sorted(_by_language(paragraphs, predictions).items()):
        scores = _technique_scores(p, q, thresholds["technique"])
        agnostic = _span_scores(p, q, thresholds["span"], False)
        aware = _span_scores(p, q, thresholds["span"], True)
        report["per_language"][language] = {
            "paragraphs": len(p), "micro_f1": round(scores.micro_f1, 4), "macro_f1": round(scores.macro_f1, 4),
            "span_agnostic": {"precision": round(agnostic.precision, 4), "recall": round(agnostic.recall, 4), "f1": round(agnostic.f1, 4)},
            "span_aware": {"precision": round(aware.precision, 4), "recall": round(aware.recall, 4), "f1": round(aware.f1, 4)},
        }
    values = report["per_language"].values()
    report["summary"] = {"mean_micro_f1": round(float(np.mean([v["micro_f1"] for v in values])), 4),
                         "mean_span_aware_f1": round(float(np.mean([v["span_aware"]["f1"] for v in values])), 4)}
    return report


# --- article heads -------------------------------------------------------------------------


def fit_article_heads(articles: Sequence[ArticleExample], predict: Callable[[list[str]], list[ParagraphPrediction]],
                      seed: int) -> tuple[LinearHead, LinearHead, dict, dict]:
    """Fit the frame and genre heads on the training articles; report them on validation."""
    features = _article_matrix(articles, predict)
    train = np.array([not a.validation for a in articles])
    frames_head, frame_threshold = _fit_frames(features, articles, train, seed)
    genre_head = _fit_genre(features, articles, train, seed)
    metrics = {"frames": _frame_report(features, articles, ~train, frames_head, frame_threshold),
               "genre": _genre_report(features, articles, ~train, genre_head)}
    return frames_head, genre_head, {"frame": frame_threshold}, metrics


def _article_matrix(articles: Sequence[ArticleExample], predict) -> np.ndarray:  # noqa: ANN001
    texts, owners = [], []
    for index, example in enumerate(articles):
        for paragraph in example.article.paragraphs:
            texts.append(paragraph.text)
            owners.append(index)
    predictions = predict(texts)
    grouped: list[list[ParagraphPrediction]] = [[] for _ in articles]
    for owner, prediction in zip(owners, predictions):
        grouped[owner].append(prediction)
    return np.stack([article_features(g) for g in grouped])


def _frames_head(model, mean: np.ndarray, scale: np.ndarray) -> LinearHead:  # noqa: ANN001
    coef = np.stack([e.coef_[0] for e in model.estimators_])
    intercept = np.array([e.intercept_[0] for e in model.estimators_])
    return LinearHead(mean.astype(np.float32), scale.astype(np.float32), coef.astype(np.float32),
                      intercept.astype(np.float32), multilabel=True)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(0), x.std(0) + 1e-6


def _frame_matrix(articles: Sequence[ArticleExample]) -> np.ndarray:
    return np.array([[float(f in (a.frames or ())) for f in FRAME_LABELS] for a in articles])


def _frames_from_probs(probs: np.ndarray, threshold: float) -> list[tuple[str, ...]]:
    """Labels above the threshold; every article gets at least its most likely frame."""
    return [tuple(FRAME_LABELS[i] for i in np.flatnonzero((row >= threshold) | (row == row.max()))) for row in probs]


def _fit_frames(features: np.ndarray, articles, train: np.ndarray, seed: int) -> tuple[LinearHead, float]:  # noqa: ANN001
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.multiclass import OneVsRestClassifier

    rows = train & np.array([a.frames is not None for a in articles])
    x, y = features[rows], _frame_matrix([a for a, r in zip(articles, rows) if r])
    mean, scale = _standardise(x)
    x = (x - mean) / scale
    folds = KFold(5, shuffle=True, random_state=seed)
    best = (-1.0, 0.01, 0.5)
    for c in (0.003, 0.01, 0.03, 0.1):
        model = OneVsRestClassifier(LogisticRegression(C=c, max_iter=2000))
        probs = cross_val_predict(model, x, y, cv=folds, method="predict_proba")
        gold = {str(i): tuple(FRAME_LABELS[j] for j in np.flatnonzero(row)) for i, row in enumerate(y)}
        for threshold in GRID:
            pred = dict(zip(gold, _frames_from_probs(probs, threshold)))
            f1 = score_frames(gold, pred).micro_f1
            best = max(best, (f1, c, float(threshold)))
    model = OneVsRestClassifier(LogisticRegression(C=best[1], max_iter=2000)).fit(x, y)
    return _frames_head(model, mean, scale), best[2]


def _fit_genre(features: np.ndarray, articles, train: np.ndarray, seed: int) -> LinearHead:  # noqa: ANN001
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rows = train & np.array([a.genre is not None for a in articles])
    x = features[rows]
    y = np.array([GENRE_LABELS.index(a.genre) for a, r in zip(articles, rows) if r])
    mean, scale = _standardise(x)
    x = (x - mean) / scale
    smallest = int(np.bincount(y)[np.bincount(y) > 0].min())
    folds = StratifiedKFold(max(2, min(5, smallest)), shuffle=True, random_state=seed)
    best = (-1.0, 0.01)
    for c in (0.001, 0.003, 0.01, 0.03, 0.1):
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        predicted = cross_val_predict(model, x, y, cv=folds)
        gold = {str(i): GENRE_LABELS[v] for i, v in enumerate(y)}
        pred = {str(i): GENRE_LABELS[v] for i, v in enumerate(predicted)}
        best = max(best, (score_genre(gold, pred).macro_f1, c))
    model = LogisticRegression(C=best[1], max_iter=2000, class_weight="balanced").fit(x, y)
    return _genre_head(model, mean, scale)


def _genre_head(model, mean: np.ndarray, scale: np.ndarray) -> LinearHead:  # noqa: ANN001
    """A softmax over all genres, also when the training rows lacked some (a genre never seen gets -inf)."""
    coef = np.zeros((len(GENRE_LABELS), len(mean)), np.float32)
    intercept = np.full(len(GENRE_LABELS), -1e4, np.float32)
    if len(model.classes_) == 2:  # sklearn stores one binary logit: class 1 against class 0
        intercept[model.classes_[0]] = 0.0
        coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
    else:
        coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    return LinearHead(mean.astype(np.float32), scale.astype(np.float32), coef, intercept, multilabel=False)


def _frame_report(features, articles, validation, head: LinearHead, threshold: float) -> dict:  # noqa: ANN001
    report: dict = {"threshold": threshold, "per_language": {}}
    for language in sorted({a.language for a in articles}):
        rows = [i for i, a in enumerate(articles) if validation[i] and a.language == language and a.frames is not None]
        if not rows:
            continue
        gold = {articles[i].article.id: articles[i].frames for i in rows}
        pred = dict(zip(gold, _frames_from_probs(head.predict_proba(features[rows]), threshold)))
        report["per_language"][language] = {"articles": len(rows), "micro_f1": round(score_frames(gold, pred).micro_f1, 4)}
    return report


def _genre_report(features, articles, validation, head: LinearHead) -> dict:  # noqa: ANN001
    report: dict = {"per_language": {}}
    for language in sorted({a.language for a in articles}):
        rows = [i for i, a in enumerate(articles) if validation[i] and a.language == language and a.genre is not None]
        if not rows:
            continue
        gold = {articles[i].article.id: articles[i].genre for i in rows}
        predicted = head.predict_proba(features[rows]).argmax(1)
        pred = {k: GENRE_LABELS[v] for k, v in zip(gold, predicted)}
        report["per_language"][language] = {"articles": len(rows), "macro_f1": round(score_genre(gold, pred).macro_f1, 4)}
    return report
