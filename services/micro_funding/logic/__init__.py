"""Micro-funding use cases: plain functions over a database session that load, check, change and stage events.

pools (a year's fund pool and its appropriation) · ledger (posting an entry with the pool's row locked) ·
projects (drafts and `take_step`, the one way a project changes stage) · review (submission to approval and
the closing stages) · objections (during the public notice) · delivery (progress, money paid out or released,
ratings) · erasure (a villager erased on request). The rules without I/O are in `domain`; how things are
shown is in `views`.
"""
