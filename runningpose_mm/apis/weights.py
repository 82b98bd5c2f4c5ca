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
