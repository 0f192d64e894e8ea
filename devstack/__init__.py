"""Development tooling above everything it uses: `make run` (the supervisor and its `Stack`, also used by the
tests), and the demo city's seeder. It may import services and the gateway; nothing but tests imports it."""
