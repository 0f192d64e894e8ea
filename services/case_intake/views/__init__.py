"""Read models: the answers (schemas) built from rows, and the queries of lists and figures that only read.
Who may read is decided before (logic.access); a view shapes what that reader may see."""
