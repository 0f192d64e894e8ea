"""Who may use the grid's protected routes: the NPC office changes the tree and the assignments; station staff
read the history and the coverage report too."""

from shared.auth import Role

OFFICE = (Role.npc_office,)
OFFICE_OR_STAFF = (Role.npc_office, Role.station_staff)
