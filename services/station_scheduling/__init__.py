"""Station scheduling service (代表联络站): the "1+4+N" liaison stations where deputies receive villagers."""
