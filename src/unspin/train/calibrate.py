"""The article-level heads (frames, genre) and calibration curves.

Frame and genre heads pick their regularisation and thresholds by cross-validation over
the training articles only, and are then scored once on validation. The genre head's
logits are divided by a temperature fitted on its out-of-fold predictions, so that its
probabilities can say "uncertain".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..evaluate import score_frames, score_genre
from ..model.decode import Curve
from ..model.heads import LinearHead, article_features
from ..model.inference import ParagraphPrediction
from ..taxonomy import FRAME_LABELS, GENRE_LABELS
from .data import ArticleExample

GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
#: Below this calibrated probability (or under GENRE_MIN_WORDS words) the genre is shown as uncertain.
GENRE_MIN_CONFIDENCE = 0.6
GENRE_MIN_WORDS = 60
MAX_CONFIDENCE = 0.99


# --- article heads -------------------------------------------------------------------------


def fit_article_heads(
    articles: Sequence[ArticleExample], predict: Callable[[list[str]], list[ParagraphPrediction]], seed: int
) -> tuple[LinearHead, LinearHead, dict, dict]:
    """Fit the frame and genre heads on the training articles; report them on validation."""
    features = _article_matrix(articles, predict)
    train = np.array([not a.validation for a in articles])
    frames_head, frame_threshold = _fit_frames(features, articles, train, seed)
    genre_head = _fit_genre(features, articles, train, seed)
    metrics = {
        "frames": _frame_report(features, articles, ~train, frames_head, frame_threshold),
        "genre": _genre_report(features, articles, ~train, genre_head),
    }
    return frames_head, genre_head, {"frame": frame_threshold}, metrics


def _article_matrix(articles: Sequence[ArticleExample], predict) -> np.ndarray:
    texts, owners = [], []
    for index, example in enumerate(articles):
        for paragraph in example.article.paragraphs:
            texts.append(paragraph.text)
            owners.append(index)
    predictions = predict(texts)
    grouped: list[list[ParagraphPrediction]] = [[] for _ in articles]
    for owner, prediction in zip(owners, predictions, strict=False):
        grouped[owner].append(prediction)
    return np.stack([article_features(g) for g in grouped])


def _frames_head(model, mean: np.ndarray, scale: np.ndarray) -> LinearHead:
    coef = np.stack([e.coef_[0] for e in model.estimators_])
    intercept = np.array([e.intercept_[0] for e in model.estimators_])
    return LinearHead(
        mean.astype(np.float32),
        scale.astype(np.float32),
        coef.astype(np.float32),
        intercept.astype(np.float32),
        multilabel=True,
    )


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x.mean(0), x.std(0) + 1e-6


def _frame_matrix(articles: Sequence[ArticleExample]) -> np.ndarray:
    return np.array([[float(f in (a.frames or ())) for f in FRAME_LABELS] for a in articles])


def _frames_from_probs(probs: np.ndarray, threshold: float) -> list[tuple[str, ...]]:
    """Labels above the threshold; every article gets at least its most likely frame."""
    return [tuple(FRAME_LABELS[i] for i in np.flatnonzero((row >= threshold) | (row == row.max()))) for row in probs]


def _fit_frames(features: np.ndarray, articles, train: np.ndarray, seed: int) -> tuple[LinearHead, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.multiclass import OneVsRestClassifier

    rows = train & np.array([a.frames is not None for a in articles])
    x, y = features[rows], _frame_matrix([a for a, r in zip(articles, rows, strict=False) if r])
    mean, scale = _standardise(x)
    x = (x - mean) / scale
    folds = KFold(5, shuffle=True, random_state=seed)
    best = (-1.0, 0.01, 0.5)
    for c in (0.003, 0.01, 0.03, 0.1):
        model = OneVsRestClassifier(LogisticRegression(C=c, max_iter=2000))
        probs = cross_val_predict(model, x, y, cv=folds, method="predict_proba")
        gold = {str(i): tuple(FRAME_LABELS[j] for j in np.flatnonzero(row)) for i, row in enumerate(y)}
        for threshold in GRID:
            pred = dict(zip(gold, _frames_from_probs(probs, threshold), strict=False))
            f1 = score_frames(gold, pred).micro_f1
            best = max(best, (f1, c, float(threshold)))
    model = OneVsRestClassifier(LogisticRegression(C=best[1], max_iter=2000)).fit(x, y)
    return _frames_head(model, mean, scale), best[2]


def _fit_genre(features: np.ndarray, articles, train: np.ndarray, seed: int) -> LinearHead:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rows = train & np.array([a.genre is not None for a in articles])
    x = features[rows]
    y = np.array([GENRE_LABELS.index(a.genre) for a, r in zip(articles, rows, strict=False) if r])
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
    model = LogisticRegression(C=best[1], max_iter=2000, class_weight="balanced")
    out_of_fold = cross_val_predict(model, x, y, cv=folds, method="predict_proba")
    temperature = _temperature(np.log(np.clip(out_of_fold, 1e-6, 1.0)), y)
    model.fit(x, y)
    return _genre_head(model, mean, scale, temperature)


def _temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of out-of-fold log-probabilities."""
    from scipy.optimize import minimize_scalar

    index = np.searchsorted(np.unique(y), y)

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(1, keepdims=True)
        return float(-(z[np.arange(len(y)), index] - np.log(np.exp(z).sum(1))).mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def _genre_head(model, mean: np.ndarray, scale: np.ndarray, temperature: float = 1.0) -> LinearHead:
    """A softmax over all genres, also when the training rows lacked some (a genre never seen gets -inf)."""
    coef = np.zeros((len(GENRE_LABELS), len(mean)), np.float32)
    intercept = np.full(len(GENRE_LABELS), -1e4, np.float32)
    if len(model.classes_) == 2:  # sklearn stores one binary logit: class 1 against class 0
        intercept[model.classes_[0]] = 0.0
        coef[model.classes_[1]], intercept[model.classes_[1]] = model.coef_[0], model.intercept_[0]
    else:
        coef[model.classes_], intercept[model.classes_] = model.coef_, model.intercept_
    coef, intercept = coef / temperature, np.where(intercept > -1e4, intercept / temperature, intercept)
    return LinearHead(mean.astype(np.float32), scale.astype(np.float32), coef, intercept, multilabel=False)


def _frame_report(features, articles, validation, head: LinearHead, threshold: float) -> dict:
    report: dict = {"threshold": threshold, "per_language": {}}
    for language in sorted({a.language for a in articles}):
        rows = [i for i, a in enumerate(articles) if validation[i] and a.language == language and a.frames is not None]
        if not rows:
            continue
        gold = {articles[i].article.id: articles[i].frames for i in rows}
        pred = dict(zip(gold, _frames_from_probs(head.predict_proba(features[rows]), threshold), strict=False))
        report["per_language"][language] = {
            "articles": len(rows),
            "micro_f1": round(score_frames(gold, pred).micro_f1, 4),
        }
    rows = [i for i, a in enumerate(articles) if validation[i] and a.frames is not None]
    probs = head.predict_proba(features[rows])
    report["calibration"] = reliability(probs.ravel(), _frame_matrix([articles[i] for i in rows]).ravel())
    return report


def _genre_report(features, articles, validation, head: LinearHead) -> dict:
    report: dict = {"per_language": {}}
    for language in sorted({a.language for a in articles}):
        rows = [i for i, a in enumerate(articles) if validation[i] and a.language == language and a.genre is not None]
        if not rows:
            continue
        gold = {articles[i].article.id: articles[i].genre for i in rows}
        predicted = head.predict_proba(features[rows]).argmax(1)
        pred = {k: GENRE_LABELS[v] for k, v in zip(gold, predicted, strict=False)}
        report["per_language"][language] = {
            "articles": len(rows),
            "macro_f1": round(score_genre(gold, pred).macro_f1, 4),
        }
    rows = [i for i, a in enumerate(articles) if validation[i] and a.genre is not None]
    probs = head.predict_proba(features[rows])
    correct = probs.argmax(1) == np.array([GENRE_LABELS.index(articles[i].genre) for i in rows])
    report["calibration"] = reliability(probs.max(1), correct.astype(float))
    confident = probs.max(1) >= GENRE_MIN_CONFIDENCE
    report["uncertain_rule"] = {
        "min_confidence": GENRE_MIN_CONFIDENCE,
        "share_uncertain": round(float(1 - confident.mean()), 4),
        "accuracy_confident": round(float(correct[confident].mean()), 4) if confident.any() else None,
        "accuracy_uncertain": round(float(correct[~confident].mean()), 4) if (~confident).any() else None,
    }
    return report


# --- calibration ---------------------------------------------------------------------------


def isotonic_curve(raw: np.ndarray, target: np.ndarray, knots: int = 64) -> Curve:
    """A monotone map from raw scores to the observed rate of ``target``, kept to at most ``knots`` points."""
    from sklearn.isotonic import IsotonicRegression

    if len(raw) < 2:  # nothing to learn from (a tiny quick model finds no span)
        return Curve.identity()
    # Never 0 or 1: a handful of items in the top bin must not make the model claim certainty.
    model = IsotonicRegression(y_min=0.0, y_max=MAX_CONFIDENCE, out_of_bounds="clip").fit(raw, target)
    x, y = model.X_thresholds_, model.y_thresholds_
    if len(x) > knots:
        keep = np.unique(np.linspace(0, len(x) - 1, knots).round().astype(int))
        x, y = x[keep], y[keep]
    return Curve(np.concatenate([[0.0], x, [1.0]]), np.concatenate([[y[0]], y, [y[-1]]]))


def reliability(confidence: np.ndarray, outcome: np.ndarray, bins: int = 10) -> dict:
    """Expected calibration error and a reliability table (mean confidence against observed rate per bin)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        if not inside.any():
            continue
        mean_confidence, rate = float(confidence[inside].mean()), float(outcome[inside].mean())
        ece += inside.mean() * abs(mean_confidence - rate)
        table.append(
            {
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "n": int(inside.sum()),
                "confidence": round(mean_confidence, 3),
                "observed": round(rate, 3),
            }
        )
    return {"ece": round(float(ece), 4), "n": len(confidence), "table": table}
