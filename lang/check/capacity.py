"""The HBM capacity check: a device's weights and activations against its memory's size.

Per device, for all layers: the weights of its experts (the most any device owns) and of
its dense matmuls, plus every tensor the chain writes and the layer's input, each at its
op's dtype. Token-space tensors have `tokens` rows per device; expert-space ones are
counted at `tokens x topk` rows, their average over devices (exact for balanced routing;
a skewed routing puts more on some devices and less on others). Nothing is freed: the
task graph keeps every op's output, as training keeps them for the backward pass.
"""
from __future__ import annotations

from hpdsl.errors import Diagnostic
from hpdsl.ops import KINDS
from hpdsl.ops.base import EXPERT, TOKEN
from hpdsl.spec import Workload
from hpdsl.units import DTYPE_BYTES


def device_bytes(w: Workload, widths: dict[str, int | None]) -> tuple[int, int]:
    """(weight bytes, activation bytes) one device holds for the whole workload."""
    local = -(-w.experts // max(1, w.devices))
    space: dict[str | None, str] = {None: TOKEN}
    weights = 0
    acts = w.tokens * w.hidden * DTYPE_BYTES.get(w.dtype, 0)
    for op in w.ops:
        kind = KINDS.get(op.kind)
        width, dt = widths.get(op.name), DTYPE_BYTES.get(w.op_dtype(op), 0)
        src = space.get(op.input, TOKEN)
        space[op.name] = kind.out_space or src if kind is not None else src
        if kind is None or width is None:
            continue
        k = w.hidden if op.input is None else widths.get(op.input)
        if kind.has_weights and k is not None:
            weights += (local if space[op.name] == EXPERT else 1) * k * width * dt
        rows = w.tokens * (w.topk if space[op.name] == EXPERT else 1)
        acts += rows * width * dt
    return weights * w.layers, acts * w.layers


def check_capacity(w: Workload, widths: dict[str, int | None]) -> list[Diagnostic]:
    mem = w.hardware.memory
    if mem is None:
        return []
    weights, acts = device_bytes(w, widths)
    if weights + acts <= mem.size:
        return []
    return [Diagnostic(w.loc, f"each device of workload '{w.name}' needs {weights + acts:,} "
                              f"bytes ({weights:,} of weights and {acts:,} of activations), "
                              f"more than the {mem.size:,} bytes of memory '{mem.name}' of "
                              f"hardware '{w.hardware.name}'"
                              + "".join(w.set_by(k) for k in _SIZES))]


# the settings a device's bytes follow
_SIZES = ("devices", "tokens", "hidden", "experts", "topk", "expert_ffn", "layers", "dtype")
