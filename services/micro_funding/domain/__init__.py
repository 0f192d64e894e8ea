"""The micro-funding rules as plain Python, no database and no web framework: one module a topic.

money (yuan strings and integer fen) · stages (the Step table: who moves a project from which stage to which) ·
pools (caps within a pool's total) · proposals (what a draft may cite) · ledger (the books of a pool, their
arithmetic and reconciliation) · objections (their limits and rulings).
"""
