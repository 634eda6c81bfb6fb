"""Streamlit's own English widget texts, in Chinese in the Chinese UI.

Streamlit 1.67 cannot set the texts of its file uploader ("Upload", "200MB per file • CSV"), camera
("Take Photo", "Clear photo") or select placeholders ("Choose an option") and ships no Chinese
locale (streamlit/streamlit#13500 asks for it). Both apps call ``localise_widgets`` once per run:
in the Chinese UI it installs, once per browser tab, a small observer that rewrites exactly these
texts (and the same words in placeholder, title and aria-label attributes) whenever Streamlit draws
them, so what is on screen, what a screen reader reads and what is copied are all Chinese. A text
that is not in the table is left alone; the browser test in ``tests/e2e/test_chinese_everywhere.py``
finds any that appear.
"""

from __future__ import annotations

import json

import streamlit as st

EXACT: dict[str, str] = {
    "Upload": "选择文件",
    "Upload directories": "选择文件夹",
    "Drag and drop files here": "将文件拖到此处",
    "Drag and drop a file here": "将文件拖到此处",
    "Take Photo": "拍照",
    "Clear photo": "重新拍摄",
    "Uploading...": "正在上传…",
    "This app would like to use your camera.": "请允许使用摄像头。",
    "Learn how to allow access.": "如何允许使用摄像头",
    "Switch camera": "切换摄像头",
    "Choose an option": "请选择",
    "Choose options": "请选择（可多选）",
    "Add options": "添加选项",
    "No results": "没有匹配的选项",
    "Select all": "全选",
    "Clear all": "全部清除",
    "Clear value": "清除",
    "Clear selection": "清除选择",
    "Skip to main content": "跳到主要内容",
    "Deploy": "部署",
    "Running...": "正在运行…",
    "Stop": "停止",
    "Rerun": "重新运行",
    "Download as CSV": "下载为 CSV",
    "Search": "搜索",
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Show/hide columns": "显示/隐藏列",
    "Copied": "已复制",
    "Delete": "删除",
    "Invalid date": "日期无效",
    "No data": "暂无数据",
    "empty": "空",
    "Press Enter to apply": "按回车确认",
    "Press Enter to submit form": "按回车提交",
    "Press ⌘+Enter to apply": "按 ⌘+回车 确认",
    "Press Ctrl+Enter to apply": "按 Ctrl+回车 确认",
    "File is too large.": "文件太大。",
    "File type not allowed.": "不支持的文件类型。",
    "View less": "收起",
    "Show password": "显示输入内容",
    "Hide password": "隐藏输入内容",
    "Hide column": "隐藏列",
    "Add files": "添加文件",
}
"""Streamlit's texts word for word, as its 1.67 frontend shows them (a few, like "Press Enter to
apply", it composes from parts)."""

PATTERNS: list[tuple[str, str]] = [
    (r"^(\d+(?:\.\d+)?)\s?([KMG]B) per file(?: • (.+))?$", "单个文件不超过 $1 $2（$3）"),
    (r"^Upload (.+)$", "选择$1"),
    (r"^View (\d+) more$", "展开其余 $1 项"),
    (r"^Remove (.+)$", "移除 $1"),
    (r"^add icon$", "添加"),
    (r"^[a-z_]+ icon$", "图标"),
    (r"^Drag and drop (.+) here$", "将文件拖到此处"),
    (r"^File is too large\. Maximum size is (\d+) bytes\.$", "文件太大，上限 $1 字节。"),
]
"""Texts with a number or a list in them (JavaScript regular expressions and replacements). An
empty file-type list leaves "（）", which the script removes."""

_HIDDEN = '<style>[data-testid="stElementContainer"]:has(script[data-localise]) {display: none;}</style>'
"""The script's own element takes no room on the page."""

_SCRIPT = """
<script data-localise>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  const win = doc.defaultView;
  if (win.__zhWidgets) { win.__zhWidgets.start(); return; }
  const exact = new Map(Object.entries(%(exact)s));
  const patterns = %(patterns)s.map(([p, r]) => [new RegExp(p), r]);
  const say = (text) => {
    const trimmed = text.trim();
    if (!trimmed) return null;
    if (exact.has(trimmed)) return text.replace(trimmed, exact.get(trimmed));
    for (const [pattern, replacement] of patterns) {
      if (pattern.test(trimmed)) return text.replace(trimmed, trimmed.replace(pattern, replacement).replace("（）", ""));
    }
    return null;
  };
  const ATTRIBUTES = ["placeholder", "title", "aria-label"];
  const visit = (node) => {
    if (node.nodeType === 3) {
      const said = say(node.data);
      if (said !== null && said !== node.data) node.data = said;
      return;
    }
    if (node.nodeType !== 1 || node.closest("[data-testid=stIconMaterial], code, pre, textarea")) return;
    for (const name of ATTRIBUTES) {
      const value = node.getAttribute(name);
      const said = value && say(value);
      if (said && said !== value) node.setAttribute(name, said);
    }
    const walker = doc.createTreeWalker(node, 5);  // elements and text
    for (let next = walker.nextNode(); next; next = walker.nextNode()) {
      if (next.nodeType === 3) {
        if (next.parentElement && next.parentElement.closest("[data-testid=stIconMaterial], code, pre, textarea")) continue;
        const said = say(next.data);
        if (said !== null && said !== next.data) next.data = said;
      } else {
        for (const name of ATTRIBUTES) {
          const value = next.getAttribute(name);
          const said = value && say(value);
          if (said && said !== value) next.setAttribute(name, said);
        }
      }
    }
  };
  const observer = new win.MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === "characterData") visit(m.target);
      else if (m.type === "attributes") visit(m.target);
      else m.addedNodes.forEach(visit);
    }
  });
  const options = {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES};
  win.__zhWidgets = {
    start() { observer.observe(doc.body, options); visit(doc.body); },
    stop() { observer.disconnect(); },
  };
  win.__zhWidgets.start();
})();
</script>
"""

_STOP = "<script data-localise>(() => { const w = window.parent || window; if (w.__zhWidgets) w.__zhWidgets.stop(); })();</script>"


def widget_script() -> str:
    """The observer with its tables, as the page receives it."""
    return _SCRIPT % {"exact": json.dumps(EXACT, ensure_ascii=False), "patterns": json.dumps(PATTERNS)}


def localise_widgets(lang: str) -> None:
    """Call once per run from an app's entry point, before any page draws."""
    st.html(_HIDDEN + (widget_script() if lang == "zh" else _STOP), unsafe_allow_javascript=True)
