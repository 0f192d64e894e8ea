"""The case rules as plain Python: the lifecycle table, working days and deadlines, tracking codes, the words
of the timeline. No database, no web framework, no I/O: each rule is read (and unit-tested) on its own."""
