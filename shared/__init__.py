"""What every service imports: settings, database, events and the bus, errors, auth, pagination."""
