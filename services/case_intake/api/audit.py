"""The audit log of this service for the NPC office: `GET /audit` (shared.audit, the same route in every
service)."""

from shared.audit import audit_router

router = audit_router("case-intake")
