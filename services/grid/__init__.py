"""Grid service (网格): the three-level grid tree and which deputies answer for which grid."""
