"""The corpus services beside the store: period arithmetic, statistics, and the dashboard's view model.

:mod:`.periods` turns days into days, ISO weeks and calendar months; :mod:`.stats` holds the
pure numerical methods (clustering, change points, tests, phrase extraction) that
:mod:`unspin.store` runs on what its SQL reads; :mod:`.views` assembles the dashboard's view
model from the store's questions, for the renderers and the API.
"""
