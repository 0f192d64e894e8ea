"""Micro-funding service (民生微实事): yearly fund pools for livelihood micro-projects."""
