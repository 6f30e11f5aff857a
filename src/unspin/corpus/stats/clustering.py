"""Narratives as clusters of article embeddings: centred per source, reduced by PCA, clustered by HDBSCAN.

:func:`cluster` fits on a sample; :meth:`Clusters.assign` puts other articles (and the
sample's noise) in the nearest cluster when they are close enough; :func:`cluster_terms`
names each cluster by class-based TF-IDF over its articles' texts. Everything works on
arrays; :mod:`unspin.store.narratives` reads the vectors and texts and stores the result.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> vectors = np.concatenate([rng.normal(centre, 0.05, (40, 8)) for centre in np.eye(8)[:3]])
>>> clusters = cluster(vectors, np.array(["one source"] * 120), min_cluster_size=10)
>>> len(clusters.centroids), int((clusters.labels >= 0).sum())
(3, 120)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from ...stopwords import STOP_WORDS

if TYPE_CHECKING:
    from sklearn.decomposition import PCA

DIMENSIONS = 10
MIN_SAMPLES = 10
SHRINK = 10  # articles; see Centring
ASSIGN_QUANTILE = 0.95
TERMS = 10


@dataclass
class Centring:
    """Each source's mean embedding, taken off its articles before clustering.

    The encoder's vectors carry the language and the house style of an outlet as strongly
    as the story: on the demo corpus, clusters of the raw vectors were the languages (ARI
    against the true storylines 0.005), and of source-centred vectors the storylines (ARI
    0.99 on the clustered articles). A source's mean is shrunk towards zero by
    ``n / (n + SHRINK)``, so that a source with a handful of articles keeps most of its signal.
    """

    means: dict[str, np.ndarray]

    @classmethod
    def fit(cls, vectors: np.ndarray, sources: np.ndarray) -> Centring:
        means = {}
        for source in set(sources.tolist()):
            rows = vectors[sources == source]
            means[source] = rows.mean(0) * (len(rows) / (len(rows) + SHRINK))
        return cls(means)

    def apply(self, vectors: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """The vectors less their source's mean (none for a source not fitted), scaled to unit length."""
        zero = np.zeros(vectors.shape[1], vectors.dtype)
        centred = vectors - np.stack([self.means.get(source, zero) for source in sources.tolist()])
        return centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)


@dataclass
class Clusters:
    """The clusters of a sample, and what it takes to place other vectors among them."""

    centring: Centring
    pca: PCA
    labels: np.ndarray  # per sampled vector: its cluster, or -1 (noise)
    probabilities: np.ndarray  # HDBSCAN's membership strengths
    centroids: np.ndarray  # (clusters, dimensions)
    member_distances: list[np.ndarray]  # per cluster, its members' sorted distances to the centre

    def reduce(self, vectors: np.ndarray, sources: np.ndarray) -> np.ndarray:
        """Vectors in the clustering space: centred by source, then projected by the PCA."""
        return self.pca.transform(self.centring.apply(vectors, sources))

    def assign(self, vectors: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, clusters, probabilities) of the vectors close enough to their nearest cluster centre.

        A vector joins the nearest centre when no farther from it than
        :data:`ASSIGN_QUANTILE` of that cluster's own members are; its probability is the
        share of members farther away. The rest (rows left out) belong to no cluster.
        """
        if not len(self.centroids):
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
        reduced = self.reduce(vectors, sources)
        distances = np.linalg.norm(reduced[:, None, :] - self.centroids[None, :, :], axis=2)
        nearest = distances.argmin(1)
        distance = distances[np.arange(len(reduced)), nearest]
        probability = np.zeros(len(reduced))
        keep = np.zeros(len(reduced), bool)
        for c, members in enumerate(self.member_distances):
            rows = nearest == c
            keep[rows] = distance[rows] <= np.quantile(members, ASSIGN_QUANTILE)
            probability[rows] = 1 - np.searchsorted(members, distance[rows]) / len(members)
        return np.flatnonzero(keep), nearest[keep], probability[keep]

    def central(self, ids: np.ndarray, limit: int) -> list[np.ndarray]:
        """Per cluster, up to ``limit`` of its members' ``ids``, highest probability first (ties: lowest id)."""
        chosen = []
        for c in range(len(self.centroids)):
            rows = np.flatnonzero(self.labels == c)
            order = np.lexsort((ids[rows], -self.probabilities[rows]))
            chosen.append(ids[rows[order[:limit]]])
        return chosen


def cluster(
    vectors: np.ndarray, sources: np.ndarray, min_cluster_size: int, dimensions: int = DIMENSIONS, seed: int = 0
) -> Clusters:
    """Cluster vectors (rows) of the given sources: centred per source, PCA to ``dimensions``, then HDBSCAN.

    HDBSCAN (scikit-learn) runs with ``min_samples=10`` (or ``min_cluster_size`` if
    smaller); its minimum spanning tree costs O(n²·d), hence the reduction.
    """
    from sklearn.cluster import HDBSCAN  # scikit-learn loads only to build
    from sklearn.decomposition import PCA

    centring = Centring.fit(vectors, sources)
    vectors = centring.apply(vectors, sources)
    pca = PCA(min(dimensions, *vectors.shape), random_state=seed).fit(vectors)
    reduced = pca.transform(vectors)
    hdbscan = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min(MIN_SAMPLES, min_cluster_size), copy=True).fit(
        reduced
    )
    labels = hdbscan.labels_
    centroids = np.array([reduced[labels == c].mean(0) for c in range(labels.max() + 1)]).reshape(-1, reduced.shape[1])
    distances = [np.sort(np.linalg.norm(reduced[labels == c] - centroids[c], axis=1)) for c in range(len(centroids))]
    return Clusters(centring, pca, labels, hdbscan.probabilities_, centroids, distances)


def cluster_terms(documents: list[list[str]], n: int = TERMS) -> list[list[str]]:
    """Each cluster's top ``n`` terms, best first, by class-based TF-IDF over its ``documents``.

    The BERTopic weighting ``tf(t, c) * log(1 + A / f(t))``, with A the mean number of
    words per cluster, over words of three or more letters, lower-cased, without stop
    words; with 20 documents or more, a word must be in two of them.

    Examples
    --------
    >>> cluster_terms([["Gas prices rise", "gas prices fall"], ["The election result", "An election"]])
    [['gas', 'prices', 'fall', 'rise'], ['election', 'result']]
    """
    from sklearn.feature_extraction.text import CountVectorizer

    flat = [document for cluster in documents for document in cluster]
    classes = np.repeat(np.arange(len(documents)), [len(cluster) for cluster in documents])
    vectorizer = CountVectorizer(
        token_pattern=r"(?u)\b[^\W\d_]{3,}\b", stop_words=sorted(STOP_WORDS), min_df=2 if len(flat) >= 20 else 1
    )
    try:
        counts = vectorizer.fit_transform(flat)
    except ValueError:  # no words at all
        return [[] for _ in documents]
    per_class = (
        sparse.csr_matrix(
            (np.ones(len(classes)), (classes, np.arange(len(classes)))), shape=(len(documents), len(classes))
        )
        @ counts
    )
    weights = _c_tf_idf(sparse.csr_matrix(per_class, dtype=np.float64))
    vocabulary = vectorizer.get_feature_names_out()
    return [_top_terms(weights.getrow(c), vocabulary, n) for c in range(len(documents))]


def _c_tf_idf(per_class: sparse.csr_matrix) -> sparse.csr_matrix:
    words = np.asarray(per_class.sum(1)).ravel()
    frequency = np.asarray(per_class.sum(0)).ravel()
    tf = sparse.diags(1 / np.maximum(words, 1)) @ per_class
    idf = np.log(1 + words.mean() / np.maximum(frequency, 1))
    return sparse.csr_matrix(tf @ sparse.diags(idf))


def _top_terms(row: sparse.csr_matrix, vocabulary: np.ndarray, n: int) -> list[str]:
    order = np.lexsort((vocabulary[row.indices], -row.data))[:n]
    return [str(vocabulary[row.indices[i]]) for i in order if row.data[i] > 0]
