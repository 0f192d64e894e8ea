"""Case intake (诉求受理): villagers ' issues and disputes, routed to the deputies of their grid."""
