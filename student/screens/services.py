"""其他服务 and 工具: temporary shooting code, upload the code later, make-up shooting points, the
operation guide, the sample diagram and the standard's text, and how to get the collection code."""

from __future__ import annotations

import streamlit as st

from core.domain.access import Actor
from core.services import student_app
from core.services.student_app import MakeupPoint, Rules, SchoolPoints, standard
from student import nav, state
from student.screens.code import code_help, code_input
from student.ui import header, support_line
from uikit.plain import plain
from uikit.resources import database
from uikit.i18n import tr
from uikit.feedback import attempt


def render(actor: Actor) -> None:
    header(tr("其他服务与工具", "Other services and tools"))
    st.markdown(tr("**其他服务**", "**Services**"))
    if st.button(tr("线下拍摄交费 · 仅限线下现场采集", "On-site shooting fee · on-site sessions only"),
                 key="svc_offline", width="stretch"):
        nav.go(nav.Step.OFFLINE)
    if st.button(tr("临时拍摄码 · 当天无法下载采集码时先拍摄", "Temporary shooting code · shoot now, code later"),
                 key="svc_temporary", width="stretch"):
        with database().session() as session:
            linked = student_app.status(session, actor) is not None
        if linked:
            st.info(tr("您已关联采集任务，请直接点击首页“去采集”。", "You are already linked: use Start on the home page."))
        else:
            state.forget_enrolment()
            state.remember("enrol_temporary", True)
            nav.go(nav.Step.SCHOOL)
    if st.button(tr("上传采集码 · 临时拍摄码拍摄后补传", "Upload code · after a temporary shooting code"),
                 key="svc_upload_code", width="stretch"):
        nav.go(nav.Step.UPLOAD_CODE)
    if st.button(tr("补拍点查询", "Make-up shooting points"), key="svc_makeup", width="stretch"):
        nav.go(nav.Step.MAKEUP)
    st.markdown(tr("**工具**", "**Tools**"))
    for key, label, target in (
        ("svc_guide", tr("操作指南", "Operation guide"), nav.Step.GUIDE),
        ("svc_samples", tr("图像示范", "Sample image"), nav.Step.SAMPLES),
        ("svc_standard", tr("采集标准", "The CHSI standard"), nav.Step.STANDARD),
        ("svc_code_help", tr("采集码下载", "Getting the collection code"), nav.Step.CODE_HELP),
    ):
        if st.button(label, key=key, width="stretch"):
            nav.go(target)
    support_line()


def render_upload_code(actor: Actor) -> None:
    header(tr("上传采集码", "Upload the collection code"), back_to=nav.Step.SERVICES)
    with database().session() as session:
        summary = student_app.status(session, actor)
    if summary is None:
        st.info(tr("您尚未关联采集任务。", "You have not linked a collection task."))
        return
    if not summary.on_temporary_code:
        st.success(tr("您的学籍已关联学信网图像采集码，无需上传。", "Your record already has its CHSI collection code."))
        return
    st.caption(tr("使用临时拍摄码拍摄的同学，在成功下载学信网采集码后，将采集码图片上传到这里，照片即可上传学信网。",
                  "After shooting on a temporary code, upload your CHSI code here so the photo can go to CHSI."))
    code = code_input("upload_code")
    if st.button(tr("提交采集码", "Submit the code"), key="submit_code", type="primary", width="stretch",
                 disabled=code is None):
        def link_code() -> bool:
            with database().session() as session:
                student_app.upload_collection_code(session, actor, code)
            return True

        if attempt(link_code):
            st.success(tr("采集码已关联，照片将按流程上传学信网。", "Code linked: the photo will go to CHSI as usual."))


def render_makeup(actor: Actor) -> None:
    header(tr("补拍点查询", "Make-up shooting points"), back_to=nav.Step.SERVICES)
    with database().session() as session:
        found: SchoolPoints | None = student_app.own_makeup_points(session, actor)
        if found is None:
            query = st.text_input(tr("学校名称", "School name"), key="makeup_query")
            hits = (attempt(lambda: student_app.search_schools(session, query)) or []) if query.strip() else []
            if hits:
                points = attempt(lambda: student_app.makeup_points(session, hits[0].id))
                if points is not None:
                    found = SchoolPoints(hits[0].id, hits[0].name, points)
    if found is None:
        return
    st.markdown(f"**{plain(found.school_name)}**")
    if not found.points:
        st.info(tr("该校暂未设置线下补拍点，请关注学校通知或联系学籍部门。",
                   "This school has no make-up shooting point yet; ask your registrar."))
    for point in found.points:
        _point_card(point)


def _point_card(point: MakeupPoint) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(point.name)}**  \n{plain(point.address)}  \n{plain(point.hours)}")


GUIDE_ZH = """\
1. **登录**：填写微信昵称授权登录。
2. **阅读通知**：线上采集只能手机实时拍摄，不能使用相册照片、美颜软件，禁止电脑（平板）微信，不得翻拍。
3. **搜索学校**：支持关键字、拼音首字母模糊搜索；选择学历类别（普通本专科、研究生、成人教育）和采集任务。
4. **身份核验**：填写姓名、学信网学号、证件号后4位，扫描或上传学信网图像采集码，勾选同意协议。
5. **关联任务**：核对显示的学籍信息（姓名部分隐藏），点击“关联任务”。关联并支付后不能更换微信号或解绑。
6. **支付费用**：按任务预设价格支付。
7. **拍摄**：阅读拍照说明，允许摄像头权限，实时拍摄；制作前可免费无限次重拍。
8. **制作（裁剪换背景）**：每日限 {daily} 次，超过后隔日再操作。
9. **质量检测与二次确认**：查看检测结果，确认后提交人工审核。人像比对分数低于标准会被自动拦截，需重新拍摄。提交后可选择是否允许微信通知授权（之后可在“消息通知”页更改）。
10. **查看结果**：已上传 → 待审核 → 审核通过/未通过 → 待上网 → 已上网。提供 {free} 次免费提交审核；审核前可免费更换 {replacements} 次。
11. **其他服务**：临时拍摄码、上传采集码、补拍点查询。

遇到问题请拨打客服电话 **{hotline}**（{hours_zh}），技术或支付问题可加 QQ {qq}（{qq_note}）。
"""
GUIDE_EN = """\
1. **Sign in** with your WeChat nickname. 2. **Read the notice**: live phone capture only.
3. **Find your school** (keyword or pinyin initials), category and task.
4. **Verify** with name, CHSI student number, ID last 4 and your CHSI collection code.
5. **Link** after checking the masked record. 6. **Pay** the preset price.
7. **Shoot** (free retakes). 8. **Standardise** ({daily} a day). 9. **Check and submit**, then choose whether results may also come as WeChat messages (changeable under Messages).
10. **Follow the result**: uploaded → awaiting review → approved/rejected → waiting for CHSI → on CHSI.
11. **Other services**: temporary shooting code, upload the code, make-up points. Support: {hotline} ({hours_en}).
"""


def render_guide(actor: Actor) -> None:
    header(tr("操作指南", "Operation guide"), back_to=nav.Step.SERVICES)
    with database().session() as session:
        rules = student_app.rules(session)
    st.markdown(guide(rules))


def guide(rules: Rules) -> str:
    """The operation guide with the allowances in force and the contacts."""
    c = rules.contacts
    return tr(GUIDE_ZH, GUIDE_EN).format(
        daily=rules.daily_standardisations, free=rules.free_submissions, replacements=rules.free_replacements,
        hotline=c.hotline, hours_zh=c.hours_zh, hours_en=c.hours_en, qq=c.qq, qq_note=c.qq_note_zh)


def sample_diagram_svg() -> str:
    """The CHSI frame drawn from the standard's own numbers (hair top, eye line, face width)."""
    w, h = standard.WIDTH, standard.HEIGHT
    hair_lo, hair_hi = standard.HAIR_TOP_RANGE
    eye_lo, eye_hi = standard.EYE_LINE_RANGE
    face_lo, face_hi = standard.FACE_WIDTH_RANGE
    r, g, b = standard.BACKGROUND_RGB[standard.Background.BLUE]
    cx = w / 2
    face_w = (face_lo + face_hi) / 2
    head_top = (hair_lo + hair_hi) / 2
    eye_y = (eye_lo + eye_hi) / 2
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w + 150} {h}" width="100%">
<rect x="0" y="0" width="{w}" height="{h}" fill="rgb({r},{g},{b})" stroke="#333"/>
<rect x="0" y="{hair_lo}" width="{w}" height="{hair_hi - hair_lo}" fill="#fff" fill-opacity="0.35"/>
<rect x="0" y="{eye_lo}" width="{w}" height="{eye_hi - eye_lo}" fill="#fff" fill-opacity="0.25"/>
<path d="M {cx - 190} {h} Q {cx - 170} {h - 130} {cx - 70} {h - 150} L {cx + 70} {h - 150}
 Q {cx + 170} {h - 130} {cx + 190} {h} Z" fill="#2f3b52"/>
<rect x="{cx - 38}" y="{eye_y + 150}" width="76" height="90" fill="#e8c4a8"/>
<ellipse cx="{cx}" cy="{eye_y + 25}" rx="{face_w / 2}" ry="{(eye_y + 150 - head_top) / 2 + 10}" fill="#f1d2b8"/>
<path d="M {cx - face_w / 2 - 8} {eye_y - 10} Q {cx} {head_top - 30} {cx + face_w / 2 + 8} {eye_y - 10}
 Q {cx} {head_top + 20} {cx - face_w / 2 - 8} {eye_y - 10} Z" fill="#222"/>
<line x1="{cx - face_w / 2}" y1="{eye_y + 90}" x2="{cx + face_w / 2}" y2="{eye_y + 90}" stroke="#c00"
 stroke-width="3" marker-start="url(#a)" marker-end="url(#a)"/>
<line x1="{cx}" y1="0" x2="{cx}" y2="{h}" stroke="#c00" stroke-dasharray="6 6"/>
<g font-size="20" font-family="sans-serif" fill="#000">
<text x="{w + 8}" y="{hair_lo + 20}">头顶 {hair_lo}–{hair_hi}px</text>
<text x="{w + 8}" y="{eye_lo + 25}">眼睛 {eye_lo}–{eye_hi}px</text>
<text x="{w + 8}" y="{eye_y + 98}">脸宽 {face_lo}–{face_hi}px</text>
<text x="{w + 8}" y="{h - 20}">{w}×{h}px</text>
</g></svg>"""


def render_samples(actor: Actor) -> None:
    header(tr("图像示范", "Sample image"), back_to=nav.Step.SERVICES)
    st.image(sample_diagram_svg(), caption=tr("标准照片示意（浅蓝背景，头部居中）", "The standard frame (light blue, centred)"))
    st.markdown(tr(
        "- ✅ 正面免冠、双眼睁开平视镜头、嘴巴闭合、表情自然；双肩水平、两耳对称；光线均匀，脸部无阴影。\n"
        "- ❌ 侧脸、低头仰头、闭眼、张嘴大笑；头发遮挡眉毛眼睛耳朵；戴帽子、耳饰、项链；眼镜反光或有色镜片；"
        "背景有其他人或物体；美颜、滤镜；翻拍照片或屏幕；录取照片或由其修改的照片。",
        "- ✅ Frontal, bare-headed, eyes open looking at the lens, mouth closed, neutral; shoulders level; even light.\n"
        "- ❌ Turned or tilted head, closed eyes, open mouth; hair over eyebrows/eyes/ears; hats, earrings, "
        "necklaces; glare or tinted glasses; other people or objects; filters; photos of prints or screens; "
        "the admission photo."))


STANDARD_ZH = f"""\
**《高等教育学历证书电子注册图像采集规范及信息标准》（教毕指[2017]99号）数字图像部分**

- 尺寸：宽 {standard.WIDTH} 像素 × 高 {standard.HEIGHT} 像素，分辨率 {standard.DPI} dpi，24 位真彩色；
  JPEG 格式，压缩品质因数不低于 {standard.MIN_JPEG_QUALITY}，文件一般 {standard.MIN_FILE_BYTES // 1024}–{standard.MAX_FILE_BYTES // 1024} KB，扩展名 .jpg。
- 构图：头部左右居中对称；头顶发际距照片上边缘 {standard.HAIR_TOP_RANGE[0]}–{standard.HAIR_TOP_RANGE[1]} 像素；
  眼睛距上边缘 {standard.EYE_LINE_RANGE[0]}–{standard.EYE_LINE_RANGE[1]} 像素；脸部宽度（两脸颊间）{standard.FACE_WIDTH_RANGE[0]}–{standard.FACE_WIDTH_RANGE[1]} 像素。
- 背景：单一颜色，无渐变、无阴影、无其他人或物体；浅蓝色参考值 RGB(100,197,255)（部分任务为白色或浅灰色）。
- 人像：近期正面免冠彩色头像，真实反映本人，不得镜像、旋转，不得修饰面部特征（疤痕、痣、发型等）；
  对焦清晰、色彩真实、无明显畸变；照片无边框、文字、图案。
- 姿态：坐姿端正，表情自然，双眼自然睁开平视镜头，两耳对称，双肩水平，嘴巴闭合。
- 眼镜：常戴眼镜者可戴，但不得为有色镜片，镜框不得遮挡眼睛，镜片不得反光。
- 不得佩戴帽子、头巾（宗教或医疗原因者不得遮挡面部、不得产生阴影），不戴耳饰、项链；头发不得遮挡眉毛、眼睛和耳朵。
- 服装颜色应与背景有明显区别；光线均匀，无曝光过度（亮斑），无红眼。
"""
STANDARD_EN = f"""\
**CHSI photo standard (教毕指[2017]99号), digital image part**

- {standard.WIDTH}×{standard.HEIGHT} px, {standard.DPI} dpi, 24-bit colour, JPEG quality ≥ {standard.MIN_JPEG_QUALITY}, typically {standard.MIN_FILE_BYTES // 1024}–{standard.MAX_FILE_BYTES // 1024} KB, .jpg.
- Head centred; top of hair {standard.HAIR_TOP_RANGE[0]}–{standard.HAIR_TOP_RANGE[1]} px below the top; eyes {standard.EYE_LINE_RANGE[0]}–{standard.EYE_LINE_RANGE[1]} px; face width {standard.FACE_WIDTH_RANGE[0]}–{standard.FACE_WIDTH_RANGE[1]} px.
- Uniform background without gradient, shadow, people or objects; light blue RGB(100,197,255) (white or light grey in some tasks).
- Recent, frontal, bare-headed, colour, true likeness: no mirroring, rotation or retouching; sharp, true colour; no border or text.
- Sitting upright, neutral, eyes open looking ahead, ears symmetric, shoulders level, mouth closed.
- Glasses only if normally worn: not tinted, frames clear of the eyes, no reflections. No hat, earrings or necklace;
  hair clear of eyebrows, eyes and ears. Clothing distinct from the background; even light, no hot spots, no red eye.
"""


def render_standard(actor: Actor) -> None:
    header(tr("采集标准", "The CHSI standard"), back_to=nav.Step.SERVICES)
    st.markdown(tr(STANDARD_ZH, STANDARD_EN))


def render_code_help(actor: Actor) -> None:
    header(tr("采集码下载", "Getting the collection code"), back_to=nav.Step.SERVICES)
    code_help()
