"""The gateway: sign-in and tokens, one public API in front of the services, and the PWA."""
