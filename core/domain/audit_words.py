"""The audit log as sentences: "审核员 李四 通过了 张三（学号 2020001）的照片".

One table maps each action to what it says, in Chinese and English; names come from data and are
only ever substituted into the sentence (the page shows them as plain text). An action that is not
in the table still reads, with its code name, so a new action never hides an event.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import ActorKind, Role


@dataclass(frozen=True)
class Said:
    """An action's verb phrase; ``{obj}`` is replaced by what it was done to."""

    zh: str
    en: str
    name_zh: str
    name_en: str


ACTIONS: dict[str, Said] = {
    "review.approve": Said("通过了{obj}", "approved {obj}", "审核通过", "Review: approve"),
    "review.reject": Said("驳回了{obj}", "rejected {obj}", "审核驳回", "Review: reject"),
    "review.skip": Said("跳过了{obj}", "skipped {obj}", "跳过审核", "Review: skip"),
    "review.undo": Said("撤销了对{obj}的审核决定", "undid the decision on {obj}", "撤销审核", "Review: undo"),
    "review.second_review_requested": Said("将{obj}提交复核", "sent {obj} to second review", "提交复核",
                                           "Second review requested"),
    "review.second_opinion": Said("复核了{obj}", "gave a second opinion on {obj}", "复核意见", "Second opinion"),
    "review.settle": Said("裁定了{obj}的初审与复核分歧", "settled the review disagreement on {obj}", "裁定复核分歧",
                          "Disagreement settled"),
    "review.replaced_on_chsi": Said("标记{obj}已在学信网更换", "marked {obj} as replaced on CHSI", "学信网更换照片",
                                    "Replaced on CHSI"),
    "submission.submit": Said("提交了{obj}", "submitted {obj}", "提交照片", "Photo submitted"),
    "submission.discard": Said("放弃了{obj}", "discarded {obj}", "放弃照片", "Photo discarded"),
    "submission.standardise_requested": Said("请求标准化处理{obj}", "asked to standardise {obj}", "请求标准化",
                                             "Standardisation requested"),
    "submission.auto_blocked": Said("自动拦截了{obj}", "automatically blocked {obj}", "自动拦截", "Automatically blocked"),
    "roster.import": Said("为{obj}导入了学籍名单", "imported a roster for {obj}", "导入学籍", "Roster import"),
    "enrolment.import": Said("为{obj}导入了入学照片", "imported enrolment photos for {obj}", "导入入学照片",
                                "Enrolment photo import"),
    "batch.build": Said("生成了{obj}", "built {obj}", "生成批次", "Batch built"),
    "batch.export": Said("导出了{obj}", "exported {obj}", "导出批次", "Batch exported"),
    "batch.manifest": Said("下载了{obj}的清单", "downloaded the manifest of {obj}", "下载批次清单", "Batch manifest"),
    "batch.import_result": Said("导入了{obj}的学信网回执", "imported the CHSI result of {obj}", "导入回执",
                                "CHSI result imported"),
    "batch.remove_item": Said("从{obj}移除了一张照片", "removed a photo from {obj}", "移出批次", "Removed from batch"),
    "chase.export": Said("导出了{obj}的催办名单", "exported the chase list of {obj}", "导出催办名单", "Chase list exported"),
    "task.create": Said("创建了{obj}", "created {obj}", "创建采集任务", "Task created"),
    "task.update": Said("修改了{obj}", "changed {obj}", "修改采集任务", "Task changed"),
    "task.status": Said("更改了{obj}的状态", "changed the status of {obj}", "采集任务状态", "Task status"),
    "school.create": Said("新建了{obj}", "created {obj}", "新建学校", "School created"),
    "school.update": Said("修改了{obj}", "changed {obj}", "修改学校", "School changed"),
    "school.delete": Said("删除了{obj}", "deleted {obj}", "删除学校", "School deleted"),
    "school.activate": Said("启用了{obj}", "activated {obj}", "启用学校", "School activated"),
    "school.deactivate": Said("停用了{obj}", "deactivated {obj}", "停用学校", "School deactivated"),
    "staff.create": Said("新建了{obj}", "created {obj}", "新建员工", "Staff created"),
    "staff.update": Said("修改了{obj}", "changed {obj}", "修改员工", "Staff changed"),
    "staff.enable": Said("启用了{obj}", "enabled {obj}", "启用员工", "Staff enabled"),
    "staff.disable": Said("停用了{obj}", "disabled {obj}", "停用员工", "Staff disabled"),
    "staff.reset_password": Said("重置了{obj}的密码", "reset the password of {obj}", "重置密码", "Password reset"),
    "staff.change_password": Said("修改了自己的密码", "changed their own password", "修改密码", "Password changed"),
    "staff.login": Said("登录了工作台", "signed in", "登录", "Sign-in"),
    "staff.logout": Said("退出了工作台", "signed out", "退出登录", "Sign-out"),
    "staff.session_ended": Said("结束了{obj}的登录会话（超时或账号变更）", "ended a session of {obj} (timed out or the account changed)",
                                "会话结束", "Session ended"),
    "staff.login_failed": Said("记录到{obj}登录失败", "recorded a failed sign-in of {obj}", "登录失败", "Failed sign-in"),
    "policy.change": Said("修改了系统设置", "changed the settings", "修改设置", "Settings changed"),
    "quota.grant": Said("为{obj}增加了次数", "granted attempts to {obj}", "增加次数", "Attempts granted"),
    "payment.paid": Said("确认了{obj}已支付", "confirmed {obj} as paid", "确认支付", "Payment confirmed"),
    "payment.refund": Said("退款了{obj}", "refunded {obj}", "退款", "Refund"),
    "notification.resend": Said("重新发送了{obj}", "resent {obj}", "重发通知", "Notification resent"),
    "job.retry": Said("重试了{obj}", "retried {obj}", "重试任务", "Job retried"),
    "link.create": Said("关联了学籍{obj}", "linked to the roster record of {obj}", "关联学籍", "Account linked"),
    "link.unbind": Said("解除了与{obj}的关联", "unlinked {obj}", "解除关联", "Account unlinked"),
    "link.collection_code": Said("为{obj}绑定了采集码", "linked a collection code to {obj}", "绑定采集码",
                                 "Collection code linked"),
    "identity.check_failed": Said("核验{obj}的身份未通过", "failed the identity check as {obj}", "身份核验失败",
                                  "Identity check failed"),
    "identity.check_locked": Said("核验{obj}的身份未通过，失败次数已达上限，身份核验已锁定",
                                  "failed the identity check as {obj} and reached the lock", "身份核验锁定",
                                  "Identity check locked"),
    "notification.consent_granted": Said("允许了微信通知授权（{obj}）", "allowed WeChat notifications ({obj})",
                                         "允许微信通知", "WeChat notifications allowed"),
    "notification.consent_declined": Said("拒绝了微信通知授权（{obj}）", "declined WeChat notifications ({obj})",
                                          "拒绝微信通知", "WeChat notifications declined"),
    "support.view": Said("查看了{obj}", "looked up {obj}", "客服查看", "Support lookup"),
    "support.link_code": Said("为{obj}绑定了采集码", "linked a collection code to {obj}", "客服绑定采集码",
                              "Support linked a code"),
    "ticket.open": Said("新建了{obj}", "opened {obj}", "新建工单", "Ticket opened"),
    "ticket.note": Said("在{obj}中添加了备注", "added a note to {obj}", "工单备注", "Ticket note"),
    "ticket.assign": Said("指派了{obj}", "assigned {obj}", "指派工单", "Ticket assigned"),
    "ticket.status": Said("更改了{obj}的状态", "changed the status of {obj}", "工单状态", "Ticket status"),
    "ticket.escalate": Said("将{obj}转交学校", "escalated {obj} to the school", "转交学校", "Ticket escalated"),
    "ticket.school_answer": Said("代表学校答复了{obj}", "answered {obj} for the school", "学校答复工单",
                                 "School answered a ticket"),
    "ticket.resolve": Said("解决了{obj}", "resolved {obj}", "解决工单", "Ticket resolved"),
    "ticket.reopen": Said("重新打开了{obj}", "reopened {obj}", "重开工单", "Ticket reopened"),
    "audit.export": Said("导出了审计日志", "exported the audit log", "导出审计日志", "Audit log exported"),
}

ENTITIES: dict[str, tuple[str, str]] = {
    "submission": ("照片（编号 {id}）", "photo #{id}"),
    "roster_record": ("学籍记录（编号 {id}）", "roster record #{id}"),
    "school": ("学校（编号 {id}）", "school #{id}"),
    "staff_user": ("员工（编号 {id}）", "staff member #{id}"),
    "support_ticket": ("工单（编号 {id}）", "ticket #{id}"),
    "upload_batch": ("上报批次（编号 {id}）", "upload batch #{id}"),
    "collection_task": ("采集任务（编号 {id}）", "collection task #{id}"),
    "quota_entry": ("次数记录（编号 {id}）", "quota entry #{id}"),
    "payment": ("支付订单（编号 {id}）", "payment #{id}"),
    "notification": ("通知（编号 {id}）", "notification #{id}"),
    "processing_job": ("处理任务（编号 {id}）", "processing job #{id}"),
    "account_link": ("账号绑定（编号 {id}）", "account link #{id}"),
    "student_account": ("学生账号（编号 {id}）", "student account #{id}"),
}

FAMILIES: dict[str, tuple[str, str]] = {
    "review.": ("审核", "Review"), "submission.": ("照片", "Photos"), "roster.": ("学籍", "Roster"),
    "enrolment.": ("入学照片", "Enrolment photos"), "batch.": ("上报批次", "Batches"), "chase.": ("催办", "Chasing"),
    "task.": ("采集任务", "Tasks"), "school.": ("学校", "Schools"), "staff.": ("员工", "Staff"),
    "policy.": ("设置", "Settings"), "quota.": ("次数", "Attempts"), "payment.": ("支付", "Payments"),
    "notification.": ("通知", "Notifications"), "job.": ("处理任务", "Jobs"), "link.": ("账号绑定", "Links"),
    "identity.": ("身份核验", "Identity checks"), "support.": ("客服", "Support"), "ticket.": ("工单", "Tickets"), "audit.": ("审计日志", "Audit log"),
}


@dataclass(frozen=True)
class Party:
    """Who acted: a staff member with their role, a student, or the system."""

    kind: ActorKind
    name: str
    role: Role | None = None

    def said(self, lang: str) -> str:
        if self.kind == ActorKind.SYSTEM:
            return "系统" if lang == "zh" else "The system"
        if self.kind == ActorKind.STUDENT:
            return f"学生 {self.name}" if lang == "zh" else f"Student {self.name}"
        if self.role is None:
            return f"员工 {self.name}" if lang == "zh" else f"Staff member {self.name}"
        return f"{self.role.label_zh} {self.name}" if lang == "zh" else f"{self.role.value.replace('_', ' ').capitalize()} {self.name}"


@dataclass(frozen=True)
class Subject:
    """What an action was done to, with the names the log can show for it."""

    entity_type: str
    entity_id: int | None
    student_name: str = ""
    student_number: str = ""
    label: str = ""
    """A school, staff member or ticket number, when the entity has one."""

    def said(self, lang: str) -> str:
        zh = lang == "zh"
        if self.student_name and self.entity_type in ("submission", "roster_record", "support_ticket", "quota_entry",
                                                      "account_link", "student_account"):
            student = f"{self.student_name}（学号 {self.student_number}）" if zh else \
                f"{self.student_name} (student no. {self.student_number})"
            if self.entity_type == "submission":
                return f"{student}的照片" if zh else f"the photo of {student}"
            if self.entity_type == "support_ticket":
                number = f" {self.label}" if self.label else ""
                return f"{student}的工单{number}" if zh else f"the ticket{number} of {student}"
            return student
        if self.label:
            prefix = {"school": ("学校", "school"), "staff_user": ("员工", "staff member"),
                      "support_ticket": ("工单", "ticket"), "upload_batch": ("批次", "batch")}.get(self.entity_type)
            if prefix:
                return f"{prefix[0]} {self.label}" if zh else f"{prefix[1]} {self.label}"
            return self.label
        zh_text, en_text = ENTITIES.get(self.entity_type, (self.entity_type + "（编号 {id}）", self.entity_type + " #{id}"))
        if self.entity_id is None:
            return zh_text.split("（")[0] if zh else en_text.split(" #")[0]
        return (zh_text if zh else en_text).format(id=self.entity_id)


def action_name(action: str, lang: str) -> str:
    """The action's name for the filter and the table ("审核通过"), or its family's ("审核（全部）")."""
    if action.endswith("."):
        family = FAMILIES.get(action)
        if family is None:
            return action + "*"
        return f"{family[0]}（全部）" if lang == "zh" else f"{family[1]} (all)"
    said = ACTIONS.get(action)
    if said is None:
        return action
    return said.name_zh if lang == "zh" else said.name_en


def sentence(party: Party, action: str, subject: Subject, lang: str) -> str:
    """The event as one sentence in ``lang``."""
    said = ACTIONS.get(action)
    obj = subject.said(lang)
    if said is None:
        return f"{party.said(lang)} {action} {obj}"
    phrase = (said.zh if lang == "zh" else said.en).format(obj=obj if lang != "zh" else f" {obj} ")
    phrase = phrase.replace("  ", " ").replace("） ", "）").strip()
    return f"{party.said(lang)} {phrase}"
