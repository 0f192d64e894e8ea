"""The grid's use cases over a database session: the tree and its history (tree), deputies placed in grids
(assignments), point → group grid (locate), and the lookups they share (grids). Each stages its events in the
caller's transaction; the route commits."""
