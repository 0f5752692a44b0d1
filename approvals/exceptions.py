"""One exception per business failure; the API and the pages map them in one place each."""

from __future__ import annotations


class WorkflowError(Exception):
    """A refused action, with a stable code and a message in Thai and English."""

    code = "workflow_error"
    status = 400
    message_th = "ดำเนินการไม่ได้"
    message_en = "The action could not be carried out."

    def __init__(self, message_th: str | None = None, message_en: str | None = None):
        self.message_th = message_th or self.message_th
        self.message_en = message_en or self.message_en
        super().__init__(f"{self.message_th} / {self.message_en}")

    def as_dict(self) -> dict:
        return {"code": self.code, "message_th": self.message_th, "message_en": self.message_en}


class NotPermitted(WorkflowError):
    code = "not_permitted"
    status = 403
    message_th = "ท่านไม่มีสิทธิ์ดำเนินการนี้"
    message_en = "You are not permitted to do this."


class SelfGrant(NotPermitted):
    """Separation of duties: a role or a delegation is always given by someone else."""

    code = "self_grant"
    message_th = "ไม่สามารถมอบบทบาทหรือการปฏิบัติราชการแทนให้ตนเองได้ ต้องให้ผู้ดูแลระบบคนอื่นดำเนินการ"
    message_en = "Nobody can give themselves a role or a delegation; another admin must do it."


class TransitionNotAllowed(WorkflowError):
    code = "transition_not_allowed"
    status = 409
    message_th = "ไม่สามารถดำเนินการนี้ได้จากสถานะปัจจุบัน"
    message_en = "This action is not allowed from the item's current state."


class StaleVersion(WorkflowError):
    code = "stale_version"
    status = 409
    message_th = "รายการนี้มีการเปลี่ยนแปลงหลังจากที่ท่านเปิดไว้ กรุณาโหลดใหม่"
    message_en = "This item changed after you opened it; reload it and try again."


class ReasonRequired(WorkflowError):
    code = "reason_required"
    status = 400
    message_th = "ต้องระบุเหตุผลในการส่งกลับ"
    message_en = "A return must give a reason."


class NotEditable(WorkflowError):
    code = "not_editable"
    status = 409
    message_th = "ไม่สามารถแก้ไขรายการนี้ในสถานะปัจจุบันได้"
    message_en = "This item cannot be changed in its current state."


class PreconditionRequired(WorkflowError):
    code = "precondition_required"
    status = 428
    message_th = "ต้องระบุรุ่นของรายการที่แก้ไข (If-Match หรือ version)"
    message_en = "Say which version you are changing (If-Match header or a version field)."


class ValidationFailed(WorkflowError):
    """Input that breaks a rule of the plan; `fields` maps each field to its messages."""

    code = "invalid"
    status = 400
    message_th = "ข้อมูลไม่ถูกต้อง"
    message_en = "Some of the data is not valid."

    def __init__(self, fields: dict | None = None, message_th=None, message_en=None):
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        super().__init__(message_th, message_en)

    def as_dict(self) -> dict:
        return {**super().as_dict(), "fields": self.fields}


class MeasureNotPublished(TransitionNotAllowed):
    """A result report is published only after its measure: the public row needs it."""

    code = "measure_not_published"
    message_th = "ต้องเผยแพร่มาตรการก่อน จึงจะเผยแพร่ผลการดำเนินการของมาตรการนั้นได้"
    message_en = (
        "Publish the measure first: a result report cannot be published before its measure."
    )
