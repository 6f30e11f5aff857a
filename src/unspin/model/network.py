"""The technique network: the encoder plus a token head (spans) and a paragraph head."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .encoder import Encoder


@dataclass
class NetOutput:
    token_logits: torch.Tensor  # (batch, length, techniques)
    paragraph_logits: torch.Tensor  # (batch, techniques)
    pooled: torch.Tensor  # (batch, hidden): mean of the last layer over real tokens
    pooled_lower: torch.Tensor  # (batch, hidden): the same at the first trainable layer's input
    states: torch.Tensor  # (batch, length, hidden): the last layer, for scoring sentences inside a window


class PersuasionNet(nn.Module):
    """Multi-label technique tagger: per token (spans) and per window (paragraph labels)."""

    def __init__(self, encoder: Encoder, n_techniques: int, frozen_layers: int) -> None:
        super().__init__()
        hidden = encoder.hidden_size
        self.encoder = encoder
        self.frozen_layers = frozen_layers
        self.dropout = nn.Dropout(0.1)
        self.token_head = nn.Linear(hidden, n_techniques)
        self.paragraph_head = nn.Linear(2 * hidden, n_techniques)

    def lower(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Hidden states after the frozen layers (cacheable during training)."""
        return self.encoder.run_layers(self.encoder.embed(input_ids), mask, 0, self.frozen_layers)

    def upper(self, lower_states: torch.Tensor, mask: torch.Tensor) -> NetOutput:
        states = self.encoder.run_layers(lower_states, mask, self.frozen_layers, len(self.encoder.layers))
        weights = mask.unsqueeze(-1).to(states.dtype)
        count = weights.sum(1).clamp(min=1.0)
        pooled = (states * weights).sum(1) / count
        pooled_lower = (lower_states * weights).sum(1) / count
        maxed = states.masked_fill(weights == 0, torch.finfo(states.dtype).min).amax(1)
        paragraph_logits = self.paragraph_head(self.dropout(torch.cat([pooled, maxed], -1)))
        token_logits = self.token_head(self.dropout(states))
        return NetOutput(token_logits, paragraph_logits, pooled, pooled_lower, states)

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> NetOutput:
        return self.upper(self.lower(input_ids, mask), mask)

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The parameters that training changes: upper layers and heads (what a bundle stores)."""
        prefixes = tuple(f"encoder.layers.{i}." for i in range(self.frozen_layers, len(self.encoder.layers)))
        return {k: v for k, v in self.state_dict().items() if k.startswith(prefixes) or not k.startswith("encoder.")}

    def freeze_lower(self) -> None:
        for name, param in self.named_parameters():
            param.requires_grad = name in self.trainable_state()
