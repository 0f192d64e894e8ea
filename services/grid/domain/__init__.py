"""The grid's rules as plain Python: the tree's levels and kinds, names as villagers type them, boundaries and
point → grid, and who to suggest for an uncovered grid. No database and no web framework here."""
