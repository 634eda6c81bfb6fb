"""The two photos a reviewer compares, side by side at native size (480×640), in one small HTML
component so zoom and pan move both together, with a flicker and an overlay comparison.

The enrolment photo fills the same 480×640 box (``object-fit: cover``: a square scan loses its sides,
not its face) so zoom regions line up. Why one component and not two ``st.image``: the photos must stay in step (the same region of both
faces under the eye), and every zoom or flicker happens in the browser with no rerun. Only photos
(as data URIs) and our own labels go into the page; no text from data does.

Keys, listened for on the workbench page itself: W whole photo · E eyes · H hairline · J / K left /
right ear · F flicker · V overlay · ? every shortcut (clicks the page's help button).
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass

import streamlit.components.v1 as components

from core.imaging.standard import EYE_LINE_RANGE, HAIR_TOP_RANGE, HEIGHT, WIDTH
from workbench.i18n import tr

TOOLBAR_PX, LABEL_PX = 34, 22
COMPONENT_HEIGHT = TOOLBAR_PX + HEIGHT + LABEL_PX + 8
"""Fixed, so nothing below the photos moves when the photo changes."""


@dataclass(frozen=True)
class Preset:
    key: str
    label_zh: str
    label_en: str
    scale: float
    x: float
    y: float
    """Centre of the zoomed region in the CHSI frame (480×640, pixels from the top left)."""


PRESETS = (
    Preset("w", "全图", "Whole", 1.0, WIDTH / 2, HEIGHT / 2),
    Preset("e", "眼睛", "Eyes", 2.5, WIDTH / 2, sum(EYE_LINE_RANGE) / 2),
    Preset("h", "发际线", "Hairline", 2.2, WIDTH / 2, sum(HAIR_TOP_RANGE) / 2 + 40),
    Preset("j", "左耳", "Left ear", 2.5, WIDTH * 0.2, sum(EYE_LINE_RANGE) / 2 + 50),
    Preset("k", "右耳", "Right ear", 2.5, WIDTH * 0.8, sum(EYE_LINE_RANGE) / 2 + 50),
)
FLICKER_KEY, OVERLAY_KEY, HELP_KEY = "f", "v", "?"


def data_uri(jpeg: bytes | None) -> str | None:
    return None if jpeg is None else "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def shortcut_lines() -> list[tuple[str, str]]:
    """The comparison's keys, for the page's shortcut list."""
    return [(p.key.upper(), tr(f"放大：{p.label_zh}", f"Zoom: {p.label_en}")) for p in PRESETS] + [
        (FLICKER_KEY.upper(), tr("闪烁对比（两张照片交替显示）", "Flicker: the two photos alternate")),
        (OVERLAY_KEY.upper(), tr("叠加对比（学籍照片半透明盖在标准化照片上）", "Overlay: enrolment photo over the standardised one")),
        (tr("滚轮 / 拖动", "Wheel / drag"), tr("两张照片同步缩放、平移", "Zoom and pan both photos together")),
    ]


def render(left: bytes | None, right: bytes | None, *, left_label: str, right_label: str, left_missing: str,
           right_missing: str, help_button_key: str) -> None:
    """Both photos at 480×640 with the zoom presets, flicker and overlay above them."""
    config = {
        "left": data_uri(left), "right": data_uri(right),
        "presets": [{"key": p.key, "label": tr(p.label_zh, p.label_en), "scale": p.scale, "x": p.x, "y": p.y}
                    for p in PRESETS],
        "helpSelector": f".st-key-{help_button_key} button",
        "width": WIDTH, "height": HEIGHT,
        "text": {
            "flicker": tr("闪烁", "Flicker"), "overlay": tr("叠加", "Overlay"), "opacity": tr("透明度", "Opacity"),
            "showing": tr("正在显示：", "Showing: "), "left": left_label, "right": right_label,
        },
    }
    page = _TEMPLATE.replace("__CONFIG__", json.dumps(config).replace("</", "<\\/")).replace(
        "__LEFT_LABEL__", html.escape(left_label)).replace("__RIGHT_LABEL__", html.escape(right_label)).replace(
        "__LEFT_MISSING__", html.escape(left_missing)).replace("__RIGHT_MISSING__", html.escape(right_missing)).replace(
        "__TOOLBAR_PX__", str(TOOLBAR_PX)).replace("__LABEL_PX__", str(LABEL_PX)).replace(
        "__W__", str(WIDTH)).replace("__H__", str(HEIGHT))
    components.html(page, height=COMPONENT_HEIGHT)


def question_mark(help_button_key: str) -> None:
    """``?`` presses the page's help button, on pages without the photo component."""
    selector = json.dumps(f".st-key-{help_button_key} button")
    components.html(_QUESTION_MARK.replace("__SELECTOR__", selector), height=0)


_QUESTION_MARK = """<script>
function onKey(e) {
  if (!window.frameElement || !window.frameElement.isConnected) { try { window.parent.document.removeEventListener('keydown', onKey); } catch (err) {} return; }
  const t = e.target; if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  if (e.key === '?') { const h = window.parent.document.querySelector(__SELECTOR__); if (h) { h.click(); e.preventDefault(); } }
}
try {
  const host = window.parent;
  if (host.__photoCompareKeys) host.document.removeEventListener('keydown', host.__photoCompareKeys);
  host.__photoCompareKeys = onKey; host.document.addEventListener('keydown', onKey);
} catch (err) {}
</script>"""

_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font:14px "Source Sans Pro",-apple-system,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#31333f}
#bar{height:__TOOLBAR_PX__px;display:flex;gap:6px;align-items:center;justify-content:center;flex-wrap:nowrap}
#bar button{font:inherit;padding:3px 10px;border:1px solid #c9cbd2;border-radius:6px;background:#fff;cursor:pointer}
#bar button.on{background:#31333f;color:#fff;border-color:#31333f}
#bar kbd{font:11px monospace;color:#888;margin-left:3px}
#bar button.on kbd{color:#ddd}
#bar .sep{width:10px}
#row{display:flex;gap:16px;justify-content:center}
.col{flex:0 0 __W__px}
.box{position:relative;width:__W__px;height:__H__px;overflow:hidden;background:#eceff3;cursor:grab;user-select:none}
.box img{position:absolute;left:0;top:0;width:__W__px;height:__H__px;object-fit:cover;transform-origin:0 0;
  -webkit-user-drag:none}
.box .missing{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;color:#555;padding:2em;
  text-align:center}
.label{height:__LABEL_PX__px;line-height:__LABEL_PX__px;text-align:center;color:#555}
#range{width:90px}
</style></head><body>
<div id="bar"></div>
<div id="row">
 <div class="col"><div class="box" id="boxL"></div><div class="label" id="labelL">__LEFT_LABEL__</div></div>
 <div class="col"><div class="box" id="boxR"></div><div class="label">__RIGHT_LABEL__</div></div>
</div>
<script>
const C = __CONFIG__;
const W = C.width, H = C.height;
const boxL = document.getElementById('boxL'), boxR = document.getElementById('boxR');
function layer(box, src, missing) {
  if (!src) { const d = document.createElement('div'); d.className = 'missing'; d.textContent = missing; box.appendChild(d); return null; }
  const img = document.createElement('img'); img.src = src; img.draggable = false; box.appendChild(img); return img;
}
const base = layer(boxL, C.left, "__LEFT_MISSING__");
const other = layer(boxR, C.right, "__RIGHT_MISSING__");
let ghost = null;
if (C.left && C.right) { ghost = document.createElement('img'); ghost.src = C.right; ghost.style.opacity = 0; boxL.appendChild(ghost); }
const view = {scale: 1, x: W / 2, y: H / 2};
let mode = 'side', timer = null, opacity = 0.5;
function clamp() {
  const hw = W / 2 / view.scale, hh = H / 2 / view.scale;
  view.x = Math.min(Math.max(view.x, hw), W - hw); view.y = Math.min(Math.max(view.y, hh), H - hh);
}
function apply() {
  clamp();
  const t = `translate(${W / 2 - view.x * view.scale}px, ${H / 2 - view.y * view.scale}px) scale(${view.scale})`;
  for (const img of [base, other, ghost]) if (img) img.style.transform = t;
  document.querySelectorAll('#bar [data-preset]').forEach(b => {
    const p = C.presets[+b.dataset.preset];
    b.classList.toggle('on', Math.abs(p.scale - view.scale) < 1e-6 && Math.abs(p.x - view.x) < 1 && Math.abs(p.y - view.y) < 1);
  });
}
function preset(i) { const p = C.presets[i]; view.scale = p.scale; view.x = p.x; view.y = p.y; apply(); }
const label = document.getElementById('labelL');
function setMode(next) {
  mode = (mode === next) ? 'side' : next;
  clearInterval(timer); timer = null;
  if (ghost) ghost.style.opacity = 0;
  label.textContent = C.text.left;
  if (ghost && mode === 'flicker') {
    let on = false;
    timer = setInterval(() => { on = !on; ghost.style.opacity = on ? 1 : 0;
      label.textContent = C.text.showing + (on ? C.text.right : C.text.left); }, 600);
  }
  if (ghost && mode === 'overlay') { ghost.style.opacity = opacity; label.textContent = C.text.left + ' + ' + C.text.right; }
  document.getElementById('flicker').classList.toggle('on', mode === 'flicker');
  document.getElementById('overlay').classList.toggle('on', mode === 'overlay');
  document.getElementById('range').style.visibility = mode === 'overlay' ? 'visible' : 'hidden';
}
const bar = document.getElementById('bar');
function button(text, key, onclick, id) {
  const b = document.createElement('button'); b.type = 'button'; b.textContent = text;
  const k = document.createElement('kbd'); k.textContent = key.toUpperCase(); b.appendChild(k);
  if (id) b.id = id; b.onclick = onclick; bar.appendChild(b); return b;
}
C.presets.forEach((p, i) => { button(p.label, p.key, () => preset(i)).dataset.preset = i; });
bar.appendChild(Object.assign(document.createElement('span'), {className: 'sep'}));
button(C.text.flicker, 'f', () => setMode('flicker'), 'flicker');
button(C.text.overlay, 'v', () => setMode('overlay'), 'overlay');
const range = Object.assign(document.createElement('input'), {type: 'range', min: 0, max: 100, value: 50, id: 'range', title: C.text.opacity});
range.oninput = () => { opacity = range.value / 100; if (mode === 'overlay' && ghost) ghost.style.opacity = opacity; };
bar.appendChild(range);
for (const box of [boxL, boxR]) {
  box.addEventListener('wheel', e => {
    e.preventDefault();
    const r = box.getBoundingClientRect();
    const fx = view.x + (e.clientX - r.left - W / 2) / view.scale, fy = view.y + (e.clientY - r.top - H / 2) / view.scale;
    const next = Math.min(6, Math.max(1, view.scale * (e.deltaY < 0 ? 1.2 : 1 / 1.2)));
    view.x = fx - (e.clientX - r.left - W / 2) / next; view.y = fy - (e.clientY - r.top - H / 2) / next; view.scale = next; apply();
  }, {passive: false});
  box.addEventListener('pointerdown', e => {
    const start = {x: e.clientX, y: e.clientY, vx: view.x, vy: view.y}; box.setPointerCapture(e.pointerId);
    const move = m => { view.x = start.vx - (m.clientX - start.x) / view.scale; view.y = start.vy - (m.clientY - start.y) / view.scale; apply(); };
    box.addEventListener('pointermove', move);
    box.addEventListener('pointerup', () => box.removeEventListener('pointermove', move), {once: true});
  });
}
function onKey(e) {
  if (!window.frameElement || !window.frameElement.isConnected) { try { window.parent.document.removeEventListener('keydown', onKey); } catch (err) {} return; }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target; if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  if (e.key === '?') { const h = window.parent.document.querySelector(C.helpSelector); if (h) { h.click(); e.preventDefault(); } return; }
  const k = e.key.toLowerCase();
  const i = C.presets.findIndex(p => p.key === k);
  if (i >= 0) { preset(i); return; }
  if (k === 'f') setMode('flicker'); else if (k === 'v') setMode('overlay');
}
document.addEventListener('keydown', onKey);
try {
  const host = window.parent;
  if (host.__photoCompareKeys) host.document.removeEventListener('keydown', host.__photoCompareKeys);
  host.__photoCompareKeys = onKey; host.document.addEventListener('keydown', onKey);
} catch (err) { /* another origin: the keys work inside the photos only */ }
apply(); setMode('side');
</script></body></html>"""
