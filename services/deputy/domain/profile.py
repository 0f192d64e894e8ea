"""A deputy's profile: what is public (published in deputy updated events), what is personal data (never
published), and what a change may not clear."""

PUBLIC_FIELDS = ["name", "level", "district", "council_member", "organisation", "home_grid_id"]
PRIVATE_FIELDS = ["contact_phone", "home_lat", "home_lon"]
EDITABLE = ("name", "level", "district", "council_member", "organisation", "contact_phone", "home_grid_id")
"""Fields a change sets as sent (the home location is set from its own coordinates)."""
REQUIRED = ("name", "level", "district", "council_member")
"""Fields a change may not clear."""
