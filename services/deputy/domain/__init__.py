"""The deputy service's rules as plain Python: China-time periods, what each activity and event counts
towards (roles, statistics, the five ones), which cases are off a deputy's hands, which township and village a
grid lies in, and how figures are tallied. No database and no web framework here."""
