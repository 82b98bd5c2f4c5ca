"""Convert a Human3.6M (17-keypoint) lifting checkpoint into a runningpose19 one.

    python tools/convert_checkpoint.py SRC.pth DST.pth --input-order h36m|coco

SRC: an original VideoPose3D checkpoint (facebookresearch code, with 'model_pos':
pretrained_h36m_cpn.bin takes Human3.6M-ordered 2D, --input-order h36m;
pretrained_h36m_detectron_coco.bin takes COCO-ordered 2D, --input-order coco) or an
MMPose video_pose_lift checkpoint (h36m). The file does not record its input order, so
the option is required. DST loads into configs/runningpose_tcn*.py with the
printed --cfg-options (channels and kernel sizes must match the source), e.g. as
--load-from for fine-tuning with tools/train.py.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402

from runningpose_mm.models.checkpoint_conversion import (CheckpointFormatError,  # noqa: E402
                                                          convert_checkpoint)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='17-keypoint checkpoint (VideoPose3D or MMPose)')
    parser.add_argument('dst', help='output runningpose19 checkpoint')
    parser.add_argument('--input-order', required=True, choices=('h36m', 'coco'),
                        help="the source's 2D input joints: 'h36m' (Human3.6M order, e.g. "
                        "VideoPose3D CPN / MMPose models) or 'coco' (VideoPose3D's detectron "
                        "COCO model; its face points are fed the runningpose19 head)")
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        sys.exit(f'error: {args.src} does not exist')
    # the source is a pickle from a trusted model zoo, as MMEngine loads them
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=False)
    try:
        converted, arch = convert_checkpoint(checkpoint, args.input_order)
    except CheckpointFormatError as exc:
        sys.exit(f'error: {args.src}: {exc}')
    torch.save(converted, args.dst)
    kernels = ', '.join(str(k) for k in arch['kernel_sizes'])
    frames = 1
    for k in arch['kernel_sizes']:
        frames *= k
    print(f"converted {converted['meta']['converted_from']} checkpoint -> {args.dst}")
    print(f"architecture: {arch['stem_channels']} channels, kernel sizes ({kernels}), "
          f'receptive field {frames} frames, 17 -> 19 keypoints')
    print('use it with a config of the same shape, e.g.:')
    print(f"  --cfg-options model.backbone.stem_channels={arch['stem_channels']} "
          f"model.head.in_channels={arch['stem_channels']} "
          f"'model.backbone.kernel_sizes=({kernels},)' "
          f"model.backbone.num_blocks={len(arch['kernel_sizes']) - 1} "
          f'train_dataloader.dataset.seq_len={frames} val_dataloader.dataset.seq_len={frames} '
          f'test_dataloader.dataset.seq_len={frames}')


if __name__ == '__main__':
    main()
