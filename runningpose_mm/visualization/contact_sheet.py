"""Contact sheet: 2D skeletons of several sequences drawn in their camera images."""
from typing import Sequence

import numpy as np

from ..skeleton import runningpose19

_SIDE_COLOURS = {'left': '#1f9e3a', 'right': '#e07b00', 'centre': '#2f6fd6'}


def _link_colour(names, a, b):
    for side in ('left', 'right'):
        if names[a].startswith(side) or names[b].startswith(side):
            return _SIDE_COLOURS[side]
    return _SIDE_COLOURS['centre']


def draw_contact_sheet(panels: Sequence[dict], out_path: str, frames_per_panel: int = 6,
                       columns: int = 4) -> str:
    """Save a PNG with one panel per sequence.

    Args:
        panels: dicts with ``keypoints`` (T, 19, 2) pixels, ``visible`` (T, 19), ``w``,
            ``h`` (image size) and ``title``.
        out_path (str): PNG path.
        frames_per_panel (int): evenly spaced frames overlaid in each panel.
        columns (int): panels per row.

    Returns:
        str: ``out_path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    skeleton = runningpose19()
    rows = int(np.ceil(len(panels) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis('off')
    for ax, panel in zip(axes.ravel(), panels):
        kp, vis = np.asarray(panel['keypoints']), np.asarray(panel['visible']) > 0
        w, h = panel['w'], panel['h']
        ax.add_patch(plt.Rectangle((0, 0), w, h, fill=False, ec='0.3', lw=1))
        for t in np.linspace(0, len(kp) - 1, frames_per_panel).astype(int):
            for a, b in skeleton.links:
                if vis[t, a] and vis[t, b]:
                    ax.plot(kp[t, [a, b], 0], kp[t, [a, b], 1], '-', lw=1.2,
                            color=_link_colour(skeleton.names, a, b))
        ax.set_xlim(-0.05 * w, 1.05 * w)
        ax.set_ylim(1.05 * h, -0.05 * h)  # image y points down
        ax.set_aspect('equal')
        ax.set_title(panel.get('title', ''), fontsize=8)
        ax.axis('on')
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(out_path, dpi=80)
    plt.close(fig)
    return out_path
