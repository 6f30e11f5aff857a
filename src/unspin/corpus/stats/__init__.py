"""Pure statistics of the corpus: numpy, scipy and scikit-learn on arrays, no database.

- :mod:`.clustering`: narratives (source centring, PCA and HDBSCAN, the nearest centre for
  the rest, class-based TF-IDF labels);
- :mod:`.changepoints`: where a series' mean level shifts (PELT);
- :mod:`.significance`: the exact conditional Poisson test, rate ratios and
  Benjamini-Hochberg;
- :mod:`.phrases`: words, normalised phrases and the capitalised-run name heuristic.

:mod:`unspin.store` reads the data in SQL and calls these.
"""
