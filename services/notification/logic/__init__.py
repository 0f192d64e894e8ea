"""Use cases over a session: deciding who is told of an event (deciding), notices that wait for their time
(scheduling), sending what is due (sending) within each person's hourly cap (capping), devices and follows
(subscriptions), an account's choices (preferences)."""
