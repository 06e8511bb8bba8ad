"""Compact storage of unstructured-sparse weights: a packed bitmask plus the non-zero values.

A weight with sparsity s stored this way takes (1 − s) · 32 + 1 bits per entry instead of
32 (fp32), i.e. it is smaller as soon as s > 1/32. Saved with safetensors, never pickle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

MASK_SUFFIX = ".__mask"
VALUES_SUFFIX = ".__values"
SHAPE_SUFFIX = ".__shape"


def pack(weight: torch.Tensor) -> dict[str, torch.Tensor]:
    """{mask: packed bits (uint8), values: non-zeros in row-major order, shape: int64}."""
    flat = weight.detach().cpu().reshape(-1)
    nonzero = flat != 0
    bits = np.packbits(nonzero.numpy().astype(np.uint8))
    return {"mask": torch.from_numpy(bits), "values": flat[nonzero].clone(),
            "shape": torch.tensor(list(weight.shape), dtype=torch.int64)}


def unpack(mask: torch.Tensor, values: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
    size = int(torch.prod(shape))
    nonzero = torch.from_numpy(np.unpackbits(mask.numpy())[:size].astype(bool))
    flat = torch.zeros(size, dtype=values.dtype)
    flat[nonzero] = values
    return flat.reshape(shape.tolist())


def save_sparse(weights: dict[str, torch.Tensor], path: str | Path) -> None:
    tensors = {}
    for name, weight in weights.items():
        packed = pack(weight)
        tensors |= {name + MASK_SUFFIX: packed["mask"], name + VALUES_SUFFIX: packed["values"],
                    name + SHAPE_SUFFIX: packed["shape"]}
    save_file(tensors, str(path), metadata={"format": "robustprune-bitmask-v1"})


def load_sparse(path: str | Path) -> dict[str, torch.Tensor]:
    tensors = load_file(str(path))
    names = [key[: -len(MASK_SUFFIX)] for key in tensors if key.endswith(MASK_SUFFIX)]
    return {name: unpack(tensors[name + MASK_SUFFIX], tensors[name + VALUES_SUFFIX], tensors[name + SHAPE_SUFFIX])
            for name in names}
