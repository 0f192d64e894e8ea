"""The notification rules as plain Python, no database and no web framework: one module a topic.

notices (who is told what about a case event) · texts (the words, zh-CN and en; SMS within one segment) ·
timing (quiet hours and retry backoff) · endpoints (the push services a subscription may name) · reminders
(notices that wait for their time, and what cancels them) · workhours (working hours of an ordinary week) ·
capping (at most N messages an hour to a person, the rest folded into one).
"""
