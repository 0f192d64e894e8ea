"""Case use cases over an AsyncSession: each loads, checks (by domain's rules, and who may by the data), changes
and stages its events (`runtime.emit`) in the caller's transaction. The modules follow the sections of the API:
filing, routing, the lifecycle actions, escalation, referrals, mediation, support and merging, notes and photos,
the reference data, and the deadline scheduler."""
