"""Events: the CloudEvents envelope, the catalogue of payloads, the outbox and the NATS bus."""
