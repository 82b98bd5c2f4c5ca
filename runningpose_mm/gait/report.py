"""Gait report: JSON, CSV, plots and one self-contained HTML page."""
import base64
import html
import io
import json
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np

from .events import compare_with_reference
from .metrics import UNITS, GaitAnalysis

_COLOURS = dict(left='#1f9e3a', right='#e07b00')
_LABELS = dict(
    cadence_spm='Cadence', step_time_s='Step time', stride_time_s='Stride time',
    contact_time_s='Ground contact time', flight_time_s='Flight time',
    duty_factor='Duty factor', contact_time_balance_left_pct='Contact time balance (left)',
    foot_angle_at_contact_deg='Foot angle at contact', knee_flexion_at_contact_deg=
    'Knee flexion at contact', knee_flexion_peak_stance_deg='Peak knee flexion in stance',
    hip_extension_at_toe_off_deg='Hip extension at toe-off', trunk_lean_deg='Trunk lean',
    overstride_m='Overstride (foot ahead of pelvis)', speed_mps='Speed',
    step_length_m='Step length', vertical_oscillation_m='Vertical oscillation')


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def cycle_curves(joints: np.ndarray, rate_hz: float, analysis: GaitAnalysis,
                 points: int = 101) -> Dict[str, Dict[str, np.ndarray]]:
    """Joint angles over the normalised gait cycle (initial contact to the next of the same
    foot, over the strides ``analyse_gait`` measured), per side: (strides, points) arrays
    of knee flexion, hip flexion and foot angle (the foot's pitch relative to its pitch in
    that stride's mid-stance, as ``foot_angle_at_contact_deg``: 0 = foot flat)."""
    from .metrics import _interp, foot_flat_pitch, sagittal_angles
    t = np.arange(len(joints)) / rate_hz
    forward = np.asarray(analysis.extras['forward'])
    curves = {}
    # strides as analyse_gait measured them: alternating feet, no missing samples inside
    strides = analysis.extras.get('strides', [])
    for side in analysis.events.feet:
        angles = sagittal_angles(joints, side, forward)
        own = [(a, to, b) for s, a, to, b in strides if s == side]
        flat = [foot_flat_pitch(angles['foot_pitch'], (t >= a) & (t <= to)) for a, to, _ in own]
        for name, source, offsets in (('knee_flexion', 'knee_flexion', [0.0] * len(own)),
                                      ('hip_flexion', 'hip_flexion', [0.0] * len(own)),
                                      ('foot_angle', 'foot_pitch', flat)):
            curves_side = [_interp(t, angles[source], np.linspace(a, b, points)) - offset
                           for (a, _, b), offset in zip(own, offsets)]
            curves_side = [c for c in curves_side if np.isfinite(c).all()]
            curves.setdefault(name, {})[side] = np.array(curves_side).reshape(-1, points)
        curves.setdefault('toe_off_pct', {})[side] = np.array([
            100 * (to - a) / (b - a) for a, to, b in own if np.isfinite(to)])
    return curves


def _figure_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=90, bbox_inches='tight')
    return buf.getvalue()


def make_plots(joints: np.ndarray, rate_hz: float, analysis: GaitAnalysis,
               reference: Optional[Dict[str, np.ndarray]] = None) -> Dict[str, bytes]:
    """PNG bytes of the report's plots: 'angles', 'timeline', 'steps'."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    plots = {}
    curves = cycle_curves(joints, rate_hz, analysis)
    titles = dict(knee_flexion='Knee flexion (deg)', hip_flexion='Hip flexion (deg, + = forward)',
                  foot_angle='Foot angle (deg, 0 = flat, + = toes up)')
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (name, title) in zip(axes, titles.items()):
        for side in ('left', 'right'):
            data = curves.get(name, {}).get(side)
            if data is None or not len(data):
                continue
            x = np.linspace(0, 100, data.shape[1])
            mean, sd = data.mean(axis=0), data.std(axis=0)
            ax.plot(x, mean, color=_COLOURS[side], label=f'{side} (n={len(data)})')
            ax.fill_between(x, mean - sd, mean + sd, color=_COLOURS[side], alpha=0.2)
            toe_off = curves['toe_off_pct'].get(side)
            if toe_off is not None and len(toe_off):
                ax.axvline(np.mean(toe_off), color=_COLOURS[side], ls='--', lw=0.8)
        ax.set_title(title)
        ax.set_xlabel('% gait cycle')
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, 'not available\n(joints missing)', ha='center', va='center',
                    transform=ax.transAxes)
    fig.suptitle('Joint angles over the gait cycle: mean +/- SD per side; foot angle from '
                 'its mid-stance pitch (0 % = initial contact, dashed = toe-off)', fontsize=10)
    plots['angles'] = _figure_png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(13, 1.8))
    for row, side in enumerate(('right', 'left')):
        foot = analysis.events.feet.get(side)
        if foot is None:
            continue
        ax.broken_barh([(a, b - a) for a, b in foot.contacts_s], (row - 0.35, 0.7),
                       color=_COLOURS[side])
        ax.broken_barh([(a, b - a) for a, b, _ in foot.partial_s], (row - 0.35, 0.7),
                       color=_COLOURS[side], alpha=0.3, hatch='//')
        if reference is not None and side in reference:
            ax.broken_barh([(a, b - a) for a, b in reference[side]], (row - 0.45, 0.12),
                           color='black')
    for a, b in analysis.events.gaps_s:
        ax.axvspan(a, b, color='0.6', alpha=0.35, lw=0)
    ax.set_yticks([0, 1], ['right', 'left'])
    ax.set_xlim(0, analysis.events.duration_s)
    ax.set_xlabel('time (s)   (filled: ground contact, hatched: contact cut by the recording '
                  'or missing samples, grey: missing samples' +
                  (', black: force plates)' if reference is not None else ')'))
    ax.set_title('Contact timeline')
    plots['timeline'] = _figure_png(fig)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(13, 3))
    for ax, key in zip(axes, ('contact_time_s', 'flight_time_s')):
        values = [s[key] * 1000 for s in analysis.steps]
        colours = [_COLOURS[s['side']] for s in analysis.steps]
        ax.bar(np.arange(len(values)), values, color=colours)
        ax.set_title(f'{_LABELS[key]} per step (ms; green left, orange right)')
        ax.set_xlabel('step')
        ax.grid(alpha=0.3, axis='y')
    plots['steps'] = _figure_png(fig)
    plt.close(fig)
    return plots


def _format_value(key, value):
    unit = UNITS.get(key, '')
    if key.endswith('_s'):
        return f'{1000 * value:.0f} ms'
    if unit == 'm':
        return f'{100 * value:.1f} cm'
    return f'{value:.1f} {unit}'.strip() if unit else f'{value:.2f}'


def write_report(analysis: GaitAnalysis, joints: np.ndarray, rate_hz: float, out_dir: str,
                 title: str = 'Running gait report', source: Optional[str] = None,
                 reference: Optional[Dict[str, np.ndarray]] = None,
                 reference_source: str = '') -> dict:
    """Write gait.json, gait_steps.csv, three PNG plots and report.html into ``out_dir``.
    With ``reference`` (side -> (N, 2) force-plate contacts, seconds on the analysis'
    time axis) the timeline shows them and a validation table compares (also in
    gait.json under ``validation``).

    Returns:
        dict: paths of the written files.
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = dict(json=osp.join(out_dir, 'gait.json'), csv=osp.join(out_dir, 'gait_steps.csv'),
                 html=osp.join(out_dir, 'report.html'))
    payload = dict(source=source, title=title, **analysis.to_dict())
    validation = None
    if reference is not None:
        validation = compare_with_reference(analysis.events, reference)
        payload['validation'] = dict(source=reference_source, **{
            side: dict(n=v['n'], matched=v['matched'],
                       **{f'{k}_mae_ms': float(1000 * np.mean(np.abs(v[f'{k}_error_s'])))
                          if v['matched'] else None for k in ('ic', 'to', 'contact')},
                       **{f'{k}_bias_ms': float(1000 * np.mean(v[f'{k}_error_s']))
                          if v['matched'] else None for k in ('ic', 'to', 'contact')})
            for side, v in validation.items()})
    with open(paths['json'], 'w') as f:
        json.dump(_json_safe(payload), f, indent=2)
    analysis.write_csv(paths['csv'])
    plots = make_plots(joints, rate_hz, analysis, reference)
    for name, png in plots.items():
        paths[name] = osp.join(out_dir, f'{name}.png')
        with open(paths[name], 'wb') as f:
            f.write(png)
    rows = []
    summary = analysis.summary
    for key, label in _LABELS.items():
        value = summary.get(key)
        if isinstance(value, dict):
            cells = [_format_value(key, value['mean']),
                     '' if not np.isfinite(value['sd']) else _format_value(key, value['sd']),
                     '' if not np.isfinite(value['left']) else _format_value(key, value['left']),
                     '' if not np.isfinite(value['right']) else _format_value(key, value['right'])]
        elif isinstance(value, float):
            cells = [_format_value(key, value), '', '', '']
        else:
            why = analysis.unavailable.get(key, 'not measured')
            cells = [f'<span class="na">{html.escape(why)}</span>', '', '', '']
        rows.append(f'<tr><td>{label}</td>' + ''.join(f'<td>{c}</td>' for c in cells) + '</tr>')
    strike = ', '.join(f'{side}: {summary[f"foot_strike_{side}"]}' for side in ('left', 'right')
                       if f'foot_strike_{side}' in summary) or 'not available'
    notes = ''.join(f'<li>{html.escape(w)}</li>' for w in analysis.warnings)
    images = ''.join(
        f'<img alt="{name}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for name, png in plots.items())
    n_contacts = sum(len(f.contacts_s) for f in analysis.events.feet.values())
    timing = ('step_time_s', 'stride_time_s', 'contact_time_s', 'flight_time_s')
    unmeasured_rows = ''.join(
        f'<tr><td>{s["index"]}</td><td>{s["side"]}</td><td>{s["ic_s"]:.3f}</td><td>'
        + html.escape('; '.join(f'{_LABELS.get(m, m)}: {r}' for m, r in
                                s['unmeasured'].items() if m in timing)) + '</td></tr>'
        for s in analysis.steps if any(m in timing for m in s.get('unmeasured', {})))
    unmeasured = (f'<h3>Not measured, per step</h3><table><tr><th>step</th><th>side</th>'
                  f'<th>contact (s)</th><th>why</th></tr>{unmeasured_rows}</table>'
                  if unmeasured_rows else '')
    check = ''
    if validation is not None:
        def cells(e):
            return f'{1000 * np.mean(np.abs(e)):.1f} ({1000 * np.mean(e):+.1f})' if len(e) \
                else '-'
        check = ('<h3>Against the force plates</h3><p>' + html.escape(reference_source) +
                 ': mean absolute error (bias) in ms, detected minus force plate</p><table>'
                 '<tr><th>foot</th><th>contacts</th><th>matched</th><th>initial contact</th>'
                 '<th>toe-off</th><th>contact time</th></tr>' + ''.join(
                     f'<tr><td>{side}</td><td>{v["n"]}</td><td>{v["matched"]}</td>'
                     f'<td>{cells(v["ic_error_s"])}</td><td>{cells(v["to_error_s"])}</td>'
                     f'<td>{cells(v["contact_error_s"])}</td></tr>'
                     for side, v in validation.items()) + '</table>')
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.na{{color:#999;font-size:90%}}img{{max-width:100%;margin:1em 0}}
.partial{{background:#fff3cd;padding:.5em 1em}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Source: {html.escape(source or '')} &middot; {analysis.events.num_frames} frames at
{rate_hz:g} fps ({analysis.events.duration_s:.2f} s) &middot; {n_contacts} complete foot contacts
&middot; foot strike: {html.escape(strike)}</p>
{'<p class="partial">Partial result: less than a full stride per foot.</p>' if analysis.partial else ''}
<table><tr><th>Measure</th><th>Mean</th><th>SD</th><th>Left</th><th>Right</th></tr>{''.join(rows)}</table>
{check}
{f'<h3>Notes</h3><ul>{notes}</ul>' if notes else ''}
{unmeasured}
{images}
<p style="color:#777;font-size:85%">Definitions: runningpose_mm.gait.metrics. Per-step values: gait_steps.csv; everything: gait.json.</p>
</body></html>"""
    with open(paths['html'], 'w') as f:
        f.write(page)
    return paths


def gait_report_from_lifted(lifted, out_dir: str, title: str = 'Running gait report',
                            source: Optional[str] = None):
    """Gait analysis and report of lifted 3D (``apis.outputs.LiftedSequence``: camera
    frame, metres, with or without a root trajectory), turned upright assuming an
    upright camera.

    Returns:
        tuple: (GaitAnalysis, paths of the written files).
    """
    from .metrics import analyse_gait, upright_lifted
    joints = upright_lifted(lifted)
    analysis = analyse_gait(joints, lifted.fps, events_frame='pelvis')
    factors = (lifted.meta or {}).get('bone_length_factors') or {}
    changed = {bone: f for bone, f in factors.items() if abs(f - 1) >= 0.05}
    if changed:  # the lifted skeleton was corrected visibly: say where
        analysis.warnings.append(
            'left and right bones given one length for the clip; changed by 5 % or more: ' +
            ', '.join(f'{bone} x{f:.2f}' for bone, f in sorted(changed.items())))
    return analysis, write_report(analysis, joints, lifted.fps, out_dir, title, source)
