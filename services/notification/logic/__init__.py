"""Use cases over a session: deciding who is told of an event (deciding), sending what is due (sending),
devices and follows (subscriptions), an account's choices (preferences)."""
