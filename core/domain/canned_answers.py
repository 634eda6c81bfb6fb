"""Canned answers for the hotline and the QQ chat, worded from the operator's guide (seed FAQ).

The numbers an admin can tune (daily limit, free submissions, replacements, price) come from the
current ``Policy``, so an answer never contradicts what the system will actually do.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.contacts import HOTLINE, HOURS_EN, HOURS_ZH, QQ, QQ_NOTE_ZH
from core.domain.enums import TicketCategory as C
from core.domain.policy import Policy


@dataclass(frozen=True)
class CannedAnswer:
    key: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    categories: tuple[C, ...] = ()
    """Ticket categories this answer usually settles (offered first for such a ticket)."""


def canned_answers(policy: Policy) -> tuple[CannedAnswer, ...]:
    yuan = f"{policy.extra_service_price_fen / 100:g}"
    return (
        CannedAnswer(
            "live_capture", "只能手机实时拍摄", "Live phone capture only",
            "按学信网最新采集要求，线上采集必须使用手机原生相机实时拍摄，不能使用美颜修图类软件，"
            "不能从相册选择预先准备好的照片；禁止使用微信电脑客户端（含平板电脑）操作，也不得翻拍照片，"
            "否则照片不能通过人工审核。可以请身边的朋友使用后置摄像头协助拍摄。",
            "CHSI requires a live capture with the phone's own camera: no beauty apps, no album photos, "
            "no desktop or tablet WeChat, no re-photographed prints. A friend may help with the rear camera.",
            (C.REVIEW_DISPUTE, C.OTHER),
        ),
        CannedAnswer(
            "album_blocked", "相册已屏蔽", "Photo album is blocked",
            "小程序已按学信网要求屏蔽本地相册，无法上传相册照片，请按操作流程引导使用手机实时拍摄。"
            "如无法打开相机，请在微信设置中允许小程序使用摄像头权限（“拒绝”后会导致无法拍摄）。",
            "The mini-program blocks the album as CHSI requires; shoot live. If the camera does not open, "
            "allow camera access for the mini-program in WeChat settings.",
            (C.OTHER,),
        ),
        CannedAnswer(
            "daily_limit", f"每日限 {policy.daily_standardisations} 次标准化", "Daily standardisation limit",
            f"每日限 {policy.daily_standardisations} 次照片标准化（裁剪更换背景）操作，当日超过次数后，"
            "需隔日（冷静期）才能继续操作。制作前可不限次数免费重拍，请确认照片满意后再去制作。",
            f"Standardisation (crop and background) is limited to {policy.daily_standardisations} a day; "
            "after that, wait until tomorrow. Retakes before standardising are free and unlimited.",
            (C.QUOTA_EXCEEDED,),
        ),
        CannedAnswer(
            "free_submissions", f"{policy.free_submissions} 次免费提交审核", "Free review submissions",
            f"本小程序上传后提供 {policy.free_submissions} 次照片免费提交审核。“审核未通过”可再次进入小程序免费重新拍摄提交；"
            f"免费次数用完后，后续服务费为 {yuan} 元/次。请认真拍摄，勿随意操作。",
            f"You get {policy.free_submissions} free review submissions; after a rejection you can shoot and "
            f"submit again for free. Beyond them each submission costs {yuan} yuan.",
            (C.QUOTA_EXCEEDED, C.REVIEW_DISPUTE),
        ),
        CannedAnswer(
            "replacement", "审核前可更换一次照片", "One replacement before review",
            f"上传照片在人工审核前，提供 {policy.free_replacements} 次更换照片服务；"
            f"通过人工审核后将不允许更换照片。后续服务费为 {yuan} 元/次。",
            f"Before human review you may replace the photo {policy.free_replacements} time(s) for free; "
            f"after approval it cannot be replaced. Further replacements cost {yuan} yuan.",
            (C.QUOTA_EXCEEDED, C.REVIEW_DISPUTE),
        ),
        CannedAnswer(
            "chsi_timing", "7-10 个工作日上传学信网", "7-10 working days to CHSI",
            "照片通过审核后，将进行数据链接、检测，最终处理完成后在 7-10 日内（节假日除外）上传学信网。"
            "授权过小程序通知的同学会收到微信消息通知；审核通过的照片可在“我的上传”里下载保存。",
            "After approval the photo is checked and uploaded to CHSI within 7-10 working days; students "
            "who allowed notifications get a WeChat message, and can download the photo under 'My uploads'.",
            (C.CHSI_STATUS,),
        ),
        CannedAnswer(
            "temporary_code", "临时拍摄码", "Temporary shooting code",
            "临时拍摄码针对在学校采集当天仍然无法下载学信网采集码的学生临时采集使用。注意：没有学信网图像采集码，"
            "采集的照片不能上传到学信网。成功下载学信网采集码后，在小程序“其他服务—上传采集码”上传采集码图片即可。",
            "The temporary shooting code lets a student shoot before they have their CHSI code; the photo "
            "cannot go to CHSI until the real code is uploaded under 'Other services - upload code'.",
            (C.CODE_UNREADABLE, C.CHSI_STATUS),
        ),
        CannedAnswer(
            "code_download", "采集码下载提示", "Collection code download tips",
            "图像采集码可通过学信网学信档案、“学信网”微信公众号或学信网 APP 获取：查看学籍信息，选择学籍，"
            "查看对应采集码并保存图片。请务必上传下载保存的采集码图片，勿使用截图或翻拍屏幕。"
            "身份验证不通过或操作过于频繁，学信网会锁定 24 小时，请在采集前 3-5 天注册并获取采集码。",
            "Get the code from CHSI (学信档案 website, the CHSI WeChat account or the CHSI app): open the "
            "enrolment record and save the code image. Upload that saved image, not a screenshot. Failed "
            "checks lock CHSI for 24 hours, so get the code 3-5 days ahead.",
            (C.CODE_UNREADABLE,),
        ),
        CannedAnswer(
            "payment_restricted", "微信支付受限", "WeChat Pay restricted",
            "如微信支付功能受限制，可解绑任务后，使用他人微信帐号操作并支付。已关联任务并支付费用的不能自行解绑，"
            f"如需解绑请联系客服 {HOTLINE}。",
            "If WeChat Pay is restricted, unbind the task and pay from another WeChat account. A paid "
            f"link cannot be unbound by the student: call support on {HOTLINE}.",
            (C.PAYMENT, C.ACCOUNT_BINDING),
        ),
        CannedAnswer(
            "binding_rules", "账号绑定规则", "Account binding rules",
            "为保证采集准确性，仅限本人操作，已关联采集任务的不允许更换新微信号；已关联任务并支付费用的，"
            "可更换其他手机拍照（不能换新微信号），也不能自行解绑。",
            "One WeChat account per student record; a linked and paid record cannot move to a new WeChat "
            "account or be unbound by the student, but another phone with the same account is fine.",
            (C.ACCOUNT_BINDING,),
        ),
        CannedAnswer(
            "not_on_roster", "不在采集名单", "Not on the roster",
            "参加过学校统一采集或学信网已有学历照片的，不再允许拍摄。如未参加过采集但不在采集名单中，"
            "请联系本校学籍部门添加信息。",
            "Students who took part in the on-site collection or already have a CHSI photo may not shoot "
            "again. Anyone else missing from the roster should ask their registrar to add them.",
            (C.NOT_ON_ROSTER, C.SCHOOL_NOT_FOUND),
        ),
        CannedAnswer(
            "face_blocked", "人像比对未通过", "Blocked by face comparison",
            "人脸比对分数低于标准会被系统自动拦截，请在光线均匀处正对镜头重新拍摄再上传比对。"
            "如多次采集人脸比对分数均不符合要求，可由学籍部门统一处理。",
            "A photo below the face-comparison threshold is blocked automatically; shoot again facing the "
            "camera in even light. If it keeps failing, the registrar handles it.",
            (C.REVIEW_DISPUTE,),
        ),
        CannedAnswer(
            "hotline_hours", "客服时间", "Support hours",
            f"客服电话：{HOTLINE}，服务时间：{HOURS_ZH}。"
            f"如遇技术或支付问题，请加 QQ：{QQ} 处理，{QQ_NOTE_ZH}。",
            f"Hotline {HOTLINE}, {HOURS_EN}. "
            f"For technical or payment problems add QQ {QQ} with the note 图像采集.",
            (C.OTHER, C.PAYMENT),
        ),
    )


def answers_for(policy: Policy, category: C | None) -> list[CannedAnswer]:
    """All answers, those that usually settle ``category`` first."""
    answers = list(canned_answers(policy))
    if category is None:
        return answers
    return sorted(answers, key=lambda a: category not in a.categories)
