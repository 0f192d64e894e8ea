"""The audit log of this service for the NPC office: `GET /audit` (shared.audit, the same route in every
service); the office's erasures of a person are recorded there."""

from shared.audit import audit_router

router = audit_router("notification")
