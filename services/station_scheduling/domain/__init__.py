"""The station rules as plain Python, no database and no web framework: one module a topic.

days (civil days and periods in China) · hours (opening hours and notice) · recurrence (a rota's reception
days) · rotation (whose turn it is, and which grids lie under a station) · bookings (the states of a place).
"""
