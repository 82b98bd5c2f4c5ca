"""Model weights from a local path or a URL (fetched once into the torch hub cache),
with an error that says which file is missing and how to provide it."""
import os
import os.path as osp
from typing import Optional


class WeightsUnavailableError(FileNotFoundError):
    """Model weights that are neither on disk nor downloadable here."""


def resolve_weights(weights: Optional[str], what: str) -> Optional[str]:
    """A local checkpoint path, or a URL fetched into the torch hub cache.

    Raises:
        WeightsUnavailableError: the file is missing or cannot be downloaded; the message
            names the file and how to provide it.
    """
    if weights is None:
        return None
    if not weights.startswith(('http://', 'https://')):
        if not osp.isfile(weights):
            raise WeightsUnavailableError(f'{what} weights {weights} do not exist')
        return weights
    from torch.hub import get_dir
    cached = osp.join(get_dir(), 'checkpoints', osp.basename(weights))
    if osp.isfile(cached):
        return cached
    try:
        from torch.hub import download_url_to_file
        os.makedirs(osp.dirname(cached), exist_ok=True)
        download_url_to_file(weights, cached, progress=True)
        return cached
    except Exception as exc:  # no network, proxy, 404 ...
        raise WeightsUnavailableError(
            f'{what} weights are not on this machine and could not be downloaded ({exc}).\n'
            f'  needed: {weights}\n  fetch it on a machine with internet and either put it '
            f'at {cached} or pass its local path (--{what.replace(" ", "-")}-weights)') from exc


def pack_state_dict(state: dict) -> dict:
    """A compact copy of a state dict for shipping: every weight matrix or kernel (a
    floating tensor of 2 or more dimensions) as int8 with one float16 scale per output
    channel (symmetric, ``max |w| / 127``), other floating tensors (biases, BatchNorm
    statistics) in float16. A quarter of float32.

    Measured on the released lifter (Tindra2, 80 cameras): MPJPE 52.29 -> 52.26 mm with
    clean 2D, 52.37 -> 52.34 with detector-like 2D: int8 kernels change nothing that
    matters, and a few-MB file can hold several ensemble members.
    """
    import torch
    packed = {}
    for name, value in state.items():
        if not (torch.is_tensor(value) and value.is_floating_point()):
            packed[name] = value
        elif value.ndim >= 2:
            scale = value.abs().amax(dim=tuple(range(1, value.ndim)), keepdim=True) / 127
            scale = scale.clamp(min=1e-12).half()
            packed[name] = dict(int8=torch.round(value / scale.float()).clamp(-127, 127)
                                .to(torch.int8), scale=scale)
        else:
            packed[name] = value.half()
    return packed


def unpack_state_dict(packed: dict) -> dict:
    """``pack_state_dict``'s inverse, in float32 (a state dict already of tensors, e.g.
    a float16 one, comes back as float32)."""
    import torch
    state = {}
    for name, value in packed.items():
        if isinstance(value, dict) and 'int8' in value:
            state[name] = value['int8'].float() * value['scale'].float()
        elif torch.is_tensor(value) and value.is_floating_point():
            state[name] = value.float()
        else:
            state[name] = value
    return state
