"""Review, correct and export annotations: the human layer over the model's analyses (issue 15)."""

from .model import REVIEW_STATUSES, Decision, Review, ReviewSpan, ReviewStatus, SpanRef, apply_decision

__all__ = ["REVIEW_STATUSES", "Decision", "Review", "ReviewSpan", "ReviewStatus", "SpanRef", "apply_decision"]
